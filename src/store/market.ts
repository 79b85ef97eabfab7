/**
 * Market persistence: categories, products with SKUs, orders with their lines. `insertOrder` takes a
 * transaction so that a checkout records the order and moves points in one; `cancelOrder` and
 * `refundOrder` reverse the order's points through the ledger (store/loyalty.ts).
 */
import { sql } from 'kysely';
import type { Product } from '../domain/market/product.js';
import { planRefund, type LineRefund, type OrderLine, type OrderStatus } from '../domain/market/order.js';
import type { Executor, Tx } from './db.js';
import { markTiersDue, reverseOrderPoints, type Entry } from './loyalty.js';
import type { TimelineEntry } from './timeline.js';
import './market-loyalty-tables.js';

/* ───────────── products ───────────── */

export interface StoredProduct extends Product {
  created_at: Date;
  updated_at: Date;
}

export type UpsertMode = 'upsert' | 'add' | 'update';

/**
 * Writes products in one statement: `upsert` adds and updates, `add` only adds new ids, `update` only
 * changes existing ones. Returns the ids created and updated.
 */
export async function writeProducts(ex: Executor, products: Product[], mode: UpsertMode, now: Date): Promise<{ created: string[]; updated: string[] }> {
  if (!products.length) return { created: [], updated: [] };
  const rows = JSON.stringify(products);
  const source = sql`
    SELECT r.id, r.name, r.price, r.old_price, r.currency, coalesce(r.categories, '{}') AS categories, r.url, r.picture, r.vendor,
           coalesce(r.params, '{}'::jsonb) AS params, coalesce(r.available, true) AS available, coalesce(r.skus, '[]'::jsonb) AS skus
    FROM jsonb_to_recordset(${rows}::jsonb) AS r(id text, name text, price bigint, old_price bigint, currency text, categories text[],
      url text, picture text, vendor text, params jsonb, available boolean, skus jsonb)`;
  if (mode === 'update') {
    const r = await sql<{ id: string }>`
      UPDATE market_products p SET name = s.name, price = s.price, old_price = s.old_price, currency = s.currency,
        categories = s.categories, url = s.url, picture = s.picture, vendor = s.vendor, params = s.params,
        available = s.available, skus = s.skus, updated_at = ${now}
      FROM (${source}) s WHERE p.id = s.id RETURNING p.id`.execute(ex);
    return { created: [], updated: r.rows.map((x) => x.id) };
  }
  const conflict =
    mode === 'add'
      ? sql`ON CONFLICT (id) DO NOTHING`
      : sql`ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, price = EXCLUDED.price, old_price = EXCLUDED.old_price,
          currency = EXCLUDED.currency, categories = EXCLUDED.categories, url = EXCLUDED.url, picture = EXCLUDED.picture,
          vendor = EXCLUDED.vendor, params = EXCLUDED.params, available = EXCLUDED.available, skus = EXCLUDED.skus,
          updated_at = EXCLUDED.updated_at`;
  const r = await sql<{ id: string; inserted: boolean }>`
    INSERT INTO market_products (id, name, price, old_price, currency, categories, url, picture, vendor, params, available, skus, created_at, updated_at)
    SELECT s.*, ${now}::timestamptz, ${now}::timestamptz FROM (${source}) s
    ${conflict}
    RETURNING id, (xmax = 0) AS inserted`.execute(ex);
  return { created: r.rows.filter((x) => x.inserted).map((x) => x.id), updated: r.rows.filter((x) => !x.inserted).map((x) => x.id) };
}

export async function getProduct(ex: Executor, id: string): Promise<StoredProduct | undefined> {
  return (await ex.selectFrom('market_products').selectAll().where('id', '=', id).executeTakeFirst()) as StoredProduct | undefined;
}

/** Products by id, for a checkout pricing its lines. */
export async function getProducts(ex: Executor, ids: string[]): Promise<Map<string, StoredProduct>> {
  if (!ids.length) return new Map();
  const rows = (await ex.selectFrom('market_products').selectAll().where('id', 'in', [...new Set(ids)]).execute()) as StoredProduct[];
  return new Map(rows.map((r) => [r.id, r]));
}

export async function deleteProduct(ex: Executor, id: string): Promise<boolean> {
  const r = await ex.deleteFrom('market_products').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Products, optionally in a category or any of its subcategories, ordered by id. */
export async function listProducts(ex: Executor, limit: number, after?: string, category?: string): Promise<StoredProduct[]> {
  const cats = category
    ? sql`AND p.categories && ARRAY(
        WITH RECURSIVE c(id) AS (SELECT ${category}::text UNION SELECT mc.id FROM market_categories mc JOIN c ON mc.parent_id = c.id)
        SELECT id FROM c)`
    : sql``;
  const r = await sql<StoredProduct>`
    SELECT p.* FROM market_products p WHERE (${after ?? null}::text IS NULL OR p.id > ${after ?? null}) ${cats}
    ORDER BY p.id LIMIT ${limit}`.execute(ex);
  return r.rows;
}

export async function writeCategories(ex: Executor, cats: { id: string; name: string; parent_id: string | null }[], now: Date): Promise<void> {
  if (!cats.length) return;
  await sql`
    INSERT INTO market_categories (id, name, parent_id, updated_at)
    SELECT r.id, r.name, r.parent_id, ${now} FROM jsonb_to_recordset(${JSON.stringify(cats)}::jsonb) AS r(id text, name text, parent_id text)
    ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, parent_id = EXCLUDED.parent_id, updated_at = EXCLUDED.updated_at`.execute(ex);
}

/* ───────────── orders ───────────── */

export interface NewOrderLine {
  product_id: string;
  sku_id: string | null;
  quantity: number;
  /** Unit price, minor units. */
  price: number;
  /** Discount on the whole line, minor units. */
  discount: number;
  /** What the line costs after discounts and redeemed points' value, minor units. */
  total: number;
  points_accrued: number;
  points_redeemed: number;
  promotions: string[];
}

export interface NewOrder {
  id: string;
  profile_id: string;
  program_id: string | null;
  status: OrderStatus;
  channel: string | null;
  currency: string | null;
  subtotal: number;
  discount_total: number;
  points_redeemed: number;
  points_redeemed_value: number;
  total: number;
  points_accrued: number;
  applied_promotions: unknown[];
  request_hash: string | null;
  created_at: Date;
  items: NewOrderLine[];
}

export interface Order extends Omit<NewOrder, 'items'> {
  refunded_total: number;
  updated_at: Date;
  items: (OrderLine & { promotions: string[] })[];
}

/** Records an order and its lines (in the caller's transaction); marks the profile's tiers for a recompute. */
export async function insertOrder(tx: Tx, o: NewOrder, now: Date): Promise<void> {
  const { items, ...head } = o;
  await tx
    .insertInto('market_orders')
    .values({ ...head, applied_promotions: JSON.stringify(head.applied_promotions), updated_at: now })
    .execute();
  await insertLines(tx, o.id, items);
  await markTiersDue(tx, o.profile_id, now);
}

async function insertLines(tx: Tx, orderId: string, items: NewOrderLine[]) {
  if (!items.length) return;
  await tx
    .insertInto('market_order_items')
    .values(items.map((it, i) => ({ order_id: orderId, line: i + 1, ...it, promotions: JSON.stringify(it.promotions) })))
    .execute();
}

/** Replaces an order recorded from outside (no ledger transactions of its own); its refunds start over. */
export async function replaceOrder(tx: Tx, o: NewOrder, now: Date): Promise<void> {
  const { items, ...head } = o;
  await tx
    .updateTable('market_orders')
    .set({ ...head, applied_promotions: JSON.stringify(head.applied_promotions), refunded_total: 0, updated_at: now })
    .where('id', '=', o.id)
    .execute();
  await tx.deleteFrom('market_order_items').where('order_id', '=', o.id).execute();
  await insertLines(tx, o.id, items);
  await markTiersDue(tx, o.profile_id, now);
}

export async function orderHasLedger(ex: Executor, id: string): Promise<boolean> {
  return !!(await ex.selectFrom('loyalty_transactions').select('id').where('order_id', '=', id).limit(1).executeTakeFirst());
}

export async function getOrder(ex: Executor, id: string, lock = false): Promise<Order | undefined> {
  let q = ex.selectFrom('market_orders').selectAll().where('id', '=', id);
  if (lock) q = q.forUpdate();
  const head = await q.executeTakeFirst();
  if (!head) return undefined;
  const items = await ex.selectFrom('market_order_items').selectAll().where('order_id', '=', id).orderBy('line').execute();
  return { ...(head as unknown as Order), items: items as unknown as Order['items'] };
}

/** Orders newest first: a profile's (null: everyone's), optionally of one status; keyset on (created_at, id). */
export async function listOrders(
  ex: Executor,
  profileId: string | null,
  limit: number,
  before?: { at: string; id: string },
  status?: OrderStatus,
): Promise<Order[]> {
  let q = ex.selectFrom('market_orders').select('id').orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit);
  if (profileId !== null) q = q.where('profile_id', '=', profileId);
  if (status) q = q.where('status', '=', status);
  if (before) {
    const at = new Date(before.at);
    q = q.where((eb) => eb.or([eb('created_at', '<', at), eb.and([eb('created_at', '=', at), eb('id', '<', before.id)])]));
  }
  const ids = await q.execute();
  const out: Order[] = [];
  for (const { id } of ids) out.push((await getOrder(ex, id))!);
  return out;
}

export class OrderRefusal extends Error {
  constructor(
    readonly slug: 'order-canceled' | 'order-refunded' | 'refund-exceeds-order',
    message: string,
  ) {
    super(message);
  }
}

const FINAL: OrderStatus[] = ['canceled', 'refunded'];

/** Sets an order's status; `canceled` reverses all of the order's points. Returns the reversal entries. */
export async function setOrderStatus(tx: Tx, id: string, status: OrderStatus, now: Date): Promise<{ order: Order; reversals: Entry[] } | null> {
  const order = await getOrder(tx, id, true);
  if (!order) return null;
  if (order.status === status) return { order, reversals: [] };
  if (FINAL.includes(order.status)) throw new OrderRefusal(order.status === 'canceled' ? 'order-canceled' : 'order-refunded', `The order is ${order.status}.`);
  let reversals: Entry[] = [];
  if (status === 'canceled') reversals = await reverseOrderPoints(tx, id, { accrued: 'all', redeemed: 'all' }, `order ${id} canceled`, now);
  await tx.updateTable('market_orders').set({ status, updated_at: now }).where('id', '=', id).execute();
  await markTiersDue(tx, order.profile_id, now);
  return { order: (await getOrder(tx, id))!, reversals };
}

/** Refunds units of lines: their accrued points are reversed and their redeemed points go back to their lots. */
export async function refundOrder(
  tx: Tx,
  id: string,
  items: { product_id: string; sku_id?: string | null; quantity: number }[],
  now: Date,
): Promise<{ order: Order; reversals: Entry[]; refunded: LineRefund[] } | null> {
  const order = await getOrder(tx, id, true);
  if (!order) return null;
  if (FINAL.includes(order.status)) throw new OrderRefusal(order.status === 'canceled' ? 'order-canceled' : 'order-refunded', `The order is ${order.status}.`);
  const plan = planRefund(order.items, items);
  if (typeof plan === 'string') throw new OrderRefusal('refund-exceeds-order', plan);
  for (const p of plan)
    await tx
      .updateTable('market_order_items')
      .set((eb) => ({ refunded_quantity: eb('refunded_quantity', '+', p.quantity) }))
      .where('order_id', '=', id)
      .where('line', '=', p.line)
      .execute();
  const accrued = plan.reduce((s, p) => s + p.points_accrued, 0);
  const redeemed = plan.reduce((s, p) => s + p.points_redeemed, 0);
  const amount = plan.reduce((s, p) => s + p.amount, 0);
  const reversals = await reverseOrderPoints(tx, id, { accrued, redeemed }, `order ${id} refunded`, now);
  const after = await tx
    .selectFrom('market_order_items')
    .select((eb) => eb.fn.countAll<number>().as('open'))
    .where('order_id', '=', id)
    .whereRef('refunded_quantity', '<', 'quantity')
    .executeTakeFirstOrThrow();
  const status: OrderStatus = Number(after.open) === 0 ? 'refunded' : 'part_refunded';
  await tx
    .updateTable('market_orders')
    .set((eb) => ({ status, refunded_total: eb('refunded_total', '+', amount), updated_at: now }))
    .where('id', '=', id)
    .execute();
  await markTiersDue(tx, order.profile_id, now);
  return { order: (await getOrder(tx, id))!, reversals, refunded: plan };
}

export async function orderTimeline(ex: Executor, profileId: string, before: TimelineEntry | null, limit: number): Promise<TimelineEntry[]> {
  let q = ex
    .selectFrom('market_orders')
    .select(['id', 'status', 'total', 'currency', 'created_at', 'channel'])
    .where('profile_id', '=', profileId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit);
  if (before) {
    const at = new Date(before.at);
    q = q.where((eb) => eb.or([eb('created_at', '<', at), eb.and([eb('created_at', '=', at), eb('id', '<', before.id)])]));
  }
  return (await q.execute()).map((r) => ({
    id: r.id,
    at: new Date(r.created_at).toISOString(),
    kind: 'order',
    title: `order ${r.id} ${r.status}`,
    data: { order_id: r.id, status: r.status, total: Number(r.total) / 100, currency: r.currency, channel: r.channel },
  }));
}
