import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { consumptionOrder, isUsable, netTakes, planRestore, replay, type Lot } from '../../src/domain/loyalty/ledger.js';
import { MemoryLedger } from '../../src/domain/loyalty/memory-ledger.js';

const DAY = 86_400_000;

type Op =
  | { op: 'accrue'; points: number; ttlDays: number | null; held: boolean }
  | { op: 'redeem'; points: number; held: boolean }
  | { op: 'commit' | 'rollback' | 'cancel'; pick: number }
  | { op: 'advance'; hours: number }
  | { op: 'refund'; pick: number; share: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('accrue' as const), points: fc.integer({ min: 1, max: 500 }), ttlDays: fc.option(fc.integer({ min: 1, max: 40 })), held: fc.boolean() }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('redeem' as const), points: fc.integer({ min: 1, max: 700 }), held: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constantFrom('commit' as const, 'rollback' as const, 'cancel' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('advance' as const), hours: fc.integer({ min: 1, max: 24 * 20 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('refund' as const), pick: fc.nat(), share: fc.integer({ min: 1, max: 100 }) }) },
);

function snapshot(lots: Map<string, Lot>): Map<string, Lot> {
  return new Map([...lots].map(([k, l]) => [k, { ...l }]));
}

function checkInvariants(l: MemoryLedger) {
  const sum = l.entries.reduce((s, e) => s + e.points, 0);
  expect(l.balance).toBe(sum);
  expect(l.balance).toBeGreaterThanOrEqual(0);
  let lotSum = 0;
  for (const lot of l.lots.values()) {
    expect(lot.remaining).toBeGreaterThanOrEqual(0);
    lotSum += lot.remaining;
  }
  expect(lotSum).toBe(l.balance);
  for (const e of l.entries) expect(e.points).toBe(e.takes.reduce((s, t) => s + t.points, 0));
  // Replaying the entries from scratch gives the same lots and balance.
  const again = replay(l.entries);
  expect(again.balance).toBe(l.balance);
  for (const [id, lot] of l.lots) expect(again.lots.get(id)?.remaining).toBe(lot.remaining);
}

describe('points ledger (property)', () => {
  it('keeps balance = Σ entries ≥ 0, takes earliest-expiring lots, reversals restore exactly, replay agrees', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 60 }), (ops) => {
        const l = new MemoryLedger();
        let now = Date.UTC(2026, 0, 1);
        const txIds = () => [...l.transactions.keys()];
        for (const o of ops) {
          const before = snapshot(l.lots);
          const entriesBefore = l.entries.length;
          switch (o.op) {
            case 'accrue':
              l.accrue(o.points, o.ttlDays === null ? null : now + o.ttlDays * DAY, now, o.held);
              break;
            case 'redeem': {
              const spendableBefore = [...before.values()].filter((x) => isUsable(x, now)).reduce((s, x) => s + x.remaining, 0);
              const r = l.redeem(o.points, now, o.held);
              if (r === 'insufficient-points') {
                expect(o.points).toBeGreaterThan(spendableBefore);
                break;
              }
              expect(o.points).toBeLessThanOrEqual(spendableBefore);
              const entry = l.entries.find((e) => e.id === r.entryId)!;
              expect(entry.points).toBe(-o.points);
              // Earliest-expiring first: every lot still usable after the redemption comes after every lot it took from.
              const taken = entry.takes.map((t) => before.get(t.lot)!);
              for (const lot of l.lots.values()) {
                if (!isUsable(lot, now)) continue;
                for (const t of taken) if (t.id !== lot.id) expect(consumptionOrder(t, lot)).toBeLessThan(0);
              }
              break;
            }
            case 'commit':
            case 'rollback':
            case 'cancel': {
              const ids = txIds();
              if (!ids.length) break;
              const tx = l.transactions.get(ids[o.pick % ids.length])!;
              const wasStatus = tx.status;
              const r = l[o.op](tx.id, now);
              if (typeof r === 'string') {
                expect(tx.status).toBe(wasStatus);
                expect(l.entries.length).toBe(entriesBefore);
                break;
              }
              if (tx.kind === 'redeem' && (o.op === 'rollback' || o.op === 'cancel')) {
                // The reversal of a redemption puts back exactly what the redemption took, lot by lot.
                const original = l.entries.find((e) => e.id === tx.entryId)!;
                const all = [original, ...l.entries.filter((e) => e.reverses === original.id)];
                for (const [, n] of netTakes(all.flatMap((e) => e.takes))) expect(n).toBe(0);
              }
              if (tx.kind === 'accrue' && o.op === 'cancel') {
                const original = l.entries.find((e) => e.id === tx.entryId)!;
                const reversals = l.entries.filter((e) => e.reverses === original.id);
                const last = reversals.at(-1);
                if (last && last.takes.some((t) => t.lot !== original.id)) expect(l.lots.get(original.id)!.remaining).toBe(0);
                for (const r2 of reversals) expect(r2.points).toBeLessThanOrEqual(0);
                expect(-reversals.reduce((s, x) => s + x.points, 0)).toBeLessThanOrEqual(original.points);
              }
              break;
            }
            case 'advance': {
              now += o.hours * 3_600_000;
              const burned = l.expire(now);
              for (const b of burned) {
                const lot = before.get(b.takes[0].lot)!;
                expect(b.points).toBe(-lot.remaining);
                expect(l.lots.get(lot.id)!.remaining).toBe(0);
              }
              for (const lot of l.lots.values()) if (lot.expiresAt !== null && lot.expiresAt <= now) expect(lot.remaining).toBe(0);
              break;
            }
            case 'refund': {
              const candidates = l.entries.filter((e) => e.kind === 'accrual' || e.kind === 'redemption');
              if (!candidates.length) break;
              const e = candidates[o.pick % candidates.length];
              const amount = Math.max(1, Math.floor((Math.abs(e.points) * o.share) / 100));
              const r = l.reverse(e.id, amount, now);
              if (!r) break;
              expect(r.reverses).toBe(e.id);
              const all = l.entries.filter((x) => x.reverses === e.id);
              const reversedTotal = Math.abs(all.reduce((s, x) => s + x.points, 0));
              expect(reversedTotal).toBeLessThanOrEqual(Math.abs(e.points));
              if (e.points < 0) {
                // Restored only to lots the redemption took from, never more than it took from each.
                const taken = netTakes(e.takes);
                for (const [lot, n] of netTakes(all.flatMap((x) => x.takes))) {
                  expect(taken.has(lot)).toBe(true);
                  expect(n).toBeLessThanOrEqual(-taken.get(lot)!);
                }
              }
              break;
            }
          }
          checkInvariants(l);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('restores a redemption in proportion to the lots it came from, adding up over partial refunds', () => {
    const original = [
      { lot: 'a', points: -300 },
      { lot: 'b', points: -100 },
    ];
    const first = planRestore(original, [], 100);
    expect(first).toEqual([
      { lot: 'a', points: 75 },
      { lot: 'b', points: 25 },
    ]);
    const rest = planRestore(original, first, 300);
    expect(netTakes([...original, ...first, ...rest])).toEqual(new Map([['a', 0], ['b', 0]]));
    expect(() => planRestore(original, first, 301)).toThrow();
  });

  it('replays the same balances whatever the sequence, from the entries alone', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 150 })), { maxLength: 30 }), (pairs) => {
        const l = new MemoryLedger();
        let now = 0;
        for (const [a, r] of pairs) {
          l.accrue(a, now + 5 * DAY, now);
          l.redeem(r, now);
          now += DAY;
        }
        l.expire(now + 10 * DAY);
        const re = replay(l.entries);
        expect(re.balance).toBe(0);
        expect(l.balance).toBe(0);
      }),
    );
  });
});
