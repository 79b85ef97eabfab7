/**
 * Child process of the promo-generate bench: the HTTP client (generate, export, import) and the in-memory
 * draw comparison, apart from the server so that the server's RSS is measured alone. Also prepares a PGlite
 * data folder (initdb and migrations) when asked, so that the server opens an initialised one as it would
 * in production. Talks to the parent with `{phase, name}` messages.
 */
import { randomFillSync } from 'node:crypto';
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { systemClock } from '../domain/clock.js';
import { CodeDrawer } from '../domain/promo/draw.js';
import { parseTemplate } from '../domain/promo/template.js';
import { openDatabase } from '../store/db.js';
import { migrate } from '../store/migrate.js';

export const COUNT = 1_000_000;
export const TEMPLATE = '{symbol 10}';
const SYMBOLS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export type ClientJob = { prepare: string } | { url: string; token: string; count: number };
export type ClientMessage =
  | { phase: 'start'; name: string }
  | { phase: 'end'; name: string; seconds: number; result: Record<string, unknown> }
  | { phase: 'rates'; ours: number; theirs: number | null }
  | { phase: 'done' };

const send = (m: ClientMessage) => new Promise<void>((resolve) => process.send!(m, undefined, undefined, () => resolve()));

/**
 * Unique codes per second in memory, best of three runs each checked for uniqueness, after two warm-up runs
 * (the JIT), the same for both: ours against voucher-code-generator.
 */
function memoryRates(count: number): { ours: number; theirs: number | null } {
  const rate = (run: () => string[]) => {
    for (let i = 0; i < 2; i++) run();
    let best = 0;
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      const codes = run();
      const s = (performance.now() - t) / 1000;
      if (codes.length !== count || new Set(codes).size !== count) throw new Error('codes are not unique');
      best = Math.max(best, count / s);
    }
    return best;
  };
  const drawer = new CodeDrawer(parseTemplate(TEMPLATE), randomFillSync);
  const ours = rate(() => drawer.drawDistinct(count));
  let voucher: { generate(o: { count: number; length: number; charset: string }): string[] };
  try {
    voucher = createRequire(import.meta.url)('voucher-code-generator');
  } catch {
    process.stderr.write('voucher-code-generator is a dev dependency; install it to compare\n');
    return { ours, theirs: null };
  }
  return { ours, theirs: rate(() => voucher.generate({ count, length: 10, charset: SYMBOLS })) };
}

async function run(job: Extract<ClientJob, { url: string }>) {
  const headers = { authorization: `Bearer ${job.token}`, 'content-type': 'application/json' };
  const post = async (path: string, body: unknown) => {
    const r = await fetch(`${job.url}/api/v1${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
    const json = (await r.json()) as Record<string, unknown>;
    if (!r.ok) throw new Error(`${path}: ${r.status} ${JSON.stringify(json)}`);
    return json;
  };
  const phase = async (name: string, work: () => Promise<Record<string, unknown>>) => {
    await send({ phase: 'start', name });
    const t = performance.now();
    const result = await work();
    await send({ phase: 'end', name, seconds: (performance.now() - t) / 1000, result });
    return result;
  };
  const pool = await post('/promo/pools', { name: 'Bench', template_name: 'bench', generator: { template: TEMPLATE } });
  await phase('generate', async () => ({ ...(await post(`/promo/pools/${pool.id}/generate`, { count: job.count })), pool_id: pool.id }));
  await phase('export', async () => {
    const r = await fetch(`${job.url}/api/v1/promo/pools/${pool.id}/export?fields=email,fields.first_name`, { headers });
    let lines = 0;
    for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) for (const byte of chunk) if (byte === 10) lines++;
    return { lines };
  });
  const target = await post('/promo/pools', { name: 'Import', template_name: 'bench_import', generator: null });
  await phase('import', async () => {
    async function* csv() {
      yield 'code\n';
      for (let i = 0; i < job.count; i += 10_000) {
        let chunk = '';
        for (let j = i; j < Math.min(job.count, i + 10_000); j++) chunk += `IMPORT-${j}\n`;
        yield chunk;
      }
    }
    const r = await fetch(`${job.url}/api/v1/promo/pools/${target.id}/import`, {
      method: 'POST',
      headers: { authorization: headers.authorization, 'content-type': 'text/csv' },
      body: Readable.toWeb(Readable.from(csv())) as never,
      duplex: 'half',
    } as RequestInit);
    return (await r.json()) as Record<string, unknown>;
  });
  const rates = memoryRates(job.count);
  await send({ phase: 'rates', ...rates });
}

process.once('message', (job: ClientJob) => {
  const work =
    'prepare' in job
      ? (async () => {
          const database = await openDatabase({ dataDir: job.prepare });
          await migrate(database.db, systemClock.now());
          await database.close();
        })()
      : run(job);
  work.then(
    async () => {
      await send({ phase: 'done' });
      process.exit(0);
    },
    (e) => {
      process.stderr.write(`${(e as Error).stack ?? e}\n`);
      process.exit(1);
    },
  );
});
