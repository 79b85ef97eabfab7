import { sql } from 'kysely';
import type { Executor } from './db.js';

export interface IdempotencyClaim {
  tokenId: string;
  key: string;
  method: string;
  path: string;
  bodyHash: string;
  now: Date;
  expiresAt: Date;
}

export type StoredResponse = { statusCode: number; headers: Record<string, string>; body: string };
export type ClaimResult =
  | { kind: 'claimed' }
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'mismatch' }
  | { kind: 'in-progress' };

/** Claims a key with one insert; a second request with the key sees the first one's record instead. */
export async function claimIdempotencyKey(ex: Executor, c: IdempotencyClaim): Promise<ClaimResult> {
  const inserted = await ex
    .insertInto('idempotency_keys')
    .values({
      token_id: c.tokenId,
      key: c.key,
      method: c.method,
      path: c.path,
      body_hash: c.bodyHash,
      created_at: c.now,
      expires_at: c.expiresAt,
    })
    .onConflict((oc) => oc.columns(['token_id', 'key']).doNothing())
    .returning('key')
    .executeTakeFirst();
  if (inserted) return { kind: 'claimed' };
  const row = await ex
    .selectFrom('idempotency_keys')
    .selectAll()
    .where('token_id', '=', c.tokenId)
    .where('key', '=', c.key)
    .executeTakeFirst();
  if (!row) return claimIdempotencyKey(ex, c); // expired and removed in between: claim afresh
  if (row.body_hash !== c.bodyHash || row.method !== c.method || row.path !== c.path) return { kind: 'mismatch' };
  if (row.status_code === null) return { kind: 'in-progress' };
  return {
    kind: 'replay',
    response: { statusCode: row.status_code, headers: row.response_headers ?? {}, body: row.response_body ?? '' },
  };
}

export async function completeIdempotencyKey(ex: Executor, tokenId: string, key: string, response: StoredResponse) {
  await ex
    .updateTable('idempotency_keys')
    .set({
      status_code: response.statusCode,
      response_headers: JSON.stringify(response.headers),
      response_body: response.body,
    })
    .where('token_id', '=', tokenId)
    .where('key', '=', key)
    .execute();
}

export async function releaseIdempotencyKey(ex: Executor, tokenId: string, key: string) {
  await ex.deleteFrom('idempotency_keys').where('token_id', '=', tokenId).where('key', '=', key).execute();
}

/** Deletes up to `limit` expired records, skipping rows another worker holds; returns how many went. */
export async function deleteExpiredIdempotencyKeys(ex: Executor, now: Date, limit: number): Promise<number> {
  const r = await sql`
    DELETE FROM idempotency_keys WHERE (token_id, key) IN (
      SELECT token_id, key FROM idempotency_keys WHERE expires_at <= ${now}
      ORDER BY expires_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)`.execute(ex);
  return Number(r.numAffectedRows ?? 0);
}
