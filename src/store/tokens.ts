import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Db, Executor } from './db.js';
import { newId } from './ids.js';

export type Scope = 'admin' | 'write' | 'read';
export interface TokenRecord {
  id: string;
  name: string;
  scopes: Scope[];
  created_at: Date;
  last_used_at: Date | null;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function generateTokenValue(): string {
  return `rt_${randomBytes(32).toString('base64url')}`;
}

export async function createToken(ex: Executor, name: string, scopes: Scope[], now: Date, value = generateTokenValue()) {
  const id = newId();
  await ex
    .insertInto('api_tokens')
    .values({ id, name, scopes, token_hash: hashToken(value), created_at: now })
    .execute();
  return { id, name, scopes, token: value, created_at: now };
}

const COLUMNS = ['id', 'name', 'scopes', 'created_at', 'last_used_at'] as const;

export async function findTokenByValue(ex: Executor, value: string): Promise<TokenRecord | undefined> {
  return (await ex
    .selectFrom('api_tokens')
    .select(COLUMNS)
    .where('token_hash', '=', hashToken(value))
    .executeTakeFirst()) as TokenRecord | undefined;
}

export async function listTokens(ex: Executor, limit: number, after?: string): Promise<TokenRecord[]> {
  let q = ex.selectFrom('api_tokens').select(COLUMNS).orderBy('id').limit(limit);
  if (after) q = q.where('id', '>', after);
  return (await q.execute()) as TokenRecord[];
}

export async function deleteToken(ex: Executor, id: string): Promise<boolean> {
  const r = await ex.deleteFrom('api_tokens').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export async function touchToken(ex: Executor, id: string, now: Date): Promise<void> {
  await ex.updateTable('api_tokens').set({ last_used_at: now }).where('id', '=', id).execute();
}

/**
 * The first admin token: created only while no token exists, under a lock so that several processes
 * starting at once against one server create one. Returns the value when this call created it.
 */
export async function ensureBootstrapToken(db: Db, now: Date, value?: string): Promise<string | null> {
  return db.transaction().execute(async (tx) => {
    await sql`SELECT pg_advisory_xact_lock(7266483002)`.execute(tx);
    const any = await tx.selectFrom('api_tokens').select('id').limit(1).executeTakeFirst();
    if (any) return null;
    const created = await createToken(tx, 'bootstrap', ['admin'], now, value);
    return created.token;
  });
}
