import pg from 'pg';
import { openDatabase, type Database } from '../../src/store/db.js';
import { createScratchDatabase } from '../../src/store/scratch.js';

/** Where a suite can run: the embedded PGlite always, a PostgreSQL server when one answers. */
export interface DbTarget {
  name: 'pglite' | 'postgres';
  available: boolean;
  reason?: string;
  /** A fresh, empty database of this kind, and how to drop it afterwards. */
  create(): Promise<{ database: Database; url?: string; drop(): Promise<void> }>;
}

export const requireServices = process.env.RETENTA_TEST_REQUIRE_SERVICES === '1';
export const serverUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function probe(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (err) {
    return (err as Error).message || String(err);
  } finally {
    await client.end().catch(() => undefined);
  }
}

const pgProblem = await probe(serverUrl);

export const pgliteTarget: DbTarget = {
  name: 'pglite',
  available: true,
  async create() {
    const database = await openDatabase({ dataDir: null });
    return { database, drop: async () => database.close() };
  },
};

/** Makes a randomly named database on the server; `drop` closes every connection and drops it. */
export const createServerDatabase = () => createScratchDatabase(serverUrl, 'retenta_test');

export const postgresTarget: DbTarget = {
  name: 'postgres',
  available: pgProblem === null,
  reason: pgProblem ? `PostgreSQL at ${serverUrl} is not reachable (${pgProblem})` : undefined,
  async create() {
    const server = await createServerDatabase();
    const database = await openDatabase({ databaseUrl: server.url, poolSize: 10 });
    return {
      database,
      url: server.url,
      async drop() {
        await database.close();
        await server.drop();
      },
    };
  },
};

export const targets: DbTarget[] = [pgliteTarget, postgresTarget];
