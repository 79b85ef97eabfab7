/**
 * Arbitration step 4: points on what each line is paid in money. Per line the best points candidate wins:
 *
 * - `points_percent`: that percentage of the line's money, turned into points at `point_value`;
 * - `points_fixed`: the promotion's points for the order, spread over its lines in proportion to their
 *   money (remainder on the largest line), the line's share;
 * - a partner product's `cashback_percent`, when it gives more than the best promotion;
 * - `points_multiplier`: its value times the points of the line's best other candidate.
 *
 * Ties go to the candidate considered first (arbitration order). The winner's points, times the member's
 * tier multiplier, are rounded once per line by the program's `points_rounding` (exact fractions until
 * then). A promotion whose points on this order would pass what is left of its `budget_points` drops out
 * (limit-reached) and the lines are decided again without it.
 */
import { tierMultiplier } from '../loyalty/program.js';
import { roundPoints, spreadOverLines, toFraction } from '../money.js';
import { partnerActive, partnerId } from '../promotions/partner.js';
import { budgetLeft } from '../promotions/promotion.js';
import type { Candidate } from './eligibility.js';
import type { Line, Trace } from './lines.js';
import type { AppliedPromotion, CalculationInput, Rejection } from './types.js';

interface Frac {
  n: bigint;
  d: bigint;
}
const greater = (a: Frac, b: Frac) => a.n * b.d > b.n * a.d;
const ZERO: Frac = { n: 0n, d: 1n };

interface Winner {
  id: string;
  frac: Frac;
  points: number;
}

interface Prepared {
  c: Candidate;
  num: bigint;
  den: bigint;
}

export function accruePoints(input: CalculationInput, candidates: Candidate[], lines: Line[], trace: Trace, applied: AppliedPromotion[], rejected: Rejection[]): void {
  const { program, member, usage } = input;
  const tier = toFraction(tierMultiplier(program.tiers, member.tier))!;
  const pv = BigInt(program.point_value);
  const round = (f: Frac) => roundPoints(f.n * tier.num, f.d * tier.den, program.points_rounding);
  const prepared: Prepared[] = candidates.map((c) => {
    const f = c.benefit.kind === 'points_fixed' ? { num: BigInt(c.benefit.value), den: 1n } : toFraction(c.benefit.value)!;
    return { c, num: f.num, den: f.den };
  });
  const cashback = lines.map((l): Frac | null => {
    const t = input.partners.get(l.facts.product_id);
    if (!t || t.cashback_percent === null || !partnerActive(t, input.now)) return null;
    const f = toFraction(t.cashback_percent)!;
    return { n: BigInt(l.paid) * f.num, d: 100n * f.den * pv };
  });

  /** Candidates that gave points somewhere (to tell `not-best` from `no-effect`). */
  const gave = new Set<string>();
  const decide = (pool: Prepared[], final: boolean): (Winner | null)[] => {
    const fixedShare = new Map<string, Map<number, number>>();
    for (const p of pool) {
      if (p.c.benefit.kind !== 'points_fixed') continue;
      const matching = lines.filter((l) => p.c.matcher.matches(l.facts));
      const shares = spreadOverLines(p.c.benefit.value, matching.map((l) => l.paid));
      fixedShare.set(p.c.id, new Map(matching.map((l, i) => [l.index, shares[i]])));
    }
    return lines.map((l, li) => {
      const considered: { id: string; frac: Frac }[] = [];
      let base: { id: string; frac: Frac } | null = null;
      for (const p of pool) {
        const kind = p.c.benefit.kind;
        if (kind === 'points_multiplier' || !p.c.matcher.matches(l.facts)) continue;
        const frac = kind === 'points_fixed' ? { n: BigInt(fixedShare.get(p.c.id)!.get(l.index)!), d: 1n } : { n: BigInt(l.paid) * p.num, d: 100n * p.den * pv };
        considered.push({ id: p.c.id, frac });
        if (frac.n > 0n) gave.add(p.c.id);
        if (!base || greater(frac, base.frac)) base = { id: p.c.id, frac };
      }
      const cb = cashback[li];
      if (cb) {
        const id = partnerId(l.facts.product_id);
        considered.push({ id, frac: cb });
        if (!base || greater(cb, base.frac)) base = { id, frac: cb };
      }
      let best = base;
      for (const p of pool) {
        if (p.c.benefit.kind !== 'points_multiplier' || !p.c.matcher.matches(l.facts)) continue;
        const frac = base ? { n: base.frac.n * p.num, d: base.frac.d * p.den } : ZERO;
        considered.push({ id: p.c.id, frac });
        if (frac.n > 0n) gave.add(p.c.id);
        if (!best || greater(frac, best.frac)) best = { id: p.c.id, frac };
      }
      const winner = best && best.frac.n > 0n ? { ...best, points: round(best.frac) } : null;
      if (final && trace.on)
        for (const k of considered) {
          const won = winner !== null && k.id === winner.id;
          trace.add({
            promotion_id: k.id,
            line: l.index,
            step: 'accrual',
            outcome: won ? 'won' : 'lost',
            reason: won ? 'the most points on this line' : winner ? `fewer points than ${winner.id}` : 'no points on this line',
            amount_before: l.paid,
            amount_after: l.paid,
            points: round(k.frac),
          });
        }
      return winner && winner.points > 0 ? winner : null;
    });
  };

  let pool = prepared;
  let winners = decide(pool, false);
  for (;;) {
    const totals = new Map<string, number>();
    for (const w of winners) if (w) totals.set(w.id, (totals.get(w.id) ?? 0) + w.points);
    const over = pool.find((p) => {
      const promo = p.c.promotion!;
      return promo.limits.budget_points !== null && (totals.get(p.c.id) ?? 0) > budgetLeft(promo.limits, usage.get(promo.id) ?? { uses: 0, points: 0 });
    });
    if (!over) break;
    const left = budgetLeft(over.c.promotion!.limits, usage.get(over.c.id) ?? { uses: 0, points: 0 });
    rejected.push({ promotion_id: over.c.id, reason: 'limit-reached', detail: `The order would take ${totals.get(over.c.id)} points; ${left} are left in the budget.` });
    trace.add({ promotion_id: over.c.id, step: 'accrual', outcome: 'rejected', reason: 'limit-reached: budget_points', amount_before: 0, amount_after: 0, points: totals.get(over.c.id) });
    pool = pool.filter((p) => p !== over);
    winners = decide(pool, false);
  }
  if (trace.on) decide(pool, true);

  const byId = new Map<string, AppliedPromotion>();
  for (const a of applied) byId.set(a.id, a);
  lines.forEach((l, i) => {
    const w = winners[i];
    if (!w) return;
    l.points = w.points;
    l.pointsPromotion = w.id;
    if (!l.promotions.includes(w.id)) l.promotions.push(w.id);
    let a = byId.get(w.id);
    if (!a) {
      const c = candidates.find((x) => x.id === w.id);
      a = { id: w.id, name: c?.name ?? `Partner product ${l.facts.product_id}`, type: c ? 'points' : 'partner', discount: 0, points: 0 };
      byId.set(w.id, a);
      applied.push(a);
    }
    a.points += w.points;
  });
  for (const p of pool) {
    if (byId.has(p.c.id)) continue;
    rejected.push(
      gave.has(p.c.id)
        ? { promotion_id: p.c.id, reason: 'not-best', detail: 'Another points candidate gives more on every line this one applies to.' }
        : { promotion_id: p.c.id, reason: 'no-effect', detail: 'The promotion gives no points on this order.' },
    );
  }
}
