/**
 * Arbitration step 1: which promotions are candidates. An active discount or points promotion whose
 * period, conditions, items, code and limits hold is a candidate; every other active one is rejected with
 * a reason. Trigger promotions and paused ones do not take part. Candidates come out in the order of
 * arbitration: higher `priority` first, then older first (then by id, so the order is total).
 */
import { localTime, orderLanguage, type OrderConditionContext } from '../promotions/conditions.js';
import { matcherOf, type ItemMatcher } from '../promotions/items.js';
import { partnerActive, partnerId } from '../promotions/partner.js';
import { limitRefusal, periodRefusal, type Benefit, type Promotion, type Refusal } from '../promotions/promotion.js';
import type { Line, Trace } from './lines.js';
import type { CalculationInput, Rejection } from './types.js';

export interface Candidate {
  id: string;
  name: string;
  /** Null for a partner product's terms. */
  promotion: Promotion | null;
  benefit: Benefit;
  combinable: boolean;
  matcher: ItemMatcher;
  /** The request's code that unlocked it. */
  code: string | null;
}

const ZERO_USAGE = { uses: 0, points: 0 };

/** Arbitration order: priority (higher first), then creation (older first), then id. */
export function byArbitration(a: Promotion, b: Promotion): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  const ta = a.created_at.getTime();
  const tb = b.created_at.getTime();
  if (ta !== tb) return ta - tb;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export function conditionContext(input: CalculationInput, lines: Line[]): OrderConditionContext {
  return {
    now: input.now,
    local: localTime(input.now, input.program.timezone),
    lines: lines.map((l) => l.facts),
    subtotal: lines.reduce((s, l) => s + l.base, 0),
    channel: input.request.channel,
    tier: input.member.tier,
    orders_count: input.member.orders_count,
    profile: input.member.profile,
    appliesTo: null,
  };
}

export interface Eligibility {
  discounts: Candidate[];
  points: Candidate[];
  rejected: Rejection[];
  /** The code used for each pool (the first valid code of the pool in the request). */
  poolCode: Map<string, string>;
}

export function eligibility(input: CalculationInput, lines: Line[], trace: Trace): Eligibility {
  const { request, codes, member, usage, now } = input;
  const rejected: Rejection[] = [];
  const poolCode = new Map<string, string>();
  const poolRefusal = new Map<string, string>();
  for (const code of request.promo_codes) {
    const c = codes.get(code);
    if (!c) continue;
    if (c.refusal === null) {
      if (!poolCode.has(c.pool_id)) poolCode.set(c.pool_id, code);
    } else if (!poolRefusal.has(c.pool_id)) poolRefusal.set(c.pool_id, c.refusal);
  }
  const ctx = conditionContext(input, lines);
  const reject = (p: Promotion, r: Refusal) => {
    rejected.push({ promotion_id: p.id, reason: r.reason, detail: r.detail });
    trace.add({ promotion_id: p.id, step: 'eligibility', outcome: 'rejected', reason: r.reason, amount_before: ctx.subtotal, amount_after: ctx.subtotal });
  };
  const discounts: Candidate[] = [];
  const points: Candidate[] = [];
  const active = input.promotions.filter((p) => p.type !== 'trigger' && p.status === 'active').sort(byArbitration);
  for (const p of active) {
    const period = periodRefusal(p, now);
    if (period) {
      reject(p, period);
      continue;
    }
    if (p.conditions) {
      ctx.appliesTo = p.applies_to;
      if (!orderLanguage.evaluate(p.conditions, ctx)) {
        reject(p, { reason: 'condition-not-met', detail: 'The order does not meet the promotion’s conditions.' });
        continue;
      }
    }
    const matcher = matcherOf(p.applies_to);
    if (!lines.some((l) => matcher.matches(l.facts))) {
      reject(p, { reason: 'no-matching-items', detail: 'No line of the order is one the promotion applies to.' });
      continue;
    }
    let code: string | null = null;
    if (p.promo_code_pool_id) {
      code = poolCode.get(p.promo_code_pool_id) ?? null;
      if (!code) {
        const why = poolRefusal.get(p.promo_code_pool_id);
        reject(p, why ? { reason: why, detail: 'The request’s code of this promotion’s pool cannot be used.' } : { reason: 'code-required', detail: 'The promotion needs a promo code of its pool.' });
        continue;
      }
    }
    const limit = limitRefusal(p.limits, usage.get(p.id) ?? ZERO_USAGE, member.uses.get(p.id) ?? 0);
    if (limit) {
      reject(p, limit);
      continue;
    }
    trace.add({ promotion_id: p.id, step: 'eligibility', outcome: 'candidate', reason: code ? `code ${code}` : 'all rules hold', amount_before: ctx.subtotal, amount_after: ctx.subtotal });
    const c: Candidate = { id: p.id, name: p.name, promotion: p, benefit: p.benefit, combinable: p.combinable, matcher, code };
    (p.type === 'discount' ? discounts : points).push(c);
  }
  return { discounts: [...partnerDiscounts(input, lines, trace, ctx.subtotal), ...discounts], points, rejected, poolCode };
}

/** Partner products' discounts: ranked with the program's highest priority, so they come first (by product id). */
function partnerDiscounts(input: CalculationInput, lines: Line[], trace: Trace, subtotal: number): Candidate[] {
  const ids = [...new Set(lines.map((l) => l.facts.product_id))].sort();
  const out: Candidate[] = [];
  for (const productId of ids) {
    const terms = input.partners.get(productId);
    if (!terms || terms.discount_percent === null || !partnerActive(terms, input.now)) continue;
    const id = partnerId(productId);
    trace.add({ promotion_id: id, step: 'eligibility', outcome: 'candidate', reason: 'partner product discount', amount_before: subtotal, amount_after: subtotal });
    out.push({
      id,
      name: `Partner product ${productId}`,
      promotion: null,
      benefit: { kind: 'percent', value: terms.discount_percent, max_discount: null },
      combinable: true,
      matcher: matcherOf({ product_ids: [productId], categories: [], skus: [] }),
      code: null,
    });
  }
  return out;
}
