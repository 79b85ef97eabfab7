/**
 * The checkout's reads and writes, each one statement:
 *
 * - `checkoutFacts`: everything a calculation needs besides the cached promotions and catalogue (the
 *   profile, the member, spendable points, earlier orders, counted uses, the request's codes, the cart's
 *   products the cache lacks, the cache versions, an earlier commit of the order) in one round trip.
 * - `lockCheckoutMember`: the profile's member row, locked; every commit of a member runs under it.
 * - `recordCheckout`: the order with its lines, the commit's answer, the promotion counters (conditional:
 *   ids that would pass a limit come back) and the tier recompute mark, set-based in one statement.
 */
import { sql } from 'kysely';
import type { CodeFacts } from '../domain/checkout/codes.js';
import { giveBack } from '../domain/checkout/release.js';
import type { Calculation, CatalogueProduct } from '../domain/checkout/types.js';
import type { Usage } from '../domain/promotions/promotion.js';
import type { ProfileRef } from '../domain/profiles/ref.js';
import type { Executor, Tx } from './db.js';
import type { StoredEvent } from './events.js';
import { countUsesSql, releaseUses, type CountedUse } from './promotions.js';

const REF_COLUMN = { id: 'id', email: 'email_norm', phone: 'phone', external_id: 'external_id' } as const;

export interface CheckoutProfile {
  id: string;
  email: string | null;
  phone: string | null;
  external_id: string | null;
  fields: Record<string, unknown>;
  created_at: Date | null;
}

export interface CheckoutMember {
  id: string;
  balance: number;
  pending: number;
  tier: string | null;
}

/** A stored commit: its request's hash and its calculation. */
export interface StoredCheckout {
  request_hash: string;
  member_id: string;
  result: Calculation & { order_id: string; accrual: 'pending' | 'done' | 'none' };
}

export interface CheckoutFacts {
  profile: CheckoutProfile | null;
  member: CheckoutMember | null;
  spendable: number;
  orders_count: number;
  uses: Map<string, number>;
  usage: Map<string, Usage>;
  codes: CodeFacts[];
  /** The products asked for (those the caller's catalogue cache does not hold). */
  products: Map<string, CatalogueProduct>;
  catalogue_version: number;
  /** Promotions version and program update time: caches compare them. */
  version: number;
  program_updated_at: string | null;
  checkout: StoredCheckout | null;
  order_exists: boolean;
}

export interface FactsQuery {
  programId: string;
  profile: ProfileRef;
  /** Products to read (the caller keeps the rest cached for `catalogue_version`). */
  productIds: string[];
  codes: string[];
  orderId: string | null;
  now: Date;
  /** Count the profile's earlier orders (a promotion reads orders_count or first_order). */
  orders: boolean;
  /** Read the member's counted uses (a promotion has a per-member limit). */
  uses: boolean;
  /** Read the counters of limited promotions. */
  usage: boolean;
}

type Raw = {
  profile: (Omit<CheckoutProfile, 'created_at'> & { created_at: string | null }) | null;
  member: CheckoutMember | null;
  spendable: number | string;
  orders_count: number | string;
  uses: Record<string, number> | null;
  usage: Record<string, [number, number]> | null;
  codes: (Omit<CodeFacts, 'expires_at' | 'holding'> & { expires_at: string | null; holding: { redeemed_at: string | null; expires_at: string | null } | null })[] | null;
  products: RawProduct[] | null;
  catalogue_version: number | string;
  version: number | string | null;
  program_updated_at: Date | string | null;
  checkout: StoredCheckout | null;
  order_exists: boolean;
};

const date = (v: string | Date | null) => (v === null ? null : new Date(v));

/** The products with these ids as one JSON array, each with its categories and all their ancestors. */
const productsJson = (ids: string[]) => sql<unknown>`
  SELECT jsonb_agg(jsonb_build_object('id', p.id, 'price', p.price, 'skus', p.skus, 'categories', ARRAY(
      WITH RECURSIVE c(id) AS (
        SELECT unnest(p.categories)
        UNION SELECT mc.parent_id FROM market_categories mc JOIN c ON mc.id = c.id WHERE mc.parent_id IS NOT NULL
      ) SELECT id FROM c)))
  FROM market_products p WHERE p.id = ANY(${sql.val(ids)}::text[])`;

type RawProduct = { id: string; price: number; skus: { id: string; price: number }[]; categories: string[] };
const toCatalogue = (rows: RawProduct[] | null): Map<string, CatalogueProduct> =>
  new Map(
    (rows ?? []).map((p) => [p.id, { id: p.id, price: Number(p.price), categories: p.categories, skus: new Map(p.skus.map((s) => [s.id, Number(s.price)])) }]),
  );

/** Products by id for a checkout (with their categories' ancestors), and the catalogue version they belong to. */
export async function catalogueProducts(ex: Executor, ids: string[]): Promise<{ version: number; products: Map<string, CatalogueProduct> }> {
  const r = await sql<{ products: RawProduct[] | null; version: number | string }>`
    SELECT (${productsJson(ids)}) AS products, (SELECT version FROM market_catalogue_version) AS version`.execute(ex);
  return { version: Number(r.rows[0].version), products: toCatalogue(r.rows[0].products) };
}

export async function checkoutFacts(ex: Executor, q: FactsQuery): Promise<CheckoutFacts> {
  const col = sql.ref(`profiles.${REF_COLUMN[q.profile.kind]}`);
  const oid = q.orderId;
  const r = await sql<Raw>`
    WITH pr AS (
      SELECT id, email, phone, external_id, fields, created_at FROM profiles WHERE ${col} = ${q.profile.value} AND erased_at IS NULL LIMIT 1
    ), mb AS (
      SELECT m.id, m.balance, m.pending, m.tier FROM loyalty_members m JOIN pr ON m.profile_id = pr.id WHERE m.program_id = ${q.programId}
    )
    SELECT
      (SELECT to_jsonb(pr) FROM pr) AS profile,
      (SELECT to_jsonb(mb) FROM mb) AS member,
      (SELECT coalesce(sum(l.remaining), 0) FROM loyalty_lots l JOIN mb ON l.member_id = mb.id
        WHERE l.remaining > 0 AND (l.expires_at IS NULL OR l.expires_at > ${q.now})) AS spendable,
      ${q.orders ? sql`(SELECT count(*) FROM market_orders o JOIN pr ON o.profile_id = pr.id WHERE o.status <> 'canceled')` : sql`0`} AS orders_count,
      ${q.uses ? sql`(SELECT jsonb_object_agg(u.promotion_id, u.uses) FROM loyalty_promotion_members u JOIN mb ON u.member_id = mb.id)` : sql`NULL::jsonb`} AS uses,
      ${
        q.usage
          ? sql`(SELECT jsonb_object_agg(p.id, jsonb_build_array(p.uses, p.points_given)) FROM loyalty_promotions p
              WHERE p.program_id = ${q.programId} AND (p.limit_total_uses IS NOT NULL OR p.limit_budget_points IS NOT NULL))`
          : sql`NULL::jsonb`
      } AS usage,
      ${
        q.codes.length
          ? sql`(SELECT jsonb_agg(jsonb_build_object('code', c.code, 'pool_id', c.pool_id, 'status', c.status, 'profile_id', c.profile_id,
                'expires_at', c.expires_at, 'pool_status', pl.status, 'multi_profile', pl.multi_profile,
                'holding', CASE WHEN h.code IS NULL THEN NULL ELSE jsonb_build_object('redeemed_at', h.redeemed_at, 'expires_at', h.expires_at) END))
              FROM promo_codes c JOIN promo_pools pl ON pl.id = c.pool_id
              LEFT JOIN promo_code_holders h ON h.code = c.code AND h.profile_id = (SELECT id FROM pr)
              WHERE c.code = ANY(${sql.val(q.codes)}::text[]))`
          : sql`NULL::jsonb`
      } AS codes,
      ${q.productIds.length ? sql`(${productsJson(q.productIds)})` : sql`NULL::jsonb`} AS products,
      (SELECT version FROM market_catalogue_version) AS catalogue_version,
      (SELECT version FROM loyalty_promotion_versions WHERE program_id = ${q.programId}) AS version,
      (SELECT updated_at FROM loyalty_programs WHERE id = ${q.programId}) AS program_updated_at,
      ${
        oid
          ? sql`(SELECT jsonb_build_object('request_hash', request_hash, 'member_id', member_id, 'result', result) FROM market_checkouts WHERE order_id = ${oid})`
          : sql`NULL::jsonb`
      } AS checkout,
      ${oid ? sql`EXISTS (SELECT 1 FROM market_orders WHERE id = ${oid})` : sql`false`} AS order_exists`.execute(ex);
  const row = r.rows[0];
  return {
    profile: row.profile && { ...row.profile, created_at: date(row.profile.created_at) },
    member: row.member,
    spendable: Number(row.spendable),
    orders_count: Number(row.orders_count),
    uses: new Map(Object.entries(row.uses ?? {})),
    usage: new Map(Object.entries(row.usage ?? {}).map(([id, [uses, points]]) => [id, { uses, points }])),
    codes: (row.codes ?? []).map((c) => ({
      ...c,
      expires_at: date(c.expires_at),
      holding: c.holding && { redeemed_at: date(c.holding.redeemed_at), expires_at: date(c.holding.expires_at) },
    })),
    products: toCatalogue(row.products),
    catalogue_version: Number(row.catalogue_version),
    version: row.version === null ? 0 : Number(row.version),
    program_updated_at: row.program_updated_at === null ? null : new Date(row.program_updated_at).toISOString(),
    checkout: row.checkout,
    order_exists: row.order_exists,
  };
}

/** Locks the member of the profile in the program (found by the profile reference); undefined when there is none. */
export async function lockCheckoutMember(tx: Tx, programId: string, profile: ProfileRef): Promise<{ member_id: string; profile_id: string } | undefined> {
  const col = sql.ref(`p.${REF_COLUMN[profile.kind]}`);
  const r = await sql<{ member_id: string; profile_id: string }>`
    SELECT m.id AS member_id, p.id AS profile_id FROM profiles p JOIN loyalty_members m ON m.profile_id = p.id AND m.program_id = ${programId}
    WHERE ${col} = ${profile.value} AND p.erased_at IS NULL
    FOR UPDATE OF m`.execute(tx);
  return r.rows[0];
}

export async function getCheckout(ex: Executor, orderId: string): Promise<StoredCheckout | undefined> {
  const r = await ex.selectFrom('market_checkouts').select(['request_hash', 'member_id', 'result']).where('order_id', '=', orderId).executeTakeFirst();
  return r as StoredCheckout | undefined;
}

export interface CheckoutRecord {
  orderId: string;
  programId: string;
  profileId: string;
  memberId: string;
  channel: string | null;
  requestHash: string;
  calculation: StoredCheckout['result'];
  /** `applied_promotions` as the order shows them (major units). */
  appliedView: unknown[];
  counted: CountedUse[];
  /** The program has tiers: mark the member for a recompute. */
  tiers: boolean;
  /** Events to append with the order (the ledger's and `order_finalized`); ids are given. */
  events: StoredEvent[];
  now: Date;
}

/**
 * Writes the order (status new) with its lines, the commit's answer, its events and the promotion counters
 * in one statement. Returns the ids of limited promotions that could not be counted: a parallel commit took
 * their last use or budget, and the caller must roll back and calculate again. Counters are locked in id
 * order, so parallel commits never deadlock on them.
 */
export async function recordCheckout(tx: Tx, c: CheckoutRecord): Promise<string[]> {
  const k = c.calculation;
  const lines = k.items.map((l, i) => ({
    line: i + 1,
    product_id: l.product_id,
    sku_id: l.sku_id,
    quantity: l.quantity,
    price: l.price,
    discount: l.discount,
    total: l.total,
    points_accrued: l.points_accrued,
    points_redeemed: l.points_redeemed,
    promotions: l.promotions,
  }));
  const events = c.events.map((e) => ({ ...e, occurred_at: e.occurred_at.toISOString(), received_at: e.received_at.toISOString() }));
  const counted = [...c.counted].sort((a, b) => (a.promotion_id < b.promotion_id ? -1 : a.promotion_id > b.promotion_id ? 1 : 0));
  const r = await sql<{ id: string }>`
    WITH ${countUsesSql(c.memberId, counted)},
    o AS (
      INSERT INTO market_orders (id, profile_id, program_id, status, channel, currency, subtotal, discount_total, points_redeemed,
        points_redeemed_value, total, points_accrued, applied_promotions, request_hash, created_at, updated_at)
      VALUES (${c.orderId}, ${c.profileId}, ${c.programId}, 'new', ${c.channel}, ${k.currency}, ${k.subtotal}, ${k.discount_total},
        ${k.points_redeemed}, ${k.points_redeemed_value}, ${k.total}, ${k.points_accrued}, ${JSON.stringify(c.appliedView)}::jsonb,
        ${c.requestHash}, ${c.now}, ${c.now})
      RETURNING id
    ), li AS (
      INSERT INTO market_order_items (order_id, line, product_id, sku_id, quantity, price, discount, total, points_accrued, points_redeemed, promotions)
      SELECT ${c.orderId}, line, product_id, sku_id, quantity, price, discount, total, points_accrued, points_redeemed, promotions
      FROM jsonb_to_recordset(${JSON.stringify(lines)}::jsonb) AS r(line int, product_id text, sku_id text, quantity int, price bigint,
        discount bigint, total bigint, points_accrued int, points_redeemed int, promotions jsonb)
      RETURNING 1
    ), ev AS (
      INSERT INTO events (id, profile_id, name, properties, occurred_at, received_at, event_id)
      SELECT id, profile_id, name, properties, occurred_at, received_at, event_id
      FROM jsonb_to_recordset(${JSON.stringify(events)}::jsonb) AS r(id uuid, profile_id uuid, name text, properties jsonb,
        occurred_at timestamptz, received_at timestamptz, event_id text)
      ON CONFLICT (event_id) WHERE event_id IS NOT NULL DO NOTHING
      RETURNING 1
    ), ck AS (
      INSERT INTO market_checkouts (order_id, program_id, profile_id, member_id, request_hash, calculation_id, result, created_at)
      VALUES (${c.orderId}, ${c.programId}, ${c.profileId}, ${c.memberId}, ${c.requestHash}, ${k.calculation_id}, ${JSON.stringify(k)}::jsonb, ${c.now})
      RETURNING 1
    )${c.tiers ? sql`, tiers AS (UPDATE loyalty_members SET tier_due_at = ${c.now} WHERE id = ${c.memberId} RETURNING 1)` : sql``}
    SELECT v.promotion_id AS id FROM v WHERE v.total AND v.promotion_id NOT IN (SELECT id FROM counted)`.execute(tx);
  return r.rows.map((x) => x.id);
}

/**
 * Gives an order's promotion uses and points back (canceled, or units refunded), once: the commit's record
 * keeps what went back. A no-op for orders that no checkout made.
 */
export async function releaseCheckoutUses(tx: Tx, orderId: string, what: Parameters<typeof giveBack>[2]): Promise<void> {
  const row = await tx
    .selectFrom('market_checkouts')
    .select(['member_id', 'result', 'uses_released', 'points_released'])
    .where('order_id', '=', orderId)
    .forUpdate()
    .executeTakeFirst();
  if (!row) return;
  const calc = row.result as unknown as Calculation;
  const g = giveBack(calc, { uses: row.uses_released, points: row.points_released }, what);
  if (!g.back.length) return;
  await releaseUses(tx, row.member_id, g.back);
  await tx
    .updateTable('market_checkouts')
    .set({ uses_released: g.released.uses, points_released: JSON.stringify(g.released.points) })
    .where('order_id', '=', orderId)
    .execute();
}
