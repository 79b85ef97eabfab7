import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createApp, type App } from '../app.js';
import { loadConfig, type Config } from '../config.js';
import { openDatabase, type Database } from '../store/db.js';
import { createScratchDatabase } from '../store/scratch.js';

export type BenchDb = 'pglite' | 'postgres';
export interface BenchContext {
  db: BenchDb;
  /** Prints one figure as a JSON line: `{bench, metric, value, unit, db}`. */
  report(metric: string, value: number, unit: string): void;
  /** `--scale` (default 1): benches that generate data multiply their volumes by it. */
  scale?: number;
}
export type Bench = (b: BenchContext) => Promise<void>;

export const BENCH_TOKEN = 'bench-admin-token-0123456789';

/** A throw-away database of the chosen kind: a PGlite folder in tmp, or a random database on the server. */
export async function benchDatabase(kind: BenchDb): Promise<{ database: Database; url?: string; dataDir?: string; drop(): Promise<void> }> {
  if (kind === 'pglite') {
    const dataDir = await mkdtemp(join(tmpdir(), 'retenta-bench-'));
    const database = await openDatabase({ dataDir });
    return { database, dataDir, drop: async () => (await database.close(), await rm(dataDir, { recursive: true, force: true })) };
  }
  const base = process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const scratch = await createScratchDatabase(base, 'retenta_bench');
  const database = await openDatabase({ databaseUrl: scratch.url, poolSize: 16 });
  return { database, url: scratch.url, drop: async () => (await database.close(), await scratch.drop()) };
}

/** A whole Retenta process (API + worker) on a bench database, listening on a free loopback port. */
export async function benchApp(kind: BenchDb, overrides: Partial<Config> = {}): Promise<{ app: App; url: string; databaseUrl?: string; close(): Promise<void> }> {
  const made = await benchDatabase(kind);
  const config = loadConfig({}, { port: 0, logLevel: 'silent', bootstrapToken: BENCH_TOKEN, poolSize: 16, ...overrides });
  const app = await createApp({ config, database: made.database, log: pino({ level: 'silent' }) });
  const url = await app.listen();
  return { app, url, databaseUrl: made.url, close: async () => (await app.stop(), await made.drop()) };
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
