import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PGliteDialect, PostgresDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import type { DB } from './schema.js';

export type Db = Kysely<DB>;
export type Tx = Transaction<DB>;
/** Either the database or an open transaction: store functions accept both so callers choose the boundary. */
export type Executor = Kysely<DB> | Transaction<DB>;

export interface DatabaseConfig {
  /** `postgres://…` for a server; absent for the embedded PGlite. */
  databaseUrl?: string;
  /** PGlite data folder; `null` keeps the database in memory (tests, simulations). */
  dataDir?: string | null;
  poolSize?: number;
}

export interface Database {
  db: Db;
  kind: 'pglite' | 'postgres';
  /** Wakes listeners of `channel` in every process attached to this database (in-process on PGlite). */
  notify(channel: string, payload?: string): Promise<void>;
  listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

const INT8_OID = 20;

export async function openDatabase(config: DatabaseConfig): Promise<Database> {
  return config.databaseUrl ? openPostgres(config.databaseUrl, config.poolSize ?? 10) : openPglite(config.dataDir ?? null);
}

async function openPglite(dataDir: string | null): Promise<Database> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const pglite = new PGlite(dataDir ?? undefined, { parsers: { [INT8_OID]: (v: string) => Number(v) } });
  await pglite.waitReady;
  const db = new Kysely<DB>({ dialect: new PGliteDialect({ pglite }) });
  const local = new EventEmitter();
  local.setMaxListeners(0);
  return {
    db,
    kind: 'pglite',
    async notify(channel, payload = '') {
      local.emit(channel, payload);
    },
    async listen(channel, onMessage) {
      local.on(channel, onMessage);
      return async () => {
        local.off(channel, onMessage);
      };
    },
    async close() {
      local.removeAllListeners();
      await db.destroy();
    },
  };
}

async function openPostgres(url: string, poolSize: number): Promise<Database> {
  const types = {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
  };
  const pool = new pg.Pool({ connectionString: url, max: poolSize, types });
  // An idle client that loses its server emits here; without a handler the process would crash.
  pool.on('error', () => undefined);
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  let listener: pg.Client | null = null;
  const handlers = new Map<string, Set<(payload: string) => void>>();

  async function listenerClient(): Promise<pg.Client> {
    if (listener) return listener;
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => undefined);
    await client.connect();
    client.on('notification', (msg) => {
      for (const h of handlers.get(msg.channel) ?? []) h(msg.payload ?? '');
    });
    listener = client;
    return client;
  }

  return {
    db,
    kind: 'postgres',
    async notify(channel, payload = '') {
      await sql`SELECT pg_notify(${channel}, ${payload})`.execute(db);
    },
    async listen(channel, onMessage) {
      const client = await listenerClient();
      let set = handlers.get(channel);
      if (!set) {
        set = new Set();
        handlers.set(channel, set);
        await client.query(`LISTEN "${channel.replace(/"/g, '')}"`);
      }
      set.add(onMessage);
      return async () => {
        set.delete(onMessage);
      };
    },
    async close() {
      const l = listener;
      listener = null;
      if (l) await l.end().catch(() => undefined);
      await db.destroy();
    },
  };
}

/** Gives this transaction's big sorts and hashes (segment membership, RFM scores) room in memory. */
export async function allowLargeSorts(tx: Tx): Promise<void> {
  await sql`SET LOCAL work_mem = '64MB'`.execute(tx);
}

/** Runs `fn` inside a savepoint: when it throws, what it wrote is undone and the transaction stays usable. */
export async function inSavepoint<T>(tx: Tx, name: string, fn: () => Promise<T>): Promise<T> {
  await sql`SAVEPOINT ${sql.id(name)}`.execute(tx);
  try {
    const r = await fn();
    await sql`RELEASE SAVEPOINT ${sql.id(name)}`.execute(tx);
    return r;
  } catch (e) {
    await sql`ROLLBACK TO SAVEPOINT ${sql.id(name)}`.execute(tx);
    throw e;
  }
}

/** Answers when the database does. */
export async function ping(ex: Executor): Promise<void> {
  await sql`SELECT 1`.execute(ex);
}
