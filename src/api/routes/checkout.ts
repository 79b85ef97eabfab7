import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import type { Calculation } from '../../domain/checkout/types.js';
import { toMajor } from '../../domain/money.js';
import { commit, CheckoutError, preorder, type CheckoutBody, type CommitResult } from '../../engine/checkout.js';
import { ProblemError } from '../problem.js';
import { CommitBody, CommitView, PreorderBody, PreorderQuery, PreorderView } from '../schemas/checkout.js';

/** A calculation in the API's units (major units for money). */
export function calculationView(c: Calculation) {
  return {
    calculation_id: c.calculation_id,
    currency: c.currency,
    subtotal: toMajor(c.subtotal),
    discount_total: toMajor(c.discount_total),
    points_redeemed: c.points_redeemed,
    points_redeemed_value: toMajor(c.points_redeemed_value),
    total: toMajor(c.total),
    points_accrued: c.points_accrued,
    redeem_max_points: c.redeem_max_points,
    items: c.items.map((l) => ({
      product_id: l.product_id,
      sku_id: l.sku_id,
      quantity: l.quantity,
      price: toMajor(l.price),
      discount: toMajor(l.discount),
      points_redeemed: l.points_redeemed,
      points_redeemed_value: toMajor(l.points_redeemed_value),
      total: toMajor(l.total),
      points_accrued: l.points_accrued,
      promotions: l.promotions,
    })),
    applied_promotions: c.applied_promotions.map((a) => ({ ...a, discount: toMajor(a.discount) })),
    rejected: c.rejected,
    ...(c.explain ? { explain: c.explain.map((s) => ({ ...s, amount_before: toMajor(s.amount_before), amount_after: toMajor(s.amount_after) })) } : {}),
  };
}

const commitView = (r: CommitResult) => ({ ...calculationView(r), order_id: r.order_id, status: 'new' as const, accrual: r.accrual });

function problemOf(e: unknown): never {
  if (e instanceof CheckoutError) throw new ProblemError(e.status, e.slug, e.message, e.errors);
  throw e;
}

export function checkoutRoutes(app: FastifyInstance, ctx: AppContext) {
  const tags = ['market'];

  app.post(
    '/market/preorder',
    {
      schema: {
        tags,
        summary: 'Price a cart with the program’s promotions, points and codes; writes nothing. ?explain=true adds the trace of every decision',
        querystring: PreorderQuery,
        body: PreorderBody,
        response: { 200: PreorderView },
      },
    },
    async (req) => {
      const q = req.query as { explain?: boolean };
      const r = await preorder(ctx, req.body as CheckoutBody, { explain: q.explain === true }).catch(problemOf);
      return calculationView(r);
    },
  );

  app.post(
    '/market/preorder_commit',
    {
      schema: {
        tags,
        summary: 'Price the cart again and, in one transaction, create the order, redeem points and codes, record accrual and emit order_finalized; idempotent on order_id',
        body: CommitBody,
        response: { 200: CommitView, 201: CommitView },
      },
    },
    async (req, reply) => {
      const r = await commit(ctx, req.body as CheckoutBody).catch(problemOf);
      return reply.code(r.status).send(commitView(r.result));
    },
  );
}
