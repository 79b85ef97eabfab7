/**
 * The checkout calculator: a pure, deterministic function of (request, catalogue, promotions, member,
 * now) → the priced order and, on request, the trace of every decision. Integer minor units and integer
 * points throughout. The arbitration runs in the order of the API contract:
 *
 * 1. candidates (eligibility.ts), 2. discounts (discounts.ts), 3. points redemption (redemption.ts),
 * 4. accrual (accrual.ts). Line totals add up to the order total exactly, no line goes below zero, and
 * the same input gives the same output (the `calculation_id` is a digest of the request and the result).
 */
import { createHash } from 'node:crypto';
import { accruePoints } from './accrual.js';
import { applyDiscounts } from './discounts.js';
import { eligibility } from './eligibility.js';
import { priceLines, Trace } from './lines.js';
import { redeemPoints } from './redemption.js';
import { isLimited } from '../promotions/promotion.js';
import type { AppliedPromotion, Calculation, CalculationInput, PricingFault, Rejection } from './types.js';

export function calculate(input: CalculationInput): Calculation | { faults: PricingFault[] } {
  const priced = priceLines(input.request.items, input.catalogue);
  if ('faults' in priced) return priced;
  const { lines } = priced;
  const trace = new Trace(input.explain === true);
  const applied: AppliedPromotion[] = [];

  const elig = eligibility(input, lines, trace);
  const rejected: Rejection[] = elig.rejected;
  applyDiscounts(elig.discounts, lines, trace, applied, rejected);
  for (const l of lines) l.paid = l.remaining;
  const redemption = redeemPoints(input, lines, trace);
  accruePoints(input, elig.points, lines, trace, applied, rejected);

  const appliedIds = new Set(applied.map((a) => a.id));
  const codes: { code: string; pool_id: string }[] = [];
  const usedPools = new Set<string>();
  for (const c of [...elig.discounts, ...elig.points]) {
    if (!c.code || !appliedIds.has(c.id) || usedPools.has(c.promotion!.promo_code_pool_id!)) continue;
    usedPools.add(c.promotion!.promo_code_pool_id!);
    codes.push({ code: c.code, pool_id: c.promotion!.promo_code_pool_id! });
  }
  rejected.push(...codeRejections(input, elig.poolCode, usedPools));

  const promotionsById = new Map(input.promotions.map((p) => [p.id, p]));
  const counted = applied
    .filter((a) => {
      const p = promotionsById.get(a.id);
      return p !== undefined && isLimited(p.limits);
    })
    .map((a) => {
      const l = promotionsById.get(a.id)!.limits;
      return { promotion_id: a.id, points: a.points, per_member: l.per_member !== null, total: l.total_uses !== null || l.budget_points !== null };
    });

  const items = lines.map((l) => ({
    product_id: l.facts.product_id,
    sku_id: l.facts.sku_id,
    quantity: l.facts.quantity,
    price: l.price,
    discount: l.discount,
    points_redeemed: l.redeemedPoints,
    points_redeemed_value: l.redeemedValue,
    total: l.paid,
    points_accrued: l.points,
    promotions: l.promotions,
    points_promotion: l.pointsPromotion,
  }));
  const sum = (f: (l: (typeof lines)[number]) => number) => lines.reduce((s, l) => s + f(l), 0);
  const result: Omit<Calculation, 'calculation_id'> = {
    currency: input.program.currency,
    subtotal: sum((l) => l.base),
    discount_total: sum((l) => l.discount),
    points_redeemed: redemption.points,
    points_redeemed_value: redemption.value,
    total: sum((l) => l.paid),
    points_accrued: sum((l) => l.points),
    redeem_max_points: redemption.max,
    items,
    applied_promotions: applied,
    rejected,
    codes,
    counted,
  };
  const calculation: Calculation = { calculation_id: calculationId(input, result), ...result };
  if (trace.steps) calculation.explain = trace.steps;
  return calculation;
}

/** Why each code of the request is not used (every code is either used or rejected). */
function codeRejections(input: CalculationInput, poolCode: Map<string, string>, usedPools: Set<string>): Rejection[] {
  const out: Rejection[] = [];
  const pools = new Set(
    input.promotions.filter((p) => p.type !== 'trigger' && p.status === 'active' && p.promo_code_pool_id).map((p) => p.promo_code_pool_id!),
  );
  const seen = new Set<string>();
  for (const code of input.request.promo_codes) {
    if (seen.has(code)) continue;
    seen.add(code);
    const c = input.codes.get(code);
    if (!c) out.push({ code, reason: 'code-unknown', detail: 'No such promo code.' });
    else if (c.refusal) out.push({ code, reason: c.refusal });
    else if (!pools.has(c.pool_id)) out.push({ code, reason: 'no-promotion', detail: 'No active promotion of this program takes codes of its pool.' });
    else if (poolCode.get(c.pool_id) !== code) out.push({ code, reason: 'pool-code-used', detail: 'Another code of the same pool is used in this order.' });
    else if (!usedPools.has(c.pool_id)) out.push({ code, reason: 'promotion-not-applied', detail: 'The promotions this code unlocks do not apply to the order.' });
  }
  return out;
}

/** A digest of what was asked and what came out: equal calculations have equal ids. */
function calculationId(input: CalculationInput, r: Omit<Calculation, 'calculation_id'>): string {
  const h = createHash('sha256');
  h.update(JSON.stringify([input.request, r.currency, r.items, r.applied_promotions, r.points_redeemed, r.points_accrued, r.total]));
  return `calc_${h.digest('base64url').slice(0, 27)}`;
}
