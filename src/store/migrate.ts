import { sql } from 'kysely';
import type { Db } from './db.js';
import { migrations } from './migrations/index.js';
import { splitStatements } from './sql-split.js';

/** A fixed advisory lock id so that concurrent processes starting against one server migrate one at a time. */
const MIGRATION_LOCK = 7_266_483_001;

export async function migrate(db: Db, now: Date): Promise<string[]> {
  const applied: string[] = [];
  await db.transaction().execute(async (tx) => {
    await sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`.execute(tx);
    await sql`CREATE TABLE IF NOT EXISTS retenta_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL)`.execute(tx);
    const done = new Set((await tx.selectFrom('retenta_migrations').select('name').execute()).map((r) => r.name));
    for (const m of migrations) {
      if (done.has(m.name)) continue;
      for (const stmt of splitStatements(m.sql)) await sql.raw(stmt).execute(tx);
      await tx.insertInto('retenta_migrations').values({ name: m.name, applied_at: now }).execute();
      applied.push(m.name);
    }
  });
  return applied;
}

/** True when every migration this build knows is applied. */
export async function migrationsCurrent(db: Db): Promise<boolean> {
  const rows = await db.selectFrom('retenta_migrations').select('name').execute();
  const done = new Set(rows.map((r) => r.name));
  return migrations.every((m) => done.has(m.name));
}
