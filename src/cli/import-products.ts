/** `retenta import products FILE [--mode upsert|add|update] [--format yml|csv]`: a feed file into the catalogue, with a progress bar. */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { loadConfig } from '../config.js';
import { systemClock } from '../domain/clock.js';
import { importProducts, type ProductImportOptions } from '../imports/products.js';
import { openDatabase } from '../store/db.js';
import { migrate } from '../store/migrate.js';

export async function importProductsCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { mode: { type: 'string', default: 'upsert' }, format: { type: 'string' }, delimiter: { type: 'string' } },
  });
  const file = positionals[0];
  const mode = values.mode as ProductImportOptions['mode'];
  if (!file || !['upsert', 'add', 'update'].includes(mode) || (values.format && !['yml', 'csv'].includes(values.format))) {
    process.stderr.write('Usage: retenta import products FILE [--mode upsert|add|update] [--format yml|csv] [--delimiter ,]\n');
    process.exit(2);
  }
  const format = (values.format ?? (/\.(csv|tsv|txt)$/i.test(file) ? 'csv' : /\.(xml|yml)$/i.test(file) ? 'yml' : undefined)) as ProductImportOptions['format'];
  const size = (await stat(file)).size;
  const config = loadConfig();
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 2 });
  await migrate(database.db, systemClock.now());
  const bar = new cliProgress.SingleBar(
    { format: '{bar} {percentage}% | {value}/{total} MiB | {items} items | ETA {eta_formatted}', hideCursor: true, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  const mib = (n: number) => Math.round((n / 2 ** 20) * 10) / 10;
  bar.start(mib(size), 0, { items: 0 });
  let read = 0;
  let items = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      read += chunk.length;
      bar.update(mib(read), { items });
      done(null, chunk);
    },
  });
  try {
    const result = await importProducts(database.db, systemClock, createReadStream(file).pipe(counter), { mode, format, delimiter: values.delimiter }, (n) => {
      items = n;
      bar.update(mib(read), { items });
    });
    bar.update(mib(size), { items });
    bar.stop();
    const { errors, ...counts } = result;
    process.stdout.write(`${JSON.stringify(counts)}\n`);
    for (const e of errors.slice(0, 50)) process.stdout.write(`line ${e.line}${e.id ? ` (${e.id})` : ''}: ${e.message}\n`);
    if (errors.length > 50) process.stdout.write(`… and ${errors.length - 50} more\n`);
  } finally {
    bar.stop();
    await database.close();
  }
}
