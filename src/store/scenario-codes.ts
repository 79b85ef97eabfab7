import { sql } from 'kysely';
import type { Executor } from './db.js';
import { newId } from './ids.js';

/**
 * Promo codes for a whole batch of scenario steps at once, for the common case of a single-profile pool:
 * the same rules as promo.issueCode (a lock per pool and profile, the code a profile holds is kept, codes
 * past their TTL expire, the next available codes by `seq` are claimed with SKIP LOCKED, each issue and expiry
 * on the timeline), in four statements for the batch instead of five per profile. Whatever this does not
 * settle (no code left: generation, refusals) the caller hands to promo.issueCode one by one.
 */
export interface BulkIssued {
  code: string;
  expires_at: Date | null;
  existing: boolean;
}

export async function issueCodesBulk(ex: Executor, poolId: string, profileIds: string[], now: Date, expiresAt: Date | null): Promise<Map<string, BulkIssued>> {
  const out = new Map<string, BulkIssued>();
  const profiles = [...new Set(profileIds)];
  if (!profiles.length) return out;
  const keys = profiles.map((p) => `promo:${poolId}:${p}`);
  await sql`
    SELECT pg_advisory_xact_lock(k) FROM (
      SELECT hashtextextended(x, 0) AS k FROM unnest(${sql.val(keys)}::text[]) AS x ORDER BY 1
    ) s`.execute(ex);
  const held = await sql<{ profile_id: string; code: string; expires_at: Date | null }>`
    SELECT profile_id, code, expires_at FROM promo_codes
    WHERE pool_id = ${poolId}::uuid AND profile_id = ANY(${sql.val(profiles)}::uuid[]) AND status = 'issued'
      AND (expires_at IS NULL OR expires_at > ${now}::timestamptz)`.execute(ex);
  for (const h of held.rows) out.set(h.profile_id, { code: h.code, expires_at: h.expires_at, existing: true });
  const want = profiles.filter((p) => !out.has(p));
  if (!want.length) return out;
  await sql`
    WITH u AS (
      UPDATE promo_codes SET status = 'expired'
      WHERE pool_id = ${poolId}::uuid AND profile_id = ANY(${sql.val(want)}::uuid[]) AND status = 'issued' AND expires_at <= ${now}::timestamptz
      RETURNING *
    )
    INSERT INTO promo_code_events (id, profile_id, pool_id, code, kind, at, data)
    SELECT gen_random_uuid(), u.profile_id, u.pool_id, u.code, 'promo_code_expired', ${now}::timestamptz, '{}'::jsonb FROM u`.execute(ex);
  const ids = want.map(() => newId());
  const claimed = await sql<{ profile_id: string; code: string; expires_at: Date | null }>`
    WITH want AS (
      SELECT p, ev, n FROM unnest(${sql.val(want)}::uuid[], ${sql.val(ids)}::uuid[]) WITH ORDINALITY AS w(p, ev, n)
    ), free AS (
      SELECT code, seq FROM promo_codes WHERE pool_id = ${poolId}::uuid AND status = 'available'
      ORDER BY seq LIMIT ${want.length} FOR UPDATE SKIP LOCKED
    ), c AS (
      SELECT code, row_number() OVER (ORDER BY seq) AS n FROM free
    ), u AS (
      UPDATE promo_codes p SET status = 'issued', profile_id = want.p, issued_at = ${now}::timestamptz, expires_at = ${expiresAt}::timestamptz
      FROM c JOIN want ON want.n = c.n
      WHERE p.code = c.code AND p.status = 'available'
      RETURNING p.code, p.pool_id, p.profile_id, p.expires_at, want.ev
    ), e AS (
      INSERT INTO promo_code_events (id, profile_id, pool_id, code, kind, at, data)
      SELECT u.ev, u.profile_id, u.pool_id, u.code, 'promo_code_issued', ${now}::timestamptz, '{}'::jsonb FROM u
    )
    SELECT profile_id::text AS profile_id, code, expires_at FROM u`.execute(ex);
  for (const c of claimed.rows) out.set(c.profile_id, { code: c.code, expires_at: c.expires_at, existing: false });
  return out;
}
