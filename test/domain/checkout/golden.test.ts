/**
 * Hand-worked carts. Every figure is written out in cents (1 point = 1 cent unless a test says otherwise),
 * with the arithmetic that gives it; the calculator must agree to the cent and to the point.
 */
import { describe, expect, it } from 'vitest';
import { calculate } from '../../../src/domain/checkout/calculate.js';
import type { Calculation, CalculationInput } from '../../../src/domain/checkout/types.js';
import { input, item, member, promo } from './fixtures.js';

function calc(i: CalculationInput): Calculation {
  const r = calculate(i);
  if ('faults' in r) throw new Error(JSON.stringify(r.faults));
  expect(r.items.reduce((s, l) => s + l.total, 0)).toBe(r.total);
  expect(r.subtotal - r.discount_total - r.points_redeemed_value).toBe(r.total);
  return r;
}
const lines = (r: Calculation) => r.items.map((l) => ({ discount: l.discount, total: l.total }));
const reasons = (r: Calculation) => Object.fromEntries(r.rejected.map((x) => [x.promotion_id ?? x.code, x.reason]));

describe('checkout golden carts', () => {
  it('1. a percent discount on a category touches only its lines', () => {
    // 2 × A (shoes) = 2000, B (shirt) = 2500. 10% on shoes: 2000 × 10% = 200 off A.
    const r = calc(input({ items: [item('A', 2), item('B')], promotions: [promo('shoes10', { applies_to: { product_ids: [], categories: ['shoes'], skus: [] } })] }));
    expect(lines(r)).toEqual([{ discount: 200, total: 1800 }, { discount: 0, total: 2500 }]);
    expect(r).toMatchObject({ subtotal: 4500, discount_total: 200, total: 4300 });
    expect(r.items[0].promotions).toEqual(['shoes10']);
    expect(r.applied_promotions).toEqual([{ id: 'shoes10', name: 'Promotion shoes10', type: 'discount', discount: 200, points: 0 }]);
  });

  it('2. combinable discounts stack on what is left, each rounded once and spread with the remainder on the largest line', () => {
    // A 1000 + B 2500 = 3500. P1 (priority 200) 10%: 350 → A 350·1000/3500 = 100, B 250. Left: 900, 2250.
    // P2 (priority 100) 5% of 3150 = 157.5 → 158 (half up). A: ⌊158·900/3150⌋ = 45, B: ⌊158·2250/3150⌋ = 112,
    // 157 placed, the remaining 1 goes to the largest line B → 113. A: 1000 − 145 = 855, B: 2500 − 363 = 2137.
    const r = calc(input({ items: [item('A'), item('B')], promotions: [promo('p2', { benefit: { value: 5 } }), promo('p1', { priority: 200 })] }));
    expect(lines(r)).toEqual([{ discount: 145, total: 855 }, { discount: 363, total: 2137 }]);
    expect(r).toMatchObject({ discount_total: 508, total: 2992 });
    expect(r.items[1].promotions).toEqual(['p1', 'p2']);
    expect(r.applied_promotions.map((a) => [a.id, a.discount])).toEqual([['p1', 350], ['p2', 158]]);
  });

  it('3. a non-combinable discount excludes every lower one on its lines, not on others', () => {
    // P1 non-combinable 20% on A (priority 200): A 1000 → 800, closed. P2 10% on all: A excluded, B 2500 → 2250.
    const r = calc(
      input({
        items: [item('A'), item('B')],
        promotions: [promo('p1', { priority: 200, combinable: false, benefit: { value: 20 }, applies_to: { product_ids: ['A'], categories: [], skus: [] } }), promo('p2')],
      }),
    );
    expect(lines(r)).toEqual([{ discount: 200, total: 800 }, { discount: 250, total: 2250 }]);
    expect(r.items.map((l) => l.promotions)).toEqual([['p1'], ['p2']]);
    expect(r.rejected).toEqual([]);
  });

  it('4. a non-combinable discount is not stacked on a line a higher discount took', () => {
    // P1 10% combinable, priority 200: A 1000 → 900. P2 50% non-combinable, priority 100: A is discounted already → excluded.
    const r = calc(input({ items: [item('A')], promotions: [promo('p1', { priority: 200 }), promo('p2', { combinable: false, benefit: { value: 50 } })], explain: true }));
    expect(lines(r)).toEqual([{ discount: 100, total: 900 }]);
    expect(reasons(r)).toEqual({ p2: 'not-combinable' });
    expect(r.explain!.filter((s) => s.step === 'discount').map((s) => [s.promotion_id, s.outcome])).toEqual([['p1', 'applied'], ['p2', 'excluded']]);
  });

  it('5. equal priority: the older promotion goes first', () => {
    // Both priority 100, both non-combinable 10% / 30%: the older (created first) wins the line: 1000 → 900.
    const older = promo('older', { combinable: false });
    const newer = promo('newer', { combinable: false, benefit: { value: 30 } });
    const r = calc(input({ items: [item('A')], promotions: [newer, older] }));
    expect(lines(r)).toEqual([{ discount: 100, total: 900 }]);
    expect(reasons(r)).toEqual({ newer: 'not-combinable' });
  });

  it('6. fixed_price sets the unit price of the matching lines and never raises one', () => {
    // 3 × C at 333 = 999 → 3 × 250 = 750: 249 off. B 2500 is not socks. E at 334 with fixed price 4.00: no effect.
    const r = calc(
      input({ items: [item('C', 3), item('B'), item('E')], promotions: [promo('socks', { benefit: { kind: 'fixed_price', value: 250 }, applies_to: { product_ids: [], categories: ['socks'], skus: [] } }), promo('e400', { benefit: { kind: 'fixed_price', value: 400 }, applies_to: { product_ids: ['E'], categories: [], skus: [] } })] }),
    );
    expect(lines(r)).toEqual([{ discount: 249, total: 750 }, { discount: 0, total: 2500 }, { discount: 84, total: 250 }]);
    // E is socks too: 334 → 250 by the first; the second (400 per unit) would raise it, so it does nothing.
    expect(reasons(r)).toEqual({ e400: 'no-effect' });
  });

  it('7. an order-level fixed amount is spread in proportion, the rounding remainder on the largest line', () => {
    // 1.00 off C 333 + C 333 + E 334 (sum 1000): ⌊33.3⌋ = 33, 33, ⌊33.4⌋ = 33 → 99; the remaining 1 to E (largest) → 34.
    const r = calc(input({ items: [item('C'), item('C'), item('E')], promotions: [promo('euro', { benefit: { kind: 'fixed', value: 100 } })] }));
    expect(lines(r)).toEqual([{ discount: 33, total: 300 }, { discount: 33, total: 300 }, { discount: 34, total: 300 }]);
    // 5.00 off A 1000 + B 2500: ⌊142.86⌋ = 142, ⌊357.14⌋ = 357 → 499; +1 on B → 358.
    const r2 = calc(input({ items: [item('A'), item('B')], promotions: [promo('five', { benefit: { kind: 'fixed', value: 500 } })] }));
    expect(lines(r2)).toEqual([{ discount: 142, total: 858 }, { discount: 358, total: 2142 }]);
  });

  it('8. max_discount caps a promotion over the order; a discount larger than the order stops at zero', () => {
    // 50% of A 1000 + B 2500 = 1750, capped at 1000: ⌊1000·500/1750⌋ = 285, ⌊1000·1250/1750⌋ = 714 → 999, +1 on B → 715.
    const r = calc(input({ items: [item('A'), item('B')], promotions: [promo('half', { benefit: { value: 50, max_discount: 1000 } })] }));
    expect(lines(r)).toEqual([{ discount: 285, total: 715 }, { discount: 715, total: 1785 }]);
    expect(r.discount_total).toBe(1000);
    // 100.00 off a 35.00 cart: takes 3500, every line at 0, nothing accrues.
    const r2 = calc(input({ items: [item('A'), item('B')], promotions: [promo('big', { benefit: { kind: 'fixed', value: 10000 } }), promo('pts', { type: 'points', benefit: { kind: 'points_percent', value: 5 } })] }));
    expect(lines(r2)).toEqual([{ discount: 1000, total: 0 }, { discount: 2500, total: 0 }]);
    expect(r2).toMatchObject({ total: 0, points_accrued: 0 });
  });

  it('9. points redemption is capped by redeem_max_share and spread like an order discount', () => {
    // B 2500, balance 5000, share 0.5 → at most 1250 cents → 1250 points; asking for 2000 redeems 1250.
    const r = calc(input({ items: [item('B')], member: member({ spendable: 5000 }), redeem: 2000 }));
    expect(r).toMatchObject({ points_redeemed: 1250, points_redeemed_value: 1250, total: 1250, redeem_max_points: 1250 });
    // A + B = 3500, redeem 1000: ⌊285.71⌋ = 285 on A, ⌊714.29⌋ = 714 on B, +1 on B → 715.
    const r2 = calc(input({ items: [item('A'), item('B')], member: member({ spendable: 5000 }), redeem: 1000 }));
    expect(r2.items.map((l) => [l.points_redeemed, l.points_redeemed_value, l.total])).toEqual([[285, 285, 715], [715, 715, 1785]]);
  });

  it('10. points redemption is capped by the spendable balance; max redeems what may be', () => {
    // A + B = 3500, share allows 1750, balance 300 → 300: ⌊85.71⌋ = 85 on A, ⌊214.29⌋ = 214 + 1 = 215 on B.
    const r = calc(input({ items: [item('A'), item('B')], member: member({ spendable: 300 }), redeem: 'max' }));
    expect(r.items.map((l) => l.points_redeemed_value)).toEqual([85, 215]);
    expect(r).toMatchObject({ points_redeemed: 300, total: 3200, redeem_max_points: 300 });
    // A point worth 0.10: A 1000, share 0.5 → 500 cents → 50 points worth 500.
    const r2 = calc(input({ items: [item('A')], member: member({ spendable: 1000 }), redeem: 'max', program: { point_value: 10 } }));
    expect(r2).toMatchObject({ points_redeemed: 50, points_redeemed_value: 500, total: 500 });
  });

  it('11. accrual on the money paid, times the tier multiplier, rounded once per line', () => {
    // 5% points: A 1000 → 50 × 1.5 (Gold) = 75; B 2500 → 125 × 1.5 = 187.5 → 187 (floor); C 333 → 16.65 × 1.5 = 24.975 → 24.
    const promos = [promo('pts', { type: 'points', benefit: { kind: 'points_percent', value: 5 } })];
    const r = calc(input({ items: [item('A'), item('B'), item('C')], promotions: promos, member: member({ tier: 'Gold' }) }));
    expect(r.items.map((l) => l.points_accrued)).toEqual([75, 187, 24]);
    expect(r.points_accrued).toBe(286);
    // Rounded half up instead: 75, 188, 25.
    const r2 = calc(input({ items: [item('A'), item('B'), item('C')], promotions: promos, member: member({ tier: 'Gold' }), program: { points_rounding: 'round' } }));
    expect(r2.items.map((l) => l.points_accrued)).toEqual([75, 188, 25]);
    // Points come from money paid: redeeming 1000 of A+B (A pays 715, B 1785) at 5%, no tier: ⌊35.75⌋ = 35, ⌊89.25⌋ = 89.
    const r3 = calc(input({ items: [item('A'), item('B')], promotions: promos, member: member({ spendable: 1000 }), redeem: 1000 }));
    expect(r3.items.map((l) => l.points_accrued)).toEqual([35, 89]);
  });

  it('12. the best points promotion wins each line; a multiplier multiplies the best other one', () => {
    // A: 5% → 50, 10% on shoes → 100: shoes10 wins. B: 5% → 125, ×2 on shirts → 250: the multiplier wins.
    const r = calc(
      input({
        items: [item('A'), item('B')],
        promotions: [
          promo('all5', { type: 'points', benefit: { kind: 'points_percent', value: 5 } }),
          promo('shoes10', { type: 'points', benefit: { kind: 'points_percent', value: 10 }, applies_to: { product_ids: [], categories: ['shoes'], skus: [] } }),
          promo('double', { type: 'points', benefit: { kind: 'points_multiplier', value: 2 }, applies_to: { product_ids: [], categories: ['shirts'], skus: [] } }),
        ],
        explain: true,
      }),
    );
    expect(r.items.map((l) => [l.points_accrued, l.points_promotion])).toEqual([[100, 'shoes10'], [250, 'double']]);
    expect(r.applied_promotions.map((a) => [a.id, a.points])).toEqual([['shoes10', 100], ['double', 250]]);
    expect(reasons(r)).toEqual({ all5: 'not-best' });
    expect(r.explain!.filter((s) => s.step === 'accrual' && s.line === 1).map((s) => [s.promotion_id, s.outcome, s.points])).toEqual([
      ['all5', 'lost', 125],
      ['double', 'won', 250],
    ]);
  });

  it('13. points_fixed is spread over its lines by money paid; it wins the lines where its share is larger', () => {
    // 300 points for the order over A 1000 + B 2500: ⌊85.71⌋ = 85, ⌊214.29⌋ = 214 + 1 → 215. 5% gives 50 on A, 125 on B.
    const r = calc(
      input({
        items: [item('A'), item('B')],
        promotions: [promo('fixed', { type: 'points', benefit: { kind: 'points_fixed', value: 300 } }), promo('p5', { type: 'points', benefit: { kind: 'points_percent', value: 5 } })],
      }),
    );
    expect(r.items.map((l) => [l.points_accrued, l.points_promotion])).toEqual([[85, 'fixed'], [215, 'fixed']]);
  });

  it('14. partner products: their discount comes first and combines; their cashback wins when higher', () => {
    // A is a partner product: 10% off, 8% cashback. Discounts: partner 10% of A → 900; then 20% of 900 + 2500 = 680:
    // 680·900/3400 = 180 on A, 500 on B (exact). Paid: A 720, B 2000.
    // Points 5%: A 36 vs cashback 8% of 720 = 57.6 → the partner wins, ⌊57.6⌋ = 57; B 5% of 2000 = 100.
    const r = calc(
      input({
        items: [item('A'), item('B')],
        promotions: [promo('d20', { benefit: { value: 20 } }), promo('p5', { type: 'points', benefit: { kind: 'points_percent', value: 5 } })],
        partners: { A: { discount_percent: 10, cashback_percent: 8 } },
      }),
    );
    expect(lines(r)).toEqual([{ discount: 280, total: 720 }, { discount: 500, total: 2000 }]);
    expect(r.items.map((l) => [l.points_accrued, l.points_promotion])).toEqual([[57, 'partner:A'], [100, 'p5']]);
    expect(r.items[0].promotions).toEqual(['partner:A', 'd20']);
    expect(r.applied_promotions).toEqual([
      { id: 'partner:A', name: 'Partner product A', type: 'partner', discount: 100, points: 57 },
      { id: 'd20', name: 'Promotion d20', type: 'discount', discount: 680, points: 0 },
      { id: 'p5', name: 'Promotion p5', type: 'points', discount: 0, points: 100 },
    ]);
  });

  it('15. a code-gated promotion needs a valid code of its pool; bad codes land in rejected, never an error', () => {
    const gated = promo('gated', { benefit: { value: 15 }, promo_code_pool_id: 'pool-1' });
    // Valid code: 15% of B 2500 = 375; the code will be redeemed at commit.
    const ok = calc(input({ items: [item('B')], promotions: [gated], codes: ['SAVE-1'], codeStates: { 'SAVE-1': { pool_id: 'pool-1', refusal: null } } }));
    expect(ok).toMatchObject({ discount_total: 375, total: 2125, rejected: [], codes: [{ code: 'SAVE-1', pool_id: 'pool-1' }] });
    // No code; an unknown one; an expired one; a valid code of a pool no promotion takes.
    expect(reasons(calc(input({ items: [item('B')], promotions: [gated] })))).toEqual({ gated: 'code-required' });
    expect(reasons(calc(input({ items: [item('B')], promotions: [gated], codes: ['NOPE'] })))).toEqual({ gated: 'code-required', NOPE: 'code-unknown' });
    const expired = calc(input({ items: [item('B')], promotions: [gated], codes: ['OLD-1'], codeStates: { 'OLD-1': { pool_id: 'pool-1', refusal: 'code-expired' } } }));
    expect(reasons(expired)).toEqual({ gated: 'code-expired', 'OLD-1': 'code-expired' });
    expect(expired.total).toBe(2500);
    const stray = calc(input({ items: [item('B')], promotions: [gated], codes: ['X-1'], codeStates: { 'X-1': { pool_id: 'pool-9', refusal: null } } }));
    expect(reasons(stray)).toEqual({ gated: 'code-required', 'X-1': 'no-promotion' });
  });

  it('16. exhausted limits: total uses, uses per member, and a points budget that cannot cover the order', () => {
    const total = promo('total', { limits: { per_member: null, total_uses: 10, budget_points: null } });
    const mine = promo('mine', { limits: { per_member: 1, total_uses: null, budget_points: null } });
    const r = calc(input({ items: [item('A')], promotions: [total, mine], usage: { total: { uses: 10, points: 0 } }, member: member({ uses: new Map([['mine', 1]]) }) }));
    expect(reasons(r)).toEqual({ total: 'limit-reached', mine: 'limit-reached' });
    expect(r.total).toBe(1000);
    // Budget 1000 points with 950 given: 10% of B 2500 = 250 > 50 left → drops out; 2% gives 50.
    const budget = promo('budget', { type: 'points', priority: 200, benefit: { kind: 'points_percent', value: 10 }, limits: { per_member: null, total_uses: null, budget_points: 1000 } });
    const r2 = calc(input({ items: [item('B')], promotions: [budget, promo('two', { type: 'points', benefit: { kind: 'points_percent', value: 2 } })], usage: { budget: { uses: 3, points: 950 } } }));
    expect(r2.items[0]).toMatchObject({ points_accrued: 50, points_promotion: 'two' });
    expect(reasons(r2)).toEqual({ budget: 'limit-reached' });
    // With 750 given, 250 fit exactly: it wins and is counted.
    const r3 = calc(input({ items: [item('B')], promotions: [budget], usage: { budget: { uses: 3, points: 750 } } }));
    expect(r3).toMatchObject({ points_accrued: 250, counted: [{ promotion_id: 'budget', points: 250, per_member: false, total: true }] });
  });

  it('17. order-segment conditions: subtotal, quantity of matching items, tier, first order, channel', () => {
    const big = promo('big', { conditions: { subtotal: { gte: 50 } } });
    const pair = promo('pair', { conditions: { quantity: { gte: 2 } }, applies_to: { product_ids: [], categories: ['socks'], skus: [] } });
    const gold = promo('gold', { conditions: { any: [{ tier: 'Gold' }, { first_order: true }] } });
    const app = promo('app', { conditions: { channel: ['app'] } });
    const small = calc(input({ items: [item('A'), item('C')], promotions: [big, pair, gold, app] }));
    expect(reasons(small)).toEqual({ big: 'condition-not-met', pair: 'condition-not-met', gold: 'condition-not-met', app: 'condition-not-met' });
    // 2 × C + B + D-red (9000): subtotal 12166 ≥ 5000, 2 socks, a first order, in the app.
    const r = calc(input({ items: [item('C', 2), item('B'), item('D', 1, { sku_id: 'D-red' })], promotions: [big, pair, gold, app], member: member({ orders_count: 0 }), channel: 'app' }));
    expect(r.rejected).toEqual([]);
    expect(r.subtotal).toBe(666 + 2500 + 9000);
  });

  it('18. weekday and hour are read in the program’s time zone', () => {
    // 2026-03-01T23:30Z is Sunday 23:30 in UTC but Monday 00:30 in Berlin.
    const sunday = promo('sunday', { conditions: { all: [{ weekday: ['sun'] }, { hour: { gte: 20 } }] } });
    const at = new Date('2026-03-01T23:30:00Z');
    expect(calc(input({ items: [item('A')], promotions: [sunday], now: at })).discount_total).toBe(100);
    expect(reasons(calc(input({ items: [item('A')], promotions: [sunday], now: at, program: { timezone: 'Europe/Berlin' } })))).toEqual({ sunday: 'condition-not-met' });
  });

  it('19. profile fields, the period, and prices from the request for unknown products', () => {
    const vip = promo('vip', { conditions: { field: 'fields.vip', op: 'eq', value: true } });
    const later = promo('later', { starts_at: new Date('2026-04-01T00:00:00Z') });
    const r = calc(input({ items: [item('X-unknown', 2, { price: 1250 })], promotions: [vip, later], member: member({ profile: { email: null, phone: null, external_id: null, fields: { vip: true }, created_at: null } }) }));
    // 2 × 12.50 priced from the request; 10% = 250.
    expect(r).toMatchObject({ subtotal: 2500, discount_total: 250, total: 2250 });
    expect(reasons(r)).toEqual({ later: 'not-started' });
    const fault = calculate(input({ items: [item('X-unknown')] }));
    expect(fault).toEqual({ faults: [{ path: 'items.0.product_id', message: 'is not in the catalogue; give the price', type: 'product-not-found' }] });
  });

  it('20. explain lists every candidate in the order it was considered, with amounts before and after', () => {
    const r = calc(
      input({
        items: [item('A'), item('B')],
        promotions: [promo('p1', { priority: 200, combinable: false, applies_to: { product_ids: ['A'], categories: [], skus: [] } }), promo('p2'), promo('late', { ends_at: new Date('2026-02-01T00:00:00Z') })],
        member: member({ spendable: 100 }),
        redeem: 100,
        explain: true,
      }),
    );
    expect(r.explain!.map((s) => [s.step, s.promotion_id, s.line ?? null, s.outcome, s.amount_before, s.amount_after])).toEqual([
      ['eligibility', 'p1', null, 'candidate', 3500, 3500],
      ['eligibility', 'p2', null, 'candidate', 3500, 3500],
      ['eligibility', 'late', null, 'rejected', 3500, 3500],
      ['discount', 'p1', 0, 'applied', 1000, 900],
      ['discount', 'p2', 0, 'excluded', 900, 900],
      ['discount', 'p2', 1, 'applied', 2500, 2250],
      // 100 points over 900 + 2250: ⌊28.57⌋ = 28 on A, ⌊71.43⌋ = 71 + 1 = 72 on B.
      ['redeem', null, null, 'applied', 3150, 3050],
      ['redeem', null, 0, 'applied', 900, 872],
      ['redeem', null, 1, 'applied', 2250, 2178],
    ]);
    expect(reasons(r)).toEqual({ late: 'ended' });
  });
});
