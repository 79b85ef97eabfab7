import { fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pino from 'pino';
import { createApp } from '../app.js';
import { loadConfig } from '../config.js';
import { openDatabase, type Database } from '../store/db.js';
import { benchDatabase, BENCH_TOKEN, type Bench } from './harness.js';
import { COUNT, type ClientJob, type ClientMessage } from './promo-generate-client.js';

const mb = (bytes: number) => bytes / 2 ** 20;

/** Runs the client child with `job`; `onMessage` sees each of its messages; resolves when it is done. */
function client(job: ClientJob, onMessage: (m: ClientMessage) => void = () => undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = fork(new URL('./promo-generate-client.js', import.meta.url), { stdio: 'inherit' });
    child.on('message', (m: ClientMessage) => {
      onMessage(m);
      if (m.phase === 'done') resolve();
    });
    child.once('error', reject);
    child.once('exit', (code) => (code ? reject(new Error(`promo bench client exited with ${code}`)) : resolve()));
    child.send(job);
  });
}

/**
 * `npm run bench -- promo-generate [--db postgres]`: 1,000,000 `{symbol 10}` codes generated and persisted
 * unique through `POST /promo/pools/{id}/generate`; the 1M codes exported as CSV; a 1M-row CSV imported;
 * the in-memory draw rate against voucher-code-generator. The client runs in a child process, so the RSS
 * sampled here (every 50 ms; the peak of each phase) is the server's: API, worker and, on PGlite, the
 * embedded database, opened on a data folder another process initialised (as a server starts in production).
 */
export const promoGenerateBench: Bench = async (b) => {
  let database: Database;
  let drop: () => Promise<void>;
  if (b.db === 'pglite') {
    const dataDir = await mkdtemp(join(tmpdir(), 'retenta-bench-'));
    await client({ prepare: dataDir });
    database = await openDatabase({ dataDir });
    drop = async () => (await database.close(), await rm(dataDir, { recursive: true, force: true }));
  } else {
    const made = await benchDatabase('postgres');
    database = made.database;
    drop = made.drop;
  }
  const config = loadConfig({}, { port: 0, logLevel: 'silent', bootstrapToken: BENCH_TOKEN, poolSize: 16 });
  const app = await createApp({ config, database, log: pino({ level: 'silent' }) });
  const url = await app.listen();
  b.report('server_rss_after_start', mb(process.memoryUsage().rss), 'MB');
  let peak = 0;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const results = new Map<string, { seconds: number; result: Record<string, unknown>; peakMb: number }>();
  let rates: { ours: number; theirs: number | null } | null = null;
  try {
    await client({ url, token: BENCH_TOKEN, count: COUNT }, (m) => {
      if (m.phase === 'start') peak = process.memoryUsage().rss;
      if (m.phase === 'end') results.set(m.name, { seconds: m.seconds, result: m.result, peakMb: mb(Math.max(peak, process.memoryUsage().rss)) });
      if (m.phase === 'rates') rates = m;
    });
    const gen = results.get('generate')!;
    const poolId = gen.result.pool_id as string;
    const stored = await sql<{ n: number; d: number }>`SELECT count(*)::int AS n, count(DISTINCT code)::int AS d FROM promo_codes WHERE pool_id = ${poolId}::uuid`.execute(app.ctx.db);
    if (gen.result.generated !== COUNT || stored.rows[0].n !== COUNT || stored.rows[0].d !== COUNT)
      throw new Error(`expected ${COUNT} unique codes, got ${JSON.stringify(gen.result)} / ${JSON.stringify(stored.rows[0])}`);
    b.report('persist_1m_codes_seconds', gen.seconds, 's');
    b.report('persist_codes_per_second', COUNT / gen.seconds, 'codes/s');
    b.report('generate_1m_codes_server_peak_rss', gen.peakMb, 'MB');
    const exp = results.get('export')!;
    if (exp.result.lines !== COUNT + 1) throw new Error(`export wrote ${exp.result.lines} lines`);
    b.report('export_1m_codes_seconds', exp.seconds, 's');
    b.report('export_1m_codes_server_peak_rss', exp.peakMb, 'MB');
    const imp = results.get('import')!;
    if (imp.result.added !== COUNT) throw new Error(`import added ${JSON.stringify(imp.result)}`);
    b.report('import_1m_rows_seconds', imp.seconds, 's');
    b.report('import_1m_rows_server_peak_rss', imp.peakMb, 'MB');
    const r = rates as { ours: number; theirs: number | null } | null;
    if (r) {
      b.report('memory_codes_per_second', r.ours, 'codes/s');
      if (r.theirs !== null) {
        b.report('voucher_code_generator_codes_per_second', r.theirs, 'codes/s');
        b.report('memory_speedup_vs_voucher_code_generator', r.ours / r.theirs, 'x');
      }
    }
  } finally {
    clearInterval(timer);
    await app.stop();
    await drop();
  }
};
