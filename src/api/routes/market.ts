import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import { decodeCursor, encodeCursor, pageOf } from '../../domain/cursor.js';
import type { OrderStatus } from '../../domain/market/order.js';
import { toProduct, type ProductInput } from '../../domain/market/product.js';
import { toMajor, toMinor } from '../../domain/money.js';
import { parseProfileRef, type ProfileRefInput } from '../../domain/profiles/ref.js';
import { ingestEvents } from '../../engine/ingest.js';
import { startJob } from '../../engine/jobs.js';
import { importProducts, type ProductImportOptions } from '../../imports/products.js';
import {
  deleteProduct,
  getOrder,
  getProduct,
  insertOrder,
  listOrders,
  listProducts,
  orderHasLedger,
  OrderRefusal,
  refundOrder,
  replaceOrder,
  setOrderStatus,
  writeProducts,
  type NewOrder,
  type Order,
  type StoredProduct,
} from '../../store/market.js';
import { findProfile } from '../../store/profiles.js';
import { releaseCheckoutUses } from '../../store/checkout.js';
import { promo } from '../../engine/promo.js';
import { cursorAfter } from '../pagination.js';
import { badRequest, conflict, notFound, unprocessable, type FieldError } from '../problem.js';
import {
  ImportQuery,
  ImportResult,
  OrderBody,
  OrderListQuery,
  OrderView,
  ProductBody,
  ProductListQuery,
  ProductView,
  RefundBody,
  StatusBody,
  StringIdParams,
} from '../schemas/market.js';
import { Page } from '../schemas/common.js';
import { uploadedStream } from './profiles.js';

const iso = (d: Date | string) => new Date(d).toISOString();

export const productView = (p: StoredProduct) => ({
  ...p,
  price: toMajor(Number(p.price)),
  old_price: p.old_price === null ? null : toMajor(Number(p.old_price)),
  skus: p.skus.map((s) => ({ ...s, price: toMajor(s.price) })),
  created_at: iso(p.created_at),
  updated_at: iso(p.updated_at),
});

export const orderView = (o: Order) => ({
  id: o.id,
  profile_id: o.profile_id,
  program_id: o.program_id,
  status: o.status,
  channel: o.channel,
  currency: o.currency,
  items: o.items.map((i) => ({
    product_id: i.product_id,
    sku_id: i.sku_id,
    quantity: i.quantity,
    price: toMajor(Number(i.price)),
    discount: toMajor(Number(i.discount)),
    total: toMajor(Number(i.total)),
    points_accrued: i.points_accrued,
    points_redeemed: i.points_redeemed,
    refunded_quantity: i.refunded_quantity,
    promotions: i.promotions,
  })),
  subtotal: toMajor(Number(o.subtotal)),
  discount_total: toMajor(Number(o.discount_total)),
  points_redeemed: o.points_redeemed,
  total: toMajor(Number(o.total)),
  refunded_total: toMajor(Number(o.refunded_total)),
  points_accrued: o.points_accrued,
  applied_promotions: o.applied_promotions,
  created_at: iso(o.created_at),
  updated_at: iso(o.updated_at),
});

function orderRefusal(e: unknown): never {
  if (e instanceof OrderRefusal) throw unprocessable(e.slug, e.message);
  throw e;
}

type OrderBodyT = {
  profile: ProfileRefInput;
  status?: OrderStatus;
  program_id?: string | null;
  channel?: string | null;
  currency?: string | null;
  items: { product_id: string; sku_id?: string | null; quantity: number; price: number; discount?: number; total?: number; points_accrued?: number; points_redeemed?: number; promotions?: string[] }[];
  applied_promotions?: Record<string, unknown>[];
  created_at?: string;
};

/** An order body in minor units; every bad amount is listed. */
function toOrder(id: string, profileId: string, b: OrderBodyT, now: Date): NewOrder {
  const errors: FieldError[] = [];
  const money = (v: number | undefined, path: string): number => {
    if (v === undefined) return 0;
    const m = toMinor(v);
    if (m === null || m < 0) {
      errors.push({ path, message: 'must be a non-negative amount with at most 2 decimals' });
      return 0;
    }
    return m;
  };
  const items = b.items.map((it, i) => {
    const price = money(it.price, `items.${i}.price`);
    const discount = money(it.discount, `items.${i}.discount`);
    const total = it.total === undefined ? price * it.quantity - discount : money(it.total, `items.${i}.total`);
    if (total < 0) errors.push({ path: `items.${i}.discount`, message: 'is more than the line is worth' });
    return {
      product_id: it.product_id,
      sku_id: it.sku_id ?? null,
      quantity: it.quantity,
      price,
      discount,
      total,
      points_accrued: it.points_accrued ?? 0,
      points_redeemed: it.points_redeemed ?? 0,
      promotions: it.promotions ?? [],
    };
  });
  if (errors.length) throw badRequest(errors);
  const sum = (f: (x: (typeof items)[number]) => number) => items.reduce((s, x) => s + f(x), 0);
  return {
    id,
    profile_id: profileId,
    program_id: b.program_id ?? null,
    status: b.status ?? 'new',
    channel: b.channel ?? null,
    currency: b.currency ? b.currency.toUpperCase() : null,
    subtotal: sum((x) => x.price * x.quantity),
    discount_total: sum((x) => x.discount),
    points_redeemed: sum((x) => x.points_redeemed),
    points_redeemed_value: 0,
    total: sum((x) => x.total),
    points_accrued: sum((x) => x.points_accrued),
    applied_promotions: b.applied_promotions ?? [],
    request_hash: null,
    created_at: b.created_at ? new Date(b.created_at) : now,
    items,
  };
}

/** `?profile=` as a profile id, email, phone or external_id. */
function profileQueryRef(v: string): ProfileRefInput {
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v)) return { id: v };
  if (v.includes('@')) return { email: v };
  if (/^\+[\d\s()-]{6,}$/.test(v)) return { phone: v };
  return { external_id: v };
}

export function marketRoutes(app: FastifyInstance, ctx: AppContext) {
  const tags = ['market'];

  app.put(
    '/market/products/:id',
    { schema: { tags, summary: 'Create or replace a product with its SKUs', params: StringIdParams, body: ProductBody, response: { 200: ProductView, 201: ProductView } } },
    async (req, reply) => {
      const { id } = req.params as { id: string };
      const p = toProduct(id, req.body as ProductInput);
      if (Array.isArray(p)) throw badRequest(p);
      const r = await writeProducts(ctx.db, [p], 'upsert', ctx.clock.now());
      return reply.code(r.created.length ? 201 : 200).send(productView((await getProduct(ctx.db, id))!));
    },
  );

  app.get('/market/products/:id', { schema: { tags, summary: 'A product', params: StringIdParams, response: { 200: ProductView } } }, async (req) => {
    const p = await getProduct(ctx.db, (req.params as { id: string }).id);
    if (!p) throw notFound('Product');
    return productView(p);
  });

  app.get(
    '/market/products',
    { schema: { tags, summary: 'Products, optionally of a category and its subcategories', querystring: ProductListQuery, response: { 200: Page(ProductView) } } },
    async (req) => {
      const q = req.query as { category?: string; limit?: number; cursor?: string };
      const limit = q.limit ?? 50;
      const rows = await listProducts(ctx.db, limit + 1, cursorAfter(q.cursor), q.category);
      const page = pageOf(rows, limit, (p) => [p.id]);
      return { items: page.items.map(productView), next_cursor: page.next_cursor };
    },
  );

  app.delete('/market/products/:id', { schema: { tags, summary: 'Delete a product', params: StringIdParams } }, async (req, reply) => {
    if (!(await deleteProduct(ctx.db, (req.params as { id: string }).id))) throw notFound('Product');
    return reply.code(204).send();
  });

  app.post(
    '/market/products/import',
    {
      schema: {
        tags,
        summary: 'Import products from a YML (Yandex Market Language) feed or CSV, streamed; bad offers are reported by line, good ones land',
        querystring: ImportQuery,
        response: { 200: ImportResult, 202: Type.Object({ job_id: Type.String() }) },
      },
    },
    async (req, reply) => {
      const q = req.query as { mode?: ProductImportOptions['mode']; format?: 'yml' | 'csv'; delimiter?: string; async?: boolean };
      const type = String(req.headers['content-type'] ?? '');
      const format = q.format ?? (/xml/.test(type) ? 'yml' : /csv|text\/plain/.test(type) ? 'csv' : undefined);
      const opts: ProductImportOptions = { mode: q.mode ?? 'upsert', format, delimiter: q.delimiter };
      const source = await uploadedStream(req);
      if (!q.async) return importProducts(ctx.db, ctx.clock, source, opts);
      const dir = await mkdtemp(join(tmpdir(), 'retenta-products-'));
      const file = join(dir, 'feed');
      await pipeline(source, createWriteStream(file));
      const jobId = await startJob(ctx, 'products.import', async (progress) => {
        try {
          return await importProducts(ctx.db, ctx.clock, createReadStream(file), opts, (n) => progress(n));
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      });
      return reply.code(202).send({ job_id: jobId });
    },
  );

  app.put(
    '/market/orders/:id',
    { schema: { tags, summary: 'Record an order that loyalty does not touch (import, other systems)', params: StringIdParams, body: OrderBody, response: { 200: OrderView, 201: OrderView } } },
    async (req, reply) => {
      const { id } = req.params as { id: string };
      const body = req.body as OrderBodyT;
      const ref = parseProfileRef(body.profile);
      if (typeof ref === 'string') throw badRequest([{ path: 'profile', message: ref }]);
      const profile = await findProfile(ctx.db, ref);
      if (!profile) throw notFound('Profile');
      const now = ctx.clock.now();
      const order = toOrder(id, profile.id, body, now);
      let previousOwner: string | null = null;
      const created = await ctx.db.transaction().execute(async (tx) => {
        const existing = await getOrder(tx, id, true);
        if (!existing) {
          await insertOrder(tx, order, now);
          return true;
        }
        if (await orderHasLedger(tx, id)) throw conflict('order-has-points', 'This order moved loyalty points; it cannot be replaced.');
        await replaceOrder(tx, { ...order, created_at: body.created_at ? order.created_at : existing.created_at }, now);
        previousOwner = existing.profile_id;
        return false;
      });
      ctx.bus.publish('orders', [...new Set([profile.id, previousOwner ?? profile.id])]);
      await ctx.work.announce('loyalty-tiers');
      return reply.code(created ? 201 : 200).send(orderView((await getOrder(ctx.db, id))!));
    },
  );

  app.get('/market/orders/:id', { schema: { tags, summary: 'An order', params: StringIdParams, response: { 200: OrderView } } }, async (req) => {
    const o = await getOrder(ctx.db, (req.params as { id: string }).id);
    if (!o) throw notFound('Order');
    return orderView(o);
  });

  app.get(
    '/market/orders',
    { schema: { tags, summary: "Orders, newest first: a profile's with ?profile=, else all; ?status= filters", querystring: OrderListQuery, response: { 200: Page(OrderView) } } },
    async (req) => {
      const q = req.query as { profile?: string; status?: OrderStatus; limit?: number; cursor?: string };
      let profile: { id: string } | null = null;
      if (q.profile !== undefined) {
        const ref = parseProfileRef(profileQueryRef(q.profile));
        if (typeof ref === 'string') throw badRequest([{ path: 'query.profile', message: ref }]);
        const found = await findProfile(ctx.db, ref);
        if (!found) throw notFound('Profile');
        profile = found;
      }
      let before: { at: string; id: string } | undefined;
      if (q.cursor !== undefined) {
        const key = decodeCursor(q.cursor, 2);
        if (!key || typeof key[0] !== 'string' || typeof key[1] !== 'string') throw badRequest([{ path: 'query.cursor', message: 'is not a cursor this list returned' }]);
        before = { at: key[0], id: key[1] };
      }
      const limit = q.limit ?? 50;
      const rows = await listOrders(ctx.db, profile?.id ?? null, limit + 1, before, q.status);
      const page = pageOf(rows, limit, (o) => [iso(o.created_at), o.id]);
      return { items: page.items.map(orderView), next_cursor: page.next_cursor && encodeCursor([iso(page.items.at(-1)!.created_at), page.items.at(-1)!.id]) };
    },
  );

  app.post(
    '/market/orders/:id/status',
    { schema: { tags, summary: "Change an order's status; canceled reverses the order's points", params: StringIdParams, body: StatusBody, response: { 200: OrderView } } },
    async (req) => {
      const { id } = req.params as { id: string };
      const { status } = req.body as { status: OrderStatus };
      const r = await ctx.db
        .transaction()
        .execute(async (tx) => {
          const changed = await setOrderStatus(tx, id, status, ctx.clock.now());
          if (changed && status === 'canceled') {
            await promo.releaseOrderCodes(tx, id, ctx.clock.now());
            await releaseCheckoutUses(tx, id, { cancel: true });
          }
          return changed;
        })
        .catch(orderRefusal);
      if (!r) throw notFound('Order');
      if (status === 'canceled')
        await ingestEvents(ctx, [{ profile: { id: r.order.profile_id }, name: 'order_canceled', properties: { order_id: id }, event_id: `order_canceled:${id}` }]);
      ctx.bus.publish('orders', [r.order.profile_id]);
      await ctx.work.announce('loyalty-tiers');
      return orderView(r.order);
    },
  );

  app.post(
    '/market/orders/:id/refund',
    { schema: { tags, summary: "Refund units of lines: their accrued points are reversed, redeemed points returned to their lots", params: StringIdParams, body: RefundBody, response: { 200: OrderView } } },
    async (req) => {
      const { id } = req.params as { id: string };
      const { items } = req.body as { items: { product_id: string; sku_id?: string | null; quantity: number }[] };
      const r = await ctx.db
        .transaction()
        .execute(async (tx) => {
          const refunded = await refundOrder(tx, id, items, ctx.clock.now());
          if (refunded) await releaseCheckoutUses(tx, id, { refunded: refunded.refunded, whole: refunded.order.status === 'refunded' });
          return refunded;
        })
        .catch(orderRefusal);
      if (!r) throw notFound('Order');
      ctx.bus.publish('orders', [r.order.profile_id]);
      await ctx.work.announce('loyalty-tiers');
      return orderView(r.order);
    },
  );
}
