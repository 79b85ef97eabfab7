import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { calculate } from '../../../src/domain/checkout/calculate.js';
import type { Calculation, CalculationInput, CheckoutItem } from '../../../src/domain/checkout/types.js';
import { spreadOverLines } from '../../../src/domain/money.js';
import type { Promotion } from '../../../src/domain/promotions/promotion.js';
import { input, member, promo } from './fixtures.js';

const CATEGORIES = ['shoes', 'shirts', 'socks', 'coats'];
const PRODUCTS = ['A', 'B', 'C', 'D', 'E'];

const filterArb = fc.option(
  fc.record({
    product_ids: fc.subarray(PRODUCTS, { maxLength: 2 }),
    categories: fc.subarray(CATEGORIES, { maxLength: 2 }),
    skus: fc.constant([] as string[]),
  }),
  { nil: null },
);

const discountArb = fc.oneof(
  fc.record({ kind: fc.constant('percent' as const), value: fc.integer({ min: 1, max: 100 }) }),
  fc.record({ kind: fc.constant('fixed' as const), value: fc.integer({ min: 1, max: 20000 }) }),
  fc.record({ kind: fc.constant('fixed_price' as const), value: fc.integer({ min: 0, max: 5000 }) }),
);
const pointsArb = fc.oneof(
  fc.record({ kind: fc.constant('points_percent' as const), value: fc.integer({ min: 1, max: 300 }).map((v) => v / 10) }),
  fc.record({ kind: fc.constant('points_fixed' as const), value: fc.integer({ min: 1, max: 5000 }) }),
  fc.record({ kind: fc.constant('points_multiplier' as const), value: fc.integer({ min: 5, max: 40 }).map((v) => v / 10) }),
);

const promotionArb = (i: number) =>
  fc
    .record({
      type: fc.constantFrom('discount' as const, 'points' as const),
      d: discountArb,
      p: pointsArb,
      max: fc.option(fc.integer({ min: 1, max: 5000 }), { nil: null }),
      priority: fc.integer({ min: 0, max: 3 }).map((x) => x * 100),
      combinable: fc.boolean(),
      applies_to: filterArb,
      budget: fc.option(fc.integer({ min: 1, max: 3000 }), { nil: null }),
      used: fc.integer({ min: 0, max: 3000 }),
    })
    .map((r): [Promotion, number] => [
      promo(`p${i}`, {
        type: r.type,
        priority: r.priority,
        combinable: r.combinable,
        applies_to: r.applies_to && (r.applies_to.product_ids.length || r.applies_to.categories.length) ? r.applies_to : null,
        benefit: r.type === 'discount' ? { ...r.d, max_discount: r.max } : { ...r.p, max_discount: null },
        limits: { per_member: null, total_uses: null, budget_points: r.type === 'points' ? r.budget : null },
      }),
      r.used,
    ]);

const itemArb = fc.oneof(
  fc.record({ product_id: fc.constantFrom(...PRODUCTS), sku_id: fc.constant(null), quantity: fc.integer({ min: 1, max: 5 }), price: fc.constant(null) }),
  fc.record({ product_id: fc.constant('Z'), sku_id: fc.constant(null), quantity: fc.integer({ min: 1, max: 5 }), price: fc.integer({ min: 0, max: 100000 }) }),
);

const caseArb = fc
  .record({
    items: fc.array(itemArb, { minLength: 1, maxLength: 20 }) as fc.Arbitrary<CheckoutItem[]>,
    promotions: fc.integer({ min: 0, max: 12 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => promotionArb(i)))),
    spendable: fc.integer({ min: 0, max: 200000 }),
    redeem: fc.oneof(fc.constant(null), fc.constant('max' as const), fc.integer({ min: 0, max: 300000 })),
    pointValue: fc.integer({ min: 1, max: 100 }),
    share: fc.integer({ min: 0, max: 100 }).map((x) => x / 100),
    rounding: fc.constantFrom('floor' as const, 'round' as const, 'ceil' as const),
    tier: fc.constantFrom(null, 'Silver', 'Gold'),
    partnerA: fc.option(fc.record({ discount_percent: fc.integer({ min: 1, max: 50 }), cashback_percent: fc.integer({ min: 1, max: 30 }) }), { nil: null }),
  })
  .map((c): CalculationInput =>
    input({
      items: c.items,
      promotions: c.promotions.map(([p]) => p),
      usage: Object.fromEntries(c.promotions.map(([p, used]) => [p.id, { uses: 0, points: used }])),
      member: member({ spendable: c.spendable, tier: c.tier }),
      redeem: c.redeem,
      program: { point_value: c.pointValue, redeem_max_share: c.share, points_rounding: c.rounding },
      partners: c.partnerA ? { A: c.partnerA } : {},
    }),
  );

const run = (i: CalculationInput): Calculation => {
  const r = calculate(i);
  if ('faults' in r) throw new Error('every generated item is priced');
  return r;
};

describe('checkout calculator properties', () => {
  it('line totals add up to the order total, and the order total to subtotal − discounts − points value', () => {
    fc.assert(
      fc.property(caseArb, (i) => {
        const r = run(i);
        expect(r.items.reduce((s, l) => s + l.total, 0)).toBe(r.total);
        expect(r.subtotal - r.discount_total - r.points_redeemed_value).toBe(r.total);
        expect(r.items.reduce((s, l) => s + l.discount, 0)).toBe(r.discount_total);
        expect(r.items.reduce((s, l) => s + l.points_redeemed, 0)).toBe(r.points_redeemed);
        expect(r.items.reduce((s, l) => s + l.points_accrued, 0)).toBe(r.points_accrued);
        expect(r.applied_promotions.reduce((s, a) => s + a.discount, 0)).toBe(r.discount_total);
        expect(r.applied_promotions.reduce((s, a) => s + a.points, 0)).toBe(r.points_accrued);
      }),
      { numRuns: 400 },
    );
  });

  it('no line goes below zero and the discount never exceeds the subtotal', () => {
    fc.assert(
      fc.property(caseArb, (i) => {
        const r = run(i);
        for (const l of r.items) {
          expect(l.discount).toBeGreaterThanOrEqual(0);
          expect(l.points_redeemed_value).toBeGreaterThanOrEqual(0);
          expect(l.total).toBeGreaterThanOrEqual(0);
          expect(l.discount + l.points_redeemed_value).toBeLessThanOrEqual(l.price * l.quantity);
          expect(l.points_accrued).toBeGreaterThanOrEqual(0);
        }
        expect(r.discount_total).toBeLessThanOrEqual(r.subtotal);
      }),
      { numRuns: 400 },
    );
  });

  it('redemption stays within the spendable balance and redeem_max_share of the discounted total', () => {
    fc.assert(
      fc.property(caseArb, (i) => {
        const r = run(i);
        expect(r.points_redeemed).toBeLessThanOrEqual(i.member.spendable);
        expect(r.points_redeemed_value).toBe(r.points_redeemed * i.program.point_value);
        expect(r.points_redeemed_value * 100).toBeLessThanOrEqual(Math.round(i.program.redeem_max_share * 100) * (r.subtotal - r.discount_total));
      }),
      { numRuns: 300 },
    );
  });

  it('no promotion gives more points than is left in its budget', () => {
    fc.assert(
      fc.property(caseArb, (i) => {
        const r = run(i);
        for (const a of r.applied_promotions) {
          const p = i.promotions.find((x) => x.id === a.id);
          if (p?.limits.budget_points) expect(a.points).toBeLessThanOrEqual(Math.max(0, p.limits.budget_points - i.usage.get(p.id)!.points));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('the same input gives the same output, explain or not', () => {
    fc.assert(
      fc.property(caseArb, (i) => {
        const a = run(i);
        const b = run(structuredClone(i));
        expect(b).toEqual(a);
        const { explain, ...withTrace } = run({ ...i, explain: true });
        expect(withTrace).toEqual(a);
        expect(explain!.length).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 200 },
    );
  });

  it('every promotion of the program is either applied or rejected, never both', () => {
    fc.assert(
      fc.property(caseArb, (i) => {
        const r = run(i);
        const applied = r.applied_promotions.map((a) => a.id).filter((id) => !id.startsWith('partner:'));
        const rejected = r.rejected.map((x) => x.promotion_id);
        expect(new Set([...applied, ...rejected]).size).toBe(applied.length + rejected.length);
        expect([...applied, ...rejected].sort()).toEqual(i.promotions.map((p) => p.id).sort());
      }),
      { numRuns: 300 },
    );
  });
});

describe('spreadOverLines', () => {
  it('adds up exactly, keeps every share within its line, and leaves the remainder on the largest line', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 1, maxLength: 30 }), fc.integer({ min: 0, max: 1000 }), (weights, permille) => {
        const sum = weights.reduce((a, b) => a + b, 0);
        const total = Math.floor((sum * permille) / 1000);
        const shares = spreadOverLines(total, weights);
        expect(shares.reduce((a, b) => a + b, 0)).toBe(sum === 0 ? 0 : total);
        shares.forEach((s, i) => {
          const floor = Math.floor((total * weights[i]) / (sum || 1));
          expect(s).toBeLessThanOrEqual(weights[i]);
          expect(s).toBeGreaterThanOrEqual(floor);
        });
        const largest = weights.indexOf(Math.max(...weights));
        const extra = shares.map((s, i) => s - Math.floor((total * weights[i]) / (sum || 1)));
        // While the largest line has room (the usual case) it alone takes the remainder.
        if (shares[largest] < weights[largest]) extra.forEach((e, i) => i !== largest && expect(e).toBe(0));
      }),
    );
  });

  it('spreads points over smaller money amounts without a cap: the remainder goes to the largest line', () => {
    expect(spreadOverLines(10, [1, 2])).toEqual([3, 7]);
    expect(spreadOverLines(5, [0, 0])).toEqual([0, 0]);
  });
});
