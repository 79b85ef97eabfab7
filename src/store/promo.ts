import { sql } from 'kysely';
import type { Generator, PoolSettings } from '../domain/promo/pool.js';
import type { Executor } from './db.js';
import { newId } from './ids.js';
import type { TimelineEntry } from './timeline.js';

/**
 * Promo pools and codes. Every transition of a code is one conditional UPDATE (the WHERE clause carries
 * the rule), so two requests racing for one code cannot both win; each writes its profile-timeline row in
 * the same statement (a data-modifying CTE).
 */
export interface Pool extends PoolSettings {
  id: string;
  status: 'active' | 'paused';
  /** Codes the pool holds, deleted ones included (moved only by reserveCodes, acceptStored, releaseReserved). */
  codes_total: number;
  created_at: Date;
  updated_at: Date;
}

export interface CodeRow {
  code: string;
  pool_id: string;
  status: string;
  profile_id: string | null;
  issued_at: Date | null;
  expires_at: Date | null;
  redeemed_at: Date | null;
  order_id: string | null;
  fields: Record<string, unknown> | null;
  seq: number;
}

type PoolDbRow = Omit<Pool, 'generator' | 'custom_fields' | 'max_codes' | 'codes_total'> & {
  generator: unknown;
  custom_fields: unknown;
  max_codes: number | string | null;
  codes_total: number | string;
};
const toPool = (r: PoolDbRow): Pool => ({
  ...r,
  generator: (r.generator ?? null) as Generator,
  custom_fields: (r.custom_fields ?? []) as string[],
  max_codes: r.max_codes === null ? null : Number(r.max_codes),
  codes_total: Number(r.codes_total ?? 0),
});

const poolValues = (s: Partial<PoolSettings>) => {
  const out: Record<string, unknown> = { ...s };
  if ('generator' in s) out.generator = s.generator === null ? null : JSON.stringify(s.generator);
  if ('custom_fields' in s) out.custom_fields = JSON.stringify(s.custom_fields ?? []);
  return out;
};

/** Creates a pool; undefined when its template_name is taken (compared case-insensitively). */
export async function createPool(ex: Executor, s: PoolSettings, now: Date): Promise<Pool | undefined> {
  const row = await ex
    .insertInto('promo_pools')
    .values({ id: newId(), ...poolValues(s), status: 'active', created_at: now, updated_at: now } as never)
    .onConflict((oc) => oc.expression(sql`lower(template_name)`).doNothing())
    .returningAll()
    .executeTakeFirst();
  return row ? toPool(row as unknown as PoolDbRow) : undefined;
}

export async function getPool(ex: Executor, id: string): Promise<Pool | undefined> {
  const row = await ex.selectFrom('promo_pools').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toPool(row as unknown as PoolDbRow) : undefined;
}

export async function listPools(ex: Executor, limit: number, after?: string): Promise<Pool[]> {
  let q = ex.selectFrom('promo_pools').selectAll().orderBy('id').limit(limit);
  if (after) q = q.where('id', '>', after);
  return (await q.execute()).map((r) => toPool(r as unknown as PoolDbRow));
}

export async function templateNameTaken(ex: Executor, name: string, exceptId: string): Promise<boolean> {
  const row = await ex
    .selectFrom('promo_pools')
    .select('id')
    .where(sql<boolean>`lower(template_name) = lower(${name})`)
    .where('id', '<>', exceptId)
    .executeTakeFirst();
  return !!row;
}

export async function updatePool(ex: Executor, id: string, patch: Partial<PoolSettings> & { status?: Pool['status'] }, now: Date) {
  const row = await ex
    .updateTable('promo_pools')
    .set({ ...poolValues(patch), updated_at: now } as never)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  return row ? toPool(row as unknown as PoolDbRow) : undefined;
}

/** How many codes the pool holds, deleted ones included (they keep their place in the template's space). */
export async function countCodes(ex: Executor, poolId: string): Promise<number> {
  const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM promo_codes WHERE pool_id = ${poolId}`.execute(ex);
  return Number(r.rows[0].n);
}

/**
 * Inserts codes in one statement, sorted so that the unique index is filled in order; a code that exists
 * in any pool is skipped. Returns how many landed, and which when `returning` is asked.
 */
export async function insertCodes(
  ex: Executor,
  poolId: string,
  codes: string[],
  now: Date,
  opts: { fields?: (Record<string, unknown> | null)[] | Record<string, unknown> | null; returning?: boolean } = {},
): Promise<{ inserted: number; codes?: string[] }> {
  if (!codes.length) return { inserted: 0, codes: [] };
  let perCode: (string | null)[] | null = null;
  let shared: string | null = null;
  if (Array.isArray(opts.fields)) {
    const order = codes.map((_, i) => i).sort((a, b) => (codes[a] < codes[b] ? -1 : codes[a] > codes[b] ? 1 : 0));
    const f = opts.fields;
    codes = order.map((i) => codes[i]);
    perCode = order.map((i) => (f[i] && Object.keys(f[i]!).length ? JSON.stringify(f[i]) : null));
  } else {
    // generation hands them over sorted already; a file's codes come in any order
    let sorted = true;
    for (let i = 1; i < codes.length && sorted; i++) sorted = codes[i - 1] < codes[i];
    if (!sorted) codes = [...codes].sort();
    shared = opts.fields && Object.keys(opts.fields).length ? JSON.stringify(opts.fields) : null;
  }
  const source = perCode
    ? sql`unnest(${codes}::text[], ${perCode}::jsonb[]) AS t(code, fields)`
    : sql`unnest(${codes}::text[]) AS t(code)`;
  const fieldsExpr = perCode ? sql`t.fields` : sql`${shared}::jsonb`;
  const returning = opts.returning ? sql`RETURNING code` : sql``;
  const r = await sql<{ code: string }>`
    INSERT INTO promo_codes (code, pool_id, fields, created_at)
    SELECT t.code, ${poolId}::uuid, ${fieldsExpr}, ${now}::timestamptz FROM ${source}
    ON CONFLICT (code) DO NOTHING ${returning}`.execute(ex);
  return { inserted: Number(r.numAffectedRows ?? r.rows.length), codes: opts.returning ? r.rows.map((x) => x.code) : undefined };
}

/** Inserts one code already issued to a profile (generate-on-issue); undefined when the code exists. */
export async function insertIssuedCode(
  ex: Executor,
  poolId: string,
  code: string,
  profileId: string,
  now: Date,
  expiresAt: Date | null,
  fields: Record<string, unknown> | null = null,
): Promise<CodeRow | undefined> {
  const f = fields && Object.keys(fields).length ? JSON.stringify(fields) : null;
  const r = await sql<CodeRow>`
    WITH u AS (
      INSERT INTO promo_codes (code, pool_id, status, profile_id, issued_at, expires_at, fields, created_at)
      VALUES (${code}, ${poolId}::uuid, 'issued', ${profileId}::uuid, ${now}::timestamptz, ${expiresAt}::timestamptz, ${f}::jsonb, ${now}::timestamptz)
      ON CONFLICT (code) DO NOTHING RETURNING *
    ), e AS (${timelineInsert('promo_code_issued', now, sql`u.profile_id`, { generated: true })})
    SELECT * FROM u`.execute(ex);
  return r.rows[0];
}

/**
 * A CTE body appending one timeline row per row of `u`. Ids are UUIDv7 made here, so that entries of one
 * instant keep the order they happened in; rows past `ids` (not expected) get a random id.
 */
function timelineInsert(kind: string, now: Date, profile: ReturnType<typeof sql>, data: Record<string, unknown> = {}, ids = 1) {
  const made = Array.from({ length: ids }, () => newId());
  return sql`INSERT INTO promo_code_events (id, profile_id, pool_id, code, kind, at, data)
    SELECT coalesce((${made}::uuid[])[row_number() OVER ()], gen_random_uuid()), ${profile}, u.pool_id, u.code, ${kind},
      ${now}::timestamptz, ${JSON.stringify(data)}::jsonb
    FROM u WHERE ${profile} IS NOT NULL`;
}

/** Serialises issuing to one profile in one pool until the transaction ends (so a profile never gets two codes). */
export async function lockProfileInPool(ex: Executor, poolId: string, profileId: string): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`promo:${poolId}:${profileId}`}, 0))`.execute(ex);
}

/** The profile's live code in a (single-profile) pool. */
export async function profileCode(ex: Executor, poolId: string, profileId: string, now: Date): Promise<CodeRow | undefined> {
  const r = await sql<CodeRow>`
    SELECT * FROM promo_codes WHERE pool_id = ${poolId}::uuid AND profile_id = ${profileId}::uuid AND status = 'issued'
      AND (expires_at IS NULL OR expires_at > ${now}::timestamptz) LIMIT 1`.execute(ex);
  return r.rows[0];
}

/** Marks the profile's codes in the pool whose TTL ran out as expired. */
export async function expireProfileCodes(ex: Executor, poolId: string, profileId: string, now: Date): Promise<void> {
  await sql`
    WITH u AS (
      UPDATE promo_codes SET status = 'expired' WHERE pool_id = ${poolId}::uuid AND profile_id = ${profileId}::uuid
        AND status = 'issued' AND expires_at <= ${now}::timestamptz RETURNING *
    ) ${timelineInsert('promo_code_expired', now, sql`u.profile_id`)}`.execute(ex);
}

/**
 * Issue: claims the next available code of the pool for the profile. SKIP LOCKED lets parallel issues
 * take different codes instead of queueing on one; the UPDATE re-checks `available`.
 */
export async function claimAvailableCode(ex: Executor, poolId: string, profileId: string, now: Date, expiresAt: Date | null) {
  const r = await sql<CodeRow>`
    WITH c AS (
      SELECT code FROM promo_codes WHERE pool_id = ${poolId}::uuid AND status = 'available'
      ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED
    ), u AS (
      UPDATE promo_codes p SET status = 'issued', profile_id = ${profileId}::uuid, issued_at = ${now}::timestamptz,
        expires_at = ${expiresAt}::timestamptz
      FROM c WHERE p.code = c.code AND p.status = 'available' RETURNING p.*
    ), e AS (${timelineInsert('promo_code_issued', now, sql`u.profile_id`)})
    SELECT * FROM u`.execute(ex);
  return r.rows[0];
}

/** Shared (multi_profile) pools: the profile's holding of one of the pool's codes. */
export async function profileHolding(ex: Executor, poolId: string, profileId: string, now: Date) {
  const r = await sql<{ code: string; expires_at: Date | null }>`
    SELECT code, expires_at FROM promo_code_holders WHERE pool_id = ${poolId}::uuid AND profile_id = ${profileId}::uuid
      AND (expires_at IS NULL OR expires_at > ${now}::timestamptz)
    ORDER BY issued_at DESC LIMIT 1`.execute(ex);
  return r.rows[0];
}

/** Shared pools: hands the first active code of the pool to the profile; undefined when the pool has none. */
export async function holdFirstSharedCode(ex: Executor, poolId: string, profileId: string, now: Date, expiresAt: Date | null) {
  const r = await sql<{ code: string; expires_at: Date | null; pool_id: string }>`
    WITH c AS (
      SELECT code FROM promo_codes WHERE pool_id = ${poolId}::uuid AND status IN ('available', 'issued')
      ORDER BY seq LIMIT 1
    ), s AS (
      UPDATE promo_codes p SET status = 'issued', issued_at = coalesce(p.issued_at, ${now}::timestamptz)
      FROM c WHERE p.code = c.code AND p.status = 'available'
    ), u AS (
      INSERT INTO promo_code_holders (code, profile_id, pool_id, issued_at, expires_at)
      SELECT c.code, ${profileId}::uuid, ${poolId}::uuid, ${now}::timestamptz, ${expiresAt}::timestamptz FROM c
      ON CONFLICT (code, profile_id) DO UPDATE SET issued_at = excluded.issued_at, expires_at = excluded.expires_at,
        redeemed_at = NULL, order_id = NULL
      RETURNING code, expires_at, pool_id, profile_id
    ), e AS (${timelineInsert('promo_code_issued', now, sql`u.profile_id`, { shared: true })})
    SELECT code, expires_at, pool_id FROM u`.execute(ex);
  return r.rows[0];
}

/** Redeem of a profile's code: one conditional UPDATE; undefined when a rule refused it (see `redeemRefusal`). */
export async function redeemOwnCode(ex: Executor, code: string, profileId: string, orderId: string | null, now: Date) {
  const r = await sql<CodeRow>`
    WITH u AS (
      UPDATE promo_codes SET status = 'redeemed', redeemed_at = ${now}::timestamptz, order_id = ${orderId}
      WHERE code = ${code} AND status = 'issued' AND profile_id = ${profileId}::uuid
        AND (expires_at IS NULL OR expires_at > ${now}::timestamptz)
        AND pool_id IN (SELECT id FROM promo_pools WHERE status = 'active' AND NOT multi_profile)
      RETURNING *
    ), e AS (${timelineInsert('promo_code_redeemed', now, sql`u.profile_id`, { order_id: orderId })})
    SELECT * FROM u`.execute(ex);
  return r.rows[0];
}

export async function redeemSharedCode(ex: Executor, code: string, profileId: string, orderId: string | null, now: Date) {
  const r = await sql<{ code: string; pool_id: string; profile_id: string }>`
    WITH u AS (
      UPDATE promo_code_holders SET redeemed_at = ${now}::timestamptz, order_id = ${orderId}
      WHERE code = ${code} AND profile_id = ${profileId}::uuid AND redeemed_at IS NULL
        AND (expires_at IS NULL OR expires_at > ${now}::timestamptz)
        AND pool_id IN (SELECT id FROM promo_pools WHERE status = 'active')
      RETURNING code, pool_id, profile_id
    ), e AS (${timelineInsert('promo_code_redeemed', now, sql`u.profile_id`, { order_id: orderId, shared: true })})
    SELECT * FROM u`.execute(ex);
  return r.rows[0];
}

export async function sharedHolding(ex: Executor, code: string, profileId: string) {
  return ex
    .selectFrom('promo_code_holders')
    .selectAll()
    .where('code', '=', code)
    .where('profile_id', '=', profileId)
    .executeTakeFirst();
}

/** Release: a redeemed code goes back to issued (the order was canceled). With `orderId`, only that order's redemption. */
export async function releaseOwnCode(ex: Executor, code: string, orderId: string | null, now: Date) {
  const r = await sql<CodeRow>`
    WITH u AS (
      UPDATE promo_codes SET status = 'issued', redeemed_at = NULL, order_id = NULL
      WHERE code = ${code} AND status = 'redeemed' AND (${orderId}::text IS NULL OR order_id = ${orderId})
      RETURNING *
    ), e AS (${timelineInsert('promo_code_released', now, sql`u.profile_id`, { order_id: orderId })})
    SELECT * FROM u`.execute(ex);
  return r.rows[0];
}

export async function releaseSharedCode(ex: Executor, code: string, profileId: string | null, orderId: string | null, now: Date) {
  const r = await sql<{ code: string }>`
    WITH u AS (
      UPDATE promo_code_holders SET redeemed_at = NULL, order_id = NULL
      WHERE code = ${code} AND redeemed_at IS NOT NULL
        AND (${profileId}::uuid IS NULL OR profile_id = ${profileId}::uuid) AND (${orderId}::text IS NULL OR order_id = ${orderId})
      RETURNING code, pool_id, profile_id
    ), e AS (${timelineInsert('promo_code_released', now, sql`u.profile_id`, { order_id: orderId, shared: true }, 4)})
    SELECT code FROM u`.execute(ex);
  return r.rows.length;
}

/** Detach: an issued, unredeemed, unexpired code loses its profile and becomes available. */
/** The codes an order redeemed: own codes and shares of multi-profile codes. */
export async function codesRedeemedByOrder(ex: Executor, orderId: string): Promise<{ code: string; profile_id: string | null }[]> {
  const r = await sql<{ code: string; profile_id: string | null }>`
    SELECT code, profile_id FROM promo_codes WHERE order_id = ${orderId} AND status = 'redeemed'
    UNION ALL
    SELECT code, profile_id FROM promo_code_holders WHERE order_id = ${orderId} AND redeemed_at IS NOT NULL`.execute(ex);
  return r.rows;
}

export async function detachOwnCode(ex: Executor, code: string, now: Date) {
  const r = await sql<CodeRow>`
    WITH o AS (SELECT code, profile_id FROM promo_codes WHERE code = ${code} FOR UPDATE),
    u AS (
      UPDATE promo_codes p SET status = 'available', profile_id = NULL, issued_at = NULL, expires_at = NULL
      FROM o WHERE p.code = o.code AND p.status = 'issued' AND (p.expires_at IS NULL OR p.expires_at > ${now}::timestamptz)
      RETURNING p.code, p.pool_id, o.profile_id
    ), e AS (${timelineInsert('promo_code_detached', now, sql`u.profile_id`)})
    SELECT * FROM u`.execute(ex);
  return r.rows[0];
}

export async function detachSharedCode(ex: Executor, code: string, profileId: string, now: Date) {
  const r = await sql<{ code: string }>`
    WITH u AS (
      DELETE FROM promo_code_holders WHERE code = ${code} AND profile_id = ${profileId}::uuid AND redeemed_at IS NULL
      RETURNING code, pool_id, profile_id
    ), e AS (${timelineInsert('promo_code_detached', now, sql`u.profile_id`, { shared: true })})
    SELECT code FROM u`.execute(ex);
  return r.rows.length;
}

/** Delete: an available or issued (unredeemed) code of the pool becomes `deleted`; its row stays so the code is never reused. */
export async function deleteCode(ex: Executor, poolId: string, code: string, now: Date) {
  const r = await sql<{ code: string }>`
    WITH o AS (SELECT code, profile_id FROM promo_codes WHERE code = ${code} AND pool_id = ${poolId}::uuid FOR UPDATE),
    u AS (
      UPDATE promo_codes p SET status = 'deleted'
      FROM o WHERE p.code = o.code AND p.status IN ('available', 'issued', 'expired')
      RETURNING p.code, p.pool_id, o.profile_id
    ), e AS (${timelineInsert('promo_code_deleted', now, sql`u.profile_id`)})
    SELECT code FROM u`.execute(ex);
  return r.rows.length > 0;
}

export async function getCode(ex: Executor, code: string): Promise<CodeRow | undefined> {
  return (await ex.selectFrom('promo_codes').selectAll().where('code', '=', code).executeTakeFirst()) as CodeRow | undefined;
}

/** A page of the pool's codes in creation order; `expired` also finds issued codes past their TTL. */
export async function listCodes(ex: Executor, poolId: string, status: string | undefined, now: Date, limit: number, afterSeq?: number) {
  let q = ex.selectFrom('promo_codes').selectAll().where('pool_id', '=', poolId).orderBy('seq').limit(limit);
  if (status === 'expired')
    q = q.where((eb) => eb.or([eb('status', '=', 'expired'), eb.and([eb('status', '=', 'issued'), eb('expires_at', '<=', now)])]));
  else if (status === 'issued') q = q.where('status', '=', 'issued').where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]));
  else if (status) q = q.where('status', '=', status);
  if (afterSeq !== undefined) q = q.where('seq', '>', afterSeq);
  return (await q.execute()) as CodeRow[];
}

/** Pages through a pool's codes for export, joined with the profile each is issued to (keyset, constant memory). */
export async function exportPage(ex: Executor, poolId: string, afterSeq: number, limit: number) {
  const r = await sql<CodeRow & { email: string | null; phone: string | null; external_id: string | null; profile_fields: Record<string, unknown> | null }>`
    SELECT c.*, p.email, p.phone, p.external_id, p.fields AS profile_fields
    FROM (SELECT * FROM promo_codes WHERE pool_id = ${poolId}::uuid AND seq > ${afterSeq} ORDER BY seq LIMIT ${limit}) c
    LEFT JOIN profiles p ON p.id = c.profile_id
    ORDER BY c.seq`.execute(ex);
  return r.rows;
}

/** Timeline source: what happened to the profile's promo codes. */
export async function promoTimeline(ex: Executor, profileId: string, before: TimelineEntry | null, limit: number): Promise<TimelineEntry[]> {
  let q = ex
    .selectFrom('promo_code_events')
    .selectAll()
    .where('profile_id', '=', profileId)
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit);
  if (before) {
    const at = new Date(before.at);
    q = q.where((eb) => eb.or([eb('at', '<', at), eb.and([eb('at', '=', at), eb('id', '<', before.id)])]));
  }
  return (await q.execute()).map((r) => ({
    id: r.id,
    at: new Date(r.at).toISOString(),
    kind: r.kind,
    title: `${r.kind.replace(/^promo_code_/, 'promo code ')}: ${r.code}`,
    data: { ...(r.data as object), code: r.code, pool_id: r.pool_id },
  }));
}

export async function getPoolByTemplateName(ex: Executor, name: string): Promise<Pool | undefined> {
  const row = await ex.selectFrom('promo_pools').selectAll().where(sql<boolean>`lower(template_name) = lower(${name})`).executeTakeFirst();
  return row ? toPool(row as unknown as PoolDbRow) : undefined;
}

/**
 * Marks issued codes whose TTL has run out as `expired` (up to `limit`, skipping rows another worker holds),
 * each with its timeline entry. Returns how many it marked.
 */
export async function expireDueCodes(ex: Executor, now: Date, limit: number): Promise<number> {
  const r = await sql<{ n: number }>`
    WITH c AS (
      SELECT code FROM promo_codes WHERE status = 'issued' AND expires_at <= ${now}::timestamptz
      ORDER BY expires_at LIMIT ${limit} FOR UPDATE SKIP LOCKED
    ), u AS (
      UPDATE promo_codes p SET status = 'expired' FROM c WHERE p.code = c.code AND p.status = 'issued' RETURNING p.*
    ), e AS (${timelineInsert('promo_code_expired', now, sql`u.profile_id`, {}, limit)})
    SELECT count(*)::int AS n FROM u`.execute(ex);
  return Number(r.rows[0].n);
}

/**
 * Makes room for `n` more codes in the pool's counter: one conditional UPDATE, so that racing generations
 * and generate-on-issue never pass `max_codes` nor more than half of the template's free space
 * (`capacity`, null without a template). Returns the new total, or undefined when the room is not there.
 * Inside a transaction the pool row stays locked until it ends (a rollback gives the room back).
 */
export async function reserveCodes(ex: Executor, poolId: string, n: number, capacity: bigint | null): Promise<number | undefined> {
  const cap = capacity === null ? null : capacity.toString();
  const r = await sql<{ codes_total: number }>`
    UPDATE promo_pools SET codes_total = codes_total + ${n}::bigint
    WHERE id = ${poolId}::uuid AND (max_codes IS NULL OR codes_total + ${n}::bigint <= max_codes)
      AND (${cap}::numeric IS NULL OR ${2 * n}::numeric <= ${cap}::numeric - codes_total)
    RETURNING codes_total`.execute(ex);
  return r.rows[0] === undefined ? undefined : Number(r.rows[0].codes_total);
}

/** Gives back room reserved for codes that were not made (collisions, a remote service that stopped). */
export async function releaseReserved(ex: Executor, poolId: string, n: number): Promise<void> {
  if (n > 0) await sql`UPDATE promo_pools SET codes_total = greatest(0, codes_total - ${n}::bigint) WHERE id = ${poolId}::uuid`.execute(ex);
}

/**
 * Counts `k` codes just stored in the pool, as many as `max_codes` leaves room for (one UPDATE under the
 * pool row lock). Returns how many were accepted; the caller removes the rest in the same transaction.
 */
export async function acceptStored(ex: Executor, poolId: string, k: number): Promise<number> {
  if (k <= 0) return 0;
  const r = await sql<{ accepted: number }>`
    WITH o AS (SELECT id, codes_total, max_codes FROM promo_pools WHERE id = ${poolId}::uuid FOR UPDATE)
    UPDATE promo_pools p
    SET codes_total = o.codes_total + greatest(0, least(${k}::bigint, coalesce(o.max_codes - o.codes_total, ${k}::bigint)))
    FROM o WHERE p.id = o.id
    RETURNING (p.codes_total - o.codes_total)::int AS accepted`.execute(ex);
  return Number(r.rows[0]?.accepted ?? 0);
}

/** The pool's counter: how many codes it holds, deleted ones included. */
export async function codesTotal(ex: Executor, poolId: string): Promise<number> {
  const r = await sql<{ n: number }>`SELECT codes_total AS n FROM promo_pools WHERE id = ${poolId}::uuid`.execute(ex);
  return Number(r.rows[0]?.n ?? 0);
}

/** Removes codes stored in this transaction that the pool has no room for (see acceptStored). */
export async function removeFreshCodes(ex: Executor, poolId: string, codes: string[]): Promise<void> {
  if (codes.length) await sql`DELETE FROM promo_codes WHERE pool_id = ${poolId}::uuid AND code = ANY(${codes}::text[])`.execute(ex);
}

export interface StatusCounts {
  available: number;
  issued: number;
  redeemed: number;
  expired: number;
  deleted: number;
}

/** Per-status totals of each pool (an issued code past its TTL counts as expired), from the status index. */
export async function statusCounts(ex: Executor, poolIds: string[], now: Date): Promise<Map<string, StatusCounts>> {
  const out = new Map<string, StatusCounts>();
  for (const id of poolIds) out.set(id, { available: 0, issued: 0, redeemed: 0, expired: 0, deleted: 0 });
  if (!poolIds.length) return out;
  const r = await sql<{ pool_id: string; status: string; n: number }>`
    SELECT pool_id, CASE WHEN status = 'issued' AND expires_at <= ${now}::timestamptz THEN 'expired' ELSE status END AS status, count(*)::int AS n
    FROM promo_codes WHERE pool_id = ANY(${poolIds}::uuid[]) GROUP BY 1, 2`.execute(ex);
  for (const row of r.rows) {
    const c = out.get(row.pool_id);
    if (c && row.status in c) c[row.status as keyof StatusCounts] += Number(row.n);
  }
  return out;
}

/** Which of these profiles hold a live (issued, unexpired) code of the pool. */
export async function profilesHoldingCodes(ex: Executor, poolId: string, profileIds: string[], now: Date): Promise<Set<string>> {
  if (!profileIds.length) return new Set();
  const r = await sql<{ profile_id: string }>`
    SELECT profile_id FROM promo_codes WHERE pool_id = ${poolId}::uuid AND profile_id = ANY(${profileIds}::uuid[]) AND status = 'issued'
      AND (expires_at IS NULL OR expires_at > ${now}::timestamptz)`.execute(ex);
  return new Set(r.rows.map((x) => x.profile_id));
}

/** Marks these profiles' codes of the pool whose TTL ran out as expired (so each may receive a new one). */
export async function expireCodesOfProfiles(ex: Executor, poolId: string, profileIds: string[], now: Date): Promise<void> {
  if (!profileIds.length) return;
  await sql`
    WITH u AS (
      UPDATE promo_codes SET status = 'expired' WHERE pool_id = ${poolId}::uuid AND profile_id = ANY(${profileIds}::uuid[])
        AND status = 'issued' AND expires_at <= ${now}::timestamptz RETURNING *
    ) ${timelineInsert('promo_code_expired', now, sql`u.profile_id`, {}, profileIds.length)}`.execute(ex);
}

/**
 * Stores codes already issued, one per profile (auto-linked import, generation for profiles), each with its
 * timeline entry. A row is skipped when its code exists in any pool or its profile holds a live code of
 * the pool (the one-issued-per-profile index); returns the codes that landed with their profiles.
 */
export async function insertLinkedCodes(
  ex: Executor,
  poolId: string,
  rows: { code: string; profile_id: string; fields: Record<string, unknown> | null }[],
  now: Date,
  expiresAt: Date | null,
  data: Record<string, unknown> = {},
): Promise<{ code: string; profile_id: string }[]> {
  if (!rows.length) return [];
  const sorted = [...rows].sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  const codes = sorted.map((r) => r.code);
  const profiles = sorted.map((r) => r.profile_id);
  const fields = sorted.map((r) => (r.fields && Object.keys(r.fields).length ? JSON.stringify(r.fields) : null));
  const r = await sql<{ code: string; profile_id: string }>`
    WITH u AS (
      INSERT INTO promo_codes (code, pool_id, status, profile_id, issued_at, expires_at, fields, created_at)
      SELECT t.code, ${poolId}::uuid, 'issued', t.profile_id, ${now}::timestamptz, ${expiresAt}::timestamptz, t.fields, ${now}::timestamptz
      FROM unnest(${codes}::text[], ${profiles}::uuid[], ${fields}::jsonb[]) AS t(code, profile_id, fields)
      ON CONFLICT DO NOTHING RETURNING code, pool_id, profile_id
    ), e AS (${timelineInsert('promo_code_issued', now, sql`u.profile_id`, data, rows.length)})
    SELECT code, profile_id FROM u`.execute(ex);
  return r.rows;
}

/** Which of these codes exist in any pool. */
export async function existingCodes(ex: Executor, codes: string[]): Promise<Set<string>> {
  if (!codes.length) return new Set();
  const r = await sql<{ code: string }>`SELECT code FROM promo_codes WHERE code = ANY(${codes}::text[])`.execute(ex);
  return new Set(r.rows.map((x) => x.code));
}

/**
 * Refreshes the planner's statistics of the codes table after a bulk write (PGlite runs no autovacuum):
 * without them a pool of millions looks empty and paging it sorts the whole pool for every page.
 */
export async function analyzeCodes(ex: Executor): Promise<void> {
  await sql`ANALYZE promo_codes`.execute(ex);
}

/**
 * Promo codes for many profiles of one single-profile pool at once (a batch of scenario steps):
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
