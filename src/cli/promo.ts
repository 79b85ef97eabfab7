import { loadConfig } from '../config.js';
import { systemClock } from '../domain/clock.js';
import { isUuid } from '../domain/profiles/ref.js';
import { PromoRefusal } from '../engine/promo.js';
import { checkGeneration, generateCodes } from '../promo/generate.js';
import { openDatabase } from '../store/db.js';
import { migrate } from '../store/migrate.js';
import { getPool, getPoolByTemplateName } from '../store/promo.js';

const USAGE = '  retenta promo generate POOL COUNT   generate COUNT codes in a pool (id or template name), with a progress bar';

/** A one-line progress bar on stderr: `[#####-----]  52%  520,000/1,000,000  48,210 codes/s`. */
export function progressBar(total: number, out: NodeJS.WriteStream = process.stderr) {
  const started = Date.now();
  const width = 30;
  return (done: number) => {
    const share = total ? Math.min(1, done / total) : 1;
    const filled = Math.round(share * width);
    const rate = done / Math.max(0.001, (Date.now() - started) / 1000);
    const line = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(share * 100)).padStart(3)}%  ${done.toLocaleString('en')}/${total.toLocaleString('en')}  ${Math.round(rate).toLocaleString('en')} codes/s`;
    out.write(out.isTTY ? `\r${line}` : `${line}\n`);
  };
}

/** `retenta promo generate POOL COUNT`: generation from the command line, on the configured database. */
export async function promoCommand(args: string[]): Promise<number> {
  const [action, poolRef, countText] = args;
  const count = Number(countText);
  if (action !== 'generate' || !poolRef || !Number.isSafeInteger(count) || count < 1) {
    process.stderr.write(`Usage:\n${USAGE}\n`);
    return 2;
  }
  const config = loadConfig();
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 2 });
  try {
    await migrate(database.db, systemClock.now());
    const pool = isUuid(poolRef) ? await getPool(database.db, poolRef) : await getPoolByTemplateName(database.db, poolRef);
    if (!pool) {
      process.stderr.write(`No pool "${poolRef}".\n`);
      return 1;
    }
    await checkGeneration(database.db, pool, count);
    const bar = progressBar(count);
    const result = await generateCodes(database.db, systemClock, pool, count, null, (done) => bar(done));
    process.stderr.write('\n');
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return result.generated === count ? 0 : 1;
  } catch (e) {
    if (e instanceof PromoRefusal) {
      process.stderr.write(`Refused (${e.slug}): ${e.message}\n`);
      return 1;
    }
    throw e;
  } finally {
    await database.close();
  }
}
