/**
 * Promotions and partner products of loyalty programs, and the counters behind their limits.
 *
 * Every write to a program's promotions or partner products bumps the program's version in the same
 * statement, so caches (engine/promotions.ts) can tell when to reload. Counting a use is one conditional
 * UPDATE whose WHERE clause carries `total_uses` and `budget_points`: two parallel checkouts can never
 * both take the last use. Uses per member are counted under the member row lock.
 */
import { sql, type Selectable } from 'kysely';
import type { PartnerProduct, PartnerTerms } from '../domain/promotions/partner.js';
import type { Promotion, PromotionSettings, Usage } from '../domain/promotions/promotion.js';
import type { Executor, Tx } from './db.js';
import { newId } from './ids.js';
import type { LoyaltyPartnerProductsTable, LoyaltyPromotionsTable } from './schema.js';

export interface StoredPromotion extends Promotion {
  /** Counted uses and points given (counted for promotions with limits). */
  usage: Usage;
}

type PromotionRow = Selectable<LoyaltyPromotionsTable>;

function toPromotion(r: PromotionRow): StoredPromotion {
  return {
    id: r.id,
    program_id: r.program_id,
    name: r.name,
    type: r.type as Promotion['type'],
    priority: r.priority,
    combinable: r.combinable,
    starts_at: r.starts_at === null ? null : new Date(r.starts_at),
    ends_at: r.ends_at === null ? null : new Date(r.ends_at),
    status: r.status as Promotion['status'],
    conditions: (r.conditions ?? null) as Promotion['conditions'],
    applies_to: r.applies_to ?? null,
    promo_code_pool_id: r.promo_code_pool_id,
    benefit: r.benefit as Promotion['benefit'],
    limits: r.limits,
    created_at: new Date(r.created_at),
    updated_at: new Date(r.updated_at),
    usage: { uses: Number(r.uses), points: Number(r.points_given) },
  };
}

function columns(s: PromotionSettings) {
  return {
    name: s.name,
    type: s.type,
    priority: s.priority,
    combinable: s.combinable,
    starts_at: s.starts_at,
    ends_at: s.ends_at,
    status: s.status,
    conditions: s.conditions === null ? null : JSON.stringify(s.conditions),
    applies_to: s.applies_to === null ? null : JSON.stringify(s.applies_to),
    promo_code_pool_id: s.promo_code_pool_id,
    benefit: JSON.stringify(s.benefit),
    limits: JSON.stringify(s.limits),
    limit_total_uses: s.limits.total_uses,
    limit_budget_points: s.limits.budget_points,
  };
}

/** Bumps the program's promotions version (in the caller's transaction or alone). */
async function bumpVersion(ex: Executor, programId: string): Promise<void> {
  await sql`
    INSERT INTO loyalty_promotion_versions (program_id, version) VALUES (${programId}, 1)
    ON CONFLICT (program_id) DO UPDATE SET version = loyalty_promotion_versions.version + 1`.execute(ex);
}

export async function promotionsVersion(ex: Executor, programId: string): Promise<number> {
  const r = await ex.selectFrom('loyalty_promotion_versions').select('version').where('program_id', '=', programId).executeTakeFirst();
  return r ? Number(r.version) : 0;
}

export async function createPromotion(tx: Tx, programId: string, s: PromotionSettings, now: Date): Promise<StoredPromotion> {
  const row = await tx
    .insertInto('loyalty_promotions')
    .values({ id: newId(), program_id: programId, ...columns(s), created_at: now, updated_at: now })
    .returningAll()
    .executeTakeFirstOrThrow();
  await bumpVersion(tx, programId);
  return toPromotion(row);
}

export async function updatePromotion(tx: Tx, programId: string, id: string, s: PromotionSettings, now: Date): Promise<StoredPromotion | undefined> {
  const row = await tx
    .updateTable('loyalty_promotions')
    .set({ ...columns(s), updated_at: now })
    .where('program_id', '=', programId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  if (row) await bumpVersion(tx, programId);
  return row && toPromotion(row);
}

export async function getPromotion(ex: Executor, programId: string, id: string, lock = false): Promise<StoredPromotion | undefined> {
  let q = ex.selectFrom('loyalty_promotions').selectAll().where('program_id', '=', programId).where('id', '=', id);
  if (lock) q = q.forUpdate();
  const row = await q.executeTakeFirst();
  return row && toPromotion(row);
}

/** A program's promotions, oldest first; optionally of one status or type; keyset after `after` (an id). */
export async function listPromotions(
  ex: Executor,
  programId: string,
  opts: { status?: string; type?: string; limit: number; after?: { at: string; id: string } },
): Promise<StoredPromotion[]> {
  let q = ex.selectFrom('loyalty_promotions').selectAll().where('program_id', '=', programId).orderBy('created_at').orderBy('id').limit(opts.limit);
  if (opts.status) q = q.where('status', '=', opts.status);
  if (opts.type) q = q.where('type', '=', opts.type);
  if (opts.after) {
    const at = new Date(opts.after.at);
    const id = opts.after.id;
    q = q.where((eb) => eb.or([eb('created_at', '>', at), eb.and([eb('created_at', '=', at), eb('id', '>', id)])]));
  }
  return (await q.execute()).map(toPromotion);
}

/** Every promotion of a program (what a checkout arbitrates over). */
export async function programPromotions(ex: Executor, programId: string): Promise<StoredPromotion[]> {
  return (await ex.selectFrom('loyalty_promotions').selectAll().where('program_id', '=', programId).orderBy('created_at').orderBy('id').execute()).map(toPromotion);
}

/* ───────────── partner products ───────────── */

type PartnerRow = Selectable<LoyaltyPartnerProductsTable>;
const pct = (v: string | number | null) => (v === null ? null : Number(v));
const toPartner = (r: PartnerRow): PartnerProduct => ({
  program_id: r.program_id,
  product_id: r.product_id,
  cashback_percent: pct(r.cashback_percent),
  discount_percent: pct(r.discount_percent),
  starts_at: r.starts_at === null ? null : new Date(r.starts_at),
  ends_at: r.ends_at === null ? null : new Date(r.ends_at),
  created_at: new Date(r.created_at),
  updated_at: new Date(r.updated_at),
});

/** Creates or replaces a product's partner terms; `created` tells which. */
export async function putPartnerProduct(tx: Tx, programId: string, productId: string, t: PartnerTerms, now: Date): Promise<{ partner: PartnerProduct; created: boolean }> {
  const r = await sql<PartnerRow & { inserted: boolean }>`
    INSERT INTO loyalty_partner_products (program_id, product_id, cashback_percent, discount_percent, starts_at, ends_at, created_at, updated_at)
    VALUES (${programId}, ${productId}, ${t.cashback_percent}, ${t.discount_percent}, ${t.starts_at}, ${t.ends_at}, ${now}, ${now})
    ON CONFLICT (program_id, product_id) DO UPDATE SET cashback_percent = EXCLUDED.cashback_percent, discount_percent = EXCLUDED.discount_percent,
      starts_at = EXCLUDED.starts_at, ends_at = EXCLUDED.ends_at, updated_at = EXCLUDED.updated_at
    RETURNING *, (xmax = 0) AS inserted`.execute(tx);
  await bumpVersion(tx, programId);
  return { partner: toPartner(r.rows[0]), created: r.rows[0].inserted };
}

export async function getPartnerProduct(ex: Executor, programId: string, productId: string): Promise<PartnerProduct | undefined> {
  const r = await ex.selectFrom('loyalty_partner_products').selectAll().where('program_id', '=', programId).where('product_id', '=', productId).executeTakeFirst();
  return r && toPartner(r);
}

export async function deletePartnerProduct(tx: Tx, programId: string, productId: string): Promise<boolean> {
  const r = await tx.deleteFrom('loyalty_partner_products').where('program_id', '=', programId).where('product_id', '=', productId).executeTakeFirst();
  const gone = Number(r.numDeletedRows) > 0;
  if (gone) await bumpVersion(tx, programId);
  return gone;
}

export async function listPartnerProducts(ex: Executor, programId: string, limit: number, after?: string): Promise<PartnerProduct[]> {
  let q = ex.selectFrom('loyalty_partner_products').selectAll().where('program_id', '=', programId).orderBy('product_id').limit(limit);
  if (after) q = q.where('product_id', '>', after);
  return (await q.execute()).map(toPartner);
}

/** Every partner product of a program, by product id. */
export async function programPartners(ex: Executor, programId: string): Promise<Map<string, PartnerProduct>> {
  const rows = await ex.selectFrom('loyalty_partner_products').selectAll().where('program_id', '=', programId).execute();
  return new Map(rows.map((r) => [r.product_id, toPartner(r)]));
}

/* ───────────── counters ───────────── */

export interface CountedUse {
  promotion_id: string;
  points: number;
  /** Count it for the member (the promotion has a per-member limit). */
  per_member: boolean;
  /** Count it on the promotion (it has `total_uses` or `budget_points`). */
  total: boolean;
}

/**
 * The CTEs `v` (the uses), `counted` (the limited promotions counted) and `mine` (the member's uses) that
 * count one use of each promotion and its points against the budget. A promotion whose limits would be
 * passed is not counted: `v.total AND v.promotion_id NOT IN (SELECT id FROM counted)` names it. Only
 * promotions with `total_uses` or `budget_points` touch their row (a row lock held to the end of the
 * transaction); per-member uses live in the member's rows.
 */
export function countUsesSql(memberId: string, uses: CountedUse[]) {
  return sql`v AS (
      SELECT * FROM jsonb_to_recordset(${JSON.stringify(uses)}::jsonb) AS v(promotion_id uuid, points bigint, per_member boolean, total boolean)
    ), counted AS (
      UPDATE loyalty_promotions p SET uses = p.uses + 1, points_given = p.points_given + v.points
      FROM v WHERE p.id = v.promotion_id AND v.total
        AND (p.limit_total_uses IS NULL OR p.uses + 1 <= p.limit_total_uses)
        AND (p.limit_budget_points IS NULL OR p.points_given + v.points <= p.limit_budget_points)
      RETURNING p.id
    ), mine AS (
      INSERT INTO loyalty_promotion_members (promotion_id, member_id, uses)
      SELECT promotion_id, ${memberId}::uuid, 1 FROM v WHERE per_member
      ON CONFLICT (member_id, promotion_id) DO UPDATE SET uses = loyalty_promotion_members.uses + 1
      RETURNING 1
    )`;
}

/** Counts the uses in one statement; returns the ids that could not be counted (their limits are reached). */
export async function countUses(tx: Tx, memberId: string, uses: CountedUse[]): Promise<string[]> {
  if (!uses.length) return [];
  const r = await sql<{ id: string }>`
    WITH ${countUsesSql(memberId, uses)}
    SELECT v.promotion_id AS id FROM v WHERE v.total AND v.promotion_id NOT IN (SELECT id FROM counted)`.execute(tx);
  return r.rows.map((x) => x.id);
}

/** Gives back uses and points (an order canceled or refunded); counters never go below zero. */
export async function releaseUses(tx: Tx, memberId: string, back: { promotion_id: string; uses: number; points: number }[]): Promise<void> {
  if (!back.length) return;
  await sql`
    WITH v AS (
      SELECT * FROM jsonb_to_recordset(${JSON.stringify(back)}::jsonb) AS v(promotion_id uuid, uses int, points bigint)
    ), total AS (
      UPDATE loyalty_promotions p SET uses = greatest(0, p.uses - v.uses), points_given = greatest(0, p.points_given - v.points)
      FROM v WHERE p.id = v.promotion_id
      RETURNING 1
    )
    UPDATE loyalty_promotion_members m SET uses = greatest(0, m.uses - v.uses)
    FROM v WHERE m.member_id = ${memberId}::uuid AND m.promotion_id = v.promotion_id AND v.uses > 0`.execute(tx);
}

/** The member's counted uses of the given promotions. */
export async function memberUses(ex: Executor, memberId: string, ids: string[]): Promise<Map<string, number>> {
  if (!ids.length) return new Map();
  const rows = await ex.selectFrom('loyalty_promotion_members').select(['promotion_id', 'uses']).where('member_id', '=', memberId).where('promotion_id', 'in', ids).execute();
  return new Map(rows.map((r) => [r.promotion_id, r.uses]));
}

/** True when the program has a ledger transaction with this external_id (a trigger call repeated). */
export async function externalIdSeen(ex: Executor, programId: string, externalId: string): Promise<boolean> {
  const r = await ex.selectFrom('loyalty_transactions').select('id').where('program_id', '=', programId).where('external_id', '=', externalId).executeTakeFirst();
  return r !== undefined;
}
