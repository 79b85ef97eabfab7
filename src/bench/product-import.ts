import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { systemClock } from '../domain/clock.js';
import { csvFeed, ymlFeed } from '../imports/feed-generator.js';
import { importProducts } from '../imports/products.js';
import { migrate } from '../store/migrate.js';
import { benchDatabase, type Bench } from './harness.js';

const OFFERS = Number(process.env.BENCH_YML_OFFERS ?? 200_000);
const ROWS = Number(process.env.BENCH_CSV_ROWS ?? 1_000_000);

/** Peak resident memory while `work` runs, sampled every 50 ms. */
async function peakRss<T>(work: () => Promise<T>): Promise<{ result: T; peakMb: number; seconds: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const t0 = performance.now();
  try {
    const result = await work();
    return { result, peakMb: Math.max(peak, process.memoryUsage().rss) / 2 ** 20, seconds: (performance.now() - t0) / 1000 };
  } finally {
    clearInterval(timer);
  }
}

/** A generated 200k-offer YML feed and a 1M-row CSV, imported from files: throughput and peak RSS of this process. */
export const productImportBench: Bench = async (b) => {
  const dir = await mkdtemp(join(tmpdir(), 'retenta-feeds-'));
  const made = await benchDatabase(b.db);
  try {
    await migrate(made.database.db, systemClock.now());
    const yml = join(dir, 'feed.yml');
    const csv = join(dir, 'feed.csv');
    await pipeline(ymlFeed(OFFERS, { bad: (i) => i % 50_000 === 0 }), createWriteStream(yml));
    await pipeline(csvFeed(ROWS, { bad: (i) => i % 250_000 === 0 }), createWriteStream(csv));
    b.report('yml_feed_size', (await stat(yml)).size / 2 ** 20, 'MiB');
    b.report('csv_size', (await stat(csv)).size / 2 ** 20, 'MiB');
    b.report('rss_before', process.memoryUsage().rss / 2 ** 20, 'MiB');
    const y = await peakRss(() => importProducts(made.database.db, systemClock, createReadStream(yml), { mode: 'upsert', format: 'yml' }));
    if (y.result.created + y.result.updated !== OFFERS - Math.floor(OFFERS / 50_000)) throw new Error(`yml: ${JSON.stringify({ ...y.result, errors: y.result.errors.slice(0, 3) })}`);
    b.report('yml_offers_per_second', OFFERS / y.seconds, 'offers/s');
    b.report('yml_peak_rss', y.peakMb, 'MiB');
    b.report('yml_failed', y.result.failed, 'offers');
    const c = await peakRss(() => importProducts(made.database.db, systemClock, createReadStream(csv), { mode: 'upsert', format: 'csv' }));
    if (c.result.created + c.result.updated !== ROWS - Math.floor(ROWS / 250_000)) throw new Error(`csv: ${JSON.stringify({ ...c.result, errors: c.result.errors.slice(0, 3) })}`);
    b.report('csv_rows_per_second', ROWS / c.seconds, 'rows/s');
    b.report('csv_peak_rss', c.peakMb, 'MiB');
    b.report('csv_failed', c.result.failed, 'rows');
  } finally {
    await made.drop();
    await rm(dir, { recursive: true, force: true });
  }
};
