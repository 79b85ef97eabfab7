import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { divRound, splitProportionally, toFraction, toMajor, toMinor } from '../../src/domain/money.js';

describe('money', () => {
  it('converts major units to minor units exactly', () => {
    expect(toMinor(19.99)).toBe(1999);
    expect(toMinor('0.1')).toBe(10);
    expect(toMinor(0.29)).toBe(29); // 0.29 * 100 = 28.999999999999996 in floating point
    expect(toMinor(1.005)).toBeNull(); // three decimals
    expect(toMinor(-2.5)).toBe(-250);
    expect(toMinor(1e21)).toBeNull();
    expect(toMinor(Number.NaN)).toBeNull();
    expect(toMajor(1999)).toBe(19.99);
    fc.assert(fc.property(fc.integer({ min: -1e12, max: 1e12 }), (minor) => {
      expect(toMinor(toMajor(minor))).toBe(minor);
    }));
  });

  it('rounds points by one rule, exactly', () => {
    expect(divRound(7, 2, 'floor')).toBe(3);
    expect(divRound(7, 2, 'round')).toBe(4);
    expect(divRound(7, 2, 'ceil')).toBe(4);
    expect(divRound(5, 3, 'round')).toBe(2);
    expect(divRound(4, 3, 'round')).toBe(1);
    expect(divRound(-7, 2, 'floor')).toBe(-4);
    expect(divRound(6, 3, 'ceil')).toBe(2);
    fc.assert(
      fc.property(fc.integer({ min: -1e9, max: 1e9 }), fc.integer({ min: 1, max: 1e6 }), (n, d) => {
        const f = divRound(n, d, 'floor');
        const c = divRound(n, d, 'ceil');
        const r = divRound(n, d, 'round');
        expect(f).toBe(Math.floor(n / d));
        expect(c - f).toBe(n % d === 0 ? 0 : 1);
        expect([f, c]).toContain(r);
      }),
    );
    expect(toFraction(0.5)).toEqual({ num: 5n, den: 10n });
    expect(toFraction('abc')).toBeNull();
  });

  it('splits an amount in proportion with the shares adding up exactly', () => {
    expect(splitProportionally(100, [1, 1, 1])).toEqual([34, 33, 33]);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.array(fc.integer({ min: 0, max: 1e5 }), { minLength: 1, maxLength: 10 }), (total, w) => {
        const s = splitProportionally(total, w);
        expect(s.reduce((a, b) => a + b, 0)).toBe(total);
        const sum = w.reduce((a, b) => a + b, 0);
        if (sum > 0 && total <= sum) s.forEach((x, i) => expect(x).toBeLessThanOrEqual(w[i]));
      }),
    );
  });
});

describe('program points', () => {
  it('turns money into points once, by the program rule, exactly', async () => {
    const { accrualPoints, moneyToPoints, tierFor } = await import('../../src/domain/loyalty/program.js');
    const program = { point_value: 10, points_rounding: 'floor' as const }; // one point is worth 0.10
    expect(moneyToPoints(1999, program)).toBe(199);
    expect(moneyToPoints(1999, { ...program, points_rounding: 'ceil' })).toBe(200);
    // 5 % of 19.99 = 0.9995 → ×1.5 = 1.49925 → 14.9925 points
    expect(accrualPoints(1999, 5, 1.5, program)).toBe(14);
    expect(accrualPoints(1999, 5, 1.5, { ...program, points_rounding: 'round' })).toBe(15);
    expect(accrualPoints(1000, 0.1, 1, { point_value: 1, points_rounding: 'round' })).toBe(1);
    const tiers = [
      { name: 'silver', min_spend: 10_000, accrual_multiplier: 1 },
      { name: 'gold', min_spend: 50_000, accrual_multiplier: 2 },
    ];
    expect(tierFor(tiers, 9_999)).toBeNull();
    expect(tierFor(tiers, 10_000)?.name).toBe('silver');
    expect(tierFor(tiers, 1e9)?.name).toBe('gold');
  });
});
