import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { decodeCursor, pageOf } from '../../domain/cursor.js';
import { toMajor } from '../../domain/money.js';
import { toPartnerTerms, type PartnerInput, type PartnerProduct } from '../../domain/promotions/partner.js';
import { patchPromotion, toPromotionSettings, type PromotionInput, type PromotionPatch, type PromotionSettings } from '../../domain/promotions/promotion.js';
import { promotions } from '../../engine/promotions.js';
import type { Tx } from '../../store/db.js';
import { getProgram } from '../../store/loyalty.js';
import { getPool } from '../../store/promo.js';
import {
  createPromotion,
  deletePartnerProduct,
  getPartnerProduct,
  getPromotion,
  listPartnerProducts,
  listPromotions,
  putPartnerProduct,
  updatePromotion,
  type StoredPromotion,
} from '../../store/promotions.js';
import { cursorAfter } from '../pagination.js';
import { badRequest, notFound, unprocessable } from '../problem.js';
import { Page, PageQuery } from '../schemas/common.js';
import { ProgramParams } from '../schemas/loyalty.js';
import { PartnerBody, PartnerParams, PartnerView, PromotionBody, PromotionListQuery, PromotionParams, PromotionPatch as PatchSchema, PromotionView } from '../schemas/promotions.js';

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

export function promotionView(p: StoredPromotion) {
  const money = p.benefit.kind === 'fixed' || p.benefit.kind === 'fixed_price';
  return {
    id: p.id,
    program_id: p.program_id,
    name: p.name,
    type: p.type,
    priority: p.priority,
    combinable: p.combinable,
    starts_at: iso(p.starts_at),
    ends_at: iso(p.ends_at),
    status: p.status,
    conditions: p.conditions,
    applies_to: p.applies_to,
    promo_code_pool_id: p.promo_code_pool_id,
    benefit: { kind: p.benefit.kind, value: money ? toMajor(p.benefit.value) : p.benefit.value, max_discount: p.benefit.max_discount === null ? null : toMajor(p.benefit.max_discount) },
    limits: p.limits,
    usage: p.usage,
    created_at: iso(p.created_at),
    updated_at: iso(p.updated_at),
  };
}

const partnerView = (p: PartnerProduct) => ({ ...p, starts_at: iso(p.starts_at), ends_at: iso(p.ends_at), created_at: iso(p.created_at), updated_at: iso(p.updated_at) });

export function promotionRoutes(app: FastifyInstance, ctx: AppContext) {
  const tags = ['loyalty'];
  const base = '/loyalty/programs/:pid';

  async function program(pid: string) {
    const p = await getProgram(ctx.db, pid);
    if (!p) throw notFound('Program');
    return p;
  }

  /** Settings checked as a whole, and the code pool they name must exist (422 pool-not-found). */
  async function checked(s: PromotionSettings | { path: string; message: string }[]): Promise<PromotionSettings> {
    if (Array.isArray(s)) throw badRequest(s);
    if (s.promo_code_pool_id && !(await getPool(ctx.db, s.promo_code_pool_id)))
      throw unprocessable('pool-not-found', 'No promo code pool has this id.', [{ path: 'promo_code_pool_id', message: 'is not a pool' }]);
    return s;
  }

  /** Runs a write and drops the program's cached promotions in this process (others see the version move). */
  async function write<T>(pid: string, op: (tx: Tx) => Promise<T>): Promise<T> {
    const r = await ctx.db.transaction().execute(op);
    promotions.invalidate(ctx.db, pid);
    return r;
  }

  app.post(
    `${base}/promotions`,
    { schema: { tags, summary: 'Create a promotion (trigger, discount or points)', params: ProgramParams, body: PromotionBody, response: { 201: PromotionView } } },
    async (req, reply) => {
      const { pid } = req.params as { pid: string };
      await program(pid);
      const s = await checked(toPromotionSettings(req.body as PromotionInput));
      const p = await write(pid, (tx) => createPromotion(tx, pid, s, ctx.clock.now()));
      return reply.code(201).send(promotionView(p));
    },
  );

  app.get(
    `${base}/promotions`,
    { schema: { tags, summary: "A program's promotions, oldest first", params: ProgramParams, querystring: PromotionListQuery, response: { 200: Page(PromotionView) } } },
    async (req) => {
      const { pid } = req.params as { pid: string };
      const q = req.query as { status?: string; type?: string; limit?: number; cursor?: string };
      await program(pid);
      let after: { at: string; id: string } | undefined;
      if (q.cursor !== undefined) {
        const key = decodeCursor(q.cursor, 2);
        if (!key || typeof key[0] !== 'string' || typeof key[1] !== 'string' || Number.isNaN(Date.parse(key[0])))
          throw badRequest([{ path: 'query.cursor', message: 'is not a cursor this list returned' }]);
        after = { at: key[0], id: key[1] };
      }
      const limit = q.limit ?? 50;
      const rows = await listPromotions(ctx.db, pid, { status: q.status, type: q.type, limit: limit + 1, after });
      const page = pageOf(rows, limit, (p) => [p.created_at.toISOString(), p.id]);
      return { items: page.items.map(promotionView), next_cursor: page.next_cursor };
    },
  );

  app.get(`${base}/promotions/:id`, { schema: { tags, summary: 'A promotion with its counted usage', params: PromotionParams, response: { 200: PromotionView } } }, async (req) => {
    const { pid, id } = req.params as { pid: string; id: string };
    const p = await getPromotion(ctx.db, pid, id);
    if (!p) throw notFound('Promotion');
    return promotionView(p);
  });

  app.patch(
    `${base}/promotions/:id`,
    { schema: { tags, summary: 'Change a promotion: fields replace, benefit and limits merge; checked as a whole', params: PromotionParams, body: PatchSchema, response: { 200: PromotionView } } },
    async (req) => {
      const { pid, id } = req.params as { pid: string; id: string };
      const current = await getPromotion(ctx.db, pid, id);
      if (!current) throw notFound('Promotion');
      const s = await checked(patchPromotion(current, req.body as PromotionPatch));
      const p = await write(pid, (tx) => updatePromotion(tx, pid, id, s, ctx.clock.now()));
      if (!p) throw notFound('Promotion');
      return promotionView(p);
    },
  );

  for (const [action, status] of [['pause', 'paused'], ['resume', 'active']] as const) {
    app.post(
      `${base}/promotions/:id/${action}`,
      { schema: { tags, summary: action === 'pause' ? 'Pause a promotion: it stops applying at once' : 'Resume a paused promotion', params: PromotionParams, response: { 200: PromotionView } } },
      async (req) => {
        const { pid, id } = req.params as { pid: string; id: string };
        const p = await write(pid, async (tx) => {
          const current = await getPromotion(tx, pid, id, true);
          if (!current) return undefined;
          if (current.status === status) return current;
          return updatePromotion(tx, pid, id, { ...current, status }, ctx.clock.now());
        });
        if (!p) throw notFound('Promotion');
        return promotionView(p);
      },
    );
  }

  app.put(
    `${base}/partner-products/:product_id`,
    { schema: { tags, summary: "Set a product's partner terms: cashback_percent and/or discount_percent", params: PartnerParams, body: PartnerBody, response: { 200: PartnerView, 201: PartnerView } } },
    async (req, reply) => {
      const { pid, product_id } = req.params as { pid: string; product_id: string };
      await program(pid);
      const t = toPartnerTerms(req.body as PartnerInput);
      if (Array.isArray(t)) throw badRequest(t);
      const r = await write(pid, (tx) => putPartnerProduct(tx, pid, product_id, t, ctx.clock.now()));
      return reply.code(r.created ? 201 : 200).send(partnerView(r.partner));
    },
  );

  app.get(
    `${base}/partner-products`,
    { schema: { tags, summary: "A program's partner products by product id", params: ProgramParams, querystring: PageQuery, response: { 200: Page(PartnerView) } } },
    async (req) => {
      const { pid } = req.params as { pid: string };
      const q = req.query as { limit?: number; cursor?: string };
      await program(pid);
      const limit = q.limit ?? 50;
      const page = pageOf(await listPartnerProducts(ctx.db, pid, limit + 1, cursorAfter(q.cursor)), limit, (p) => [p.product_id]);
      return { items: page.items.map(partnerView), next_cursor: page.next_cursor };
    },
  );

  app.get(`${base}/partner-products/:product_id`, { schema: { tags, summary: "A product's partner terms", params: PartnerParams, response: { 200: PartnerView } } }, async (req) => {
    const { pid, product_id } = req.params as { pid: string; product_id: string };
    const p = await getPartnerProduct(ctx.db, pid, product_id);
    if (!p) throw notFound('Partner product');
    return partnerView(p);
  });

  app.delete(`${base}/partner-products/:product_id`, { schema: { tags, summary: "Remove a product's partner terms", params: PartnerParams } }, async (req, reply) => {
    const { pid, product_id } = req.params as { pid: string; product_id: string };
    if (!(await write(pid, (tx) => deletePartnerProduct(tx, pid, product_id)))) throw notFound('Partner product');
    return reply.code(204).send();
  });
}
