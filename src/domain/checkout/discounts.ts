/**
 * Arbitration step 2: discounts, candidate by candidate in arbitration order.
 *
 * - A candidate applies to the lines it matches that are still open to it: a line a non-combinable
 *   discount applied to is closed to every later one; a non-combinable candidate does not stack on a line
 *   an earlier discount applied to (it is not combined with anything).
 * - `percent` takes the percentage of what is left of those lines, rounded half up once for the whole
 *   set, and `fixed` takes its amount (at most what is left); both are spread over the lines in
 *   proportion to what is left of each, the rounding remainder on the largest line. `fixed_price` sets the
 *   unit price of each line (never raising it).
 * - `max_discount` caps the candidate's total over the order, spread the same way.
 * A line never goes below zero: no discount takes more than what is left of its lines.
 */
import { divRound, spreadOverLines, toFraction } from '../money.js';
import type { Candidate } from './eligibility.js';
import type { Line, Trace } from './lines.js';
import type { AppliedPromotion, Rejection } from './types.js';

function amounts(c: Candidate, open: Line[]): number[] {
  const b = c.benefit;
  const left = open.map((l) => l.remaining);
  const sum = left.reduce((a, x) => a + x, 0);
  let d: number[];
  if (b.kind === 'fixed_price') d = open.map((l) => Math.max(0, l.remaining - b.value * l.facts.quantity));
  else {
    let total: number;
    if (b.kind === 'fixed') total = Math.min(b.value, sum);
    else {
      const f = toFraction(b.value)!;
      total = divRound(BigInt(sum) * f.num, 100n * f.den, 'round');
    }
    d = spreadOverLines(total, left);
  }
  if (b.max_discount !== null) {
    const total = d.reduce((a, x) => a + x, 0);
    if (total > b.max_discount) d = spreadOverLines(b.max_discount, d);
  }
  return d;
}

export function applyDiscounts(candidates: Candidate[], lines: Line[], trace: Trace, applied: AppliedPromotion[], rejected: Rejection[]): void {
  for (const c of candidates) {
    const open: Line[] = [];
    let excluded = 0;
    for (const l of lines) {
      if (!c.matcher.matches(l.facts)) continue;
      if (l.closed || (!c.combinable && l.discounted)) {
        excluded++;
        trace.add({
          promotion_id: c.id,
          line: l.index,
          step: 'discount',
          outcome: 'excluded',
          reason: l.closed ? 'a non-combinable discount applied to the line before' : 'not combinable with the discount the line has',
          amount_before: l.remaining,
          amount_after: l.remaining,
        });
        continue;
      }
      open.push(l);
    }
    const d = open.length ? amounts(c, open) : [];
    const total = d.reduce((a, x) => a + x, 0);
    if (total === 0) {
      for (const l of open)
        trace.add({ promotion_id: c.id, line: l.index, step: 'discount', outcome: 'no-effect', reason: 'the discount comes to nothing on this line', amount_before: l.remaining, amount_after: l.remaining });
      if (c.promotion)
        rejected.push(
          excluded && !open.length
            ? { promotion_id: c.id, reason: 'not-combinable', detail: 'Every line it applies to has a discount it cannot be combined with.' }
            : { promotion_id: c.id, reason: 'no-effect', detail: 'The discount comes to nothing on this order.' },
        );
      continue;
    }
    const capped = c.benefit.max_discount !== null && total === c.benefit.max_discount;
    open.forEach((l, i) => {
      const before = l.remaining;
      if (d[i] > 0) {
        l.remaining -= d[i];
        l.discount += d[i];
        l.discounted = true;
        if (!c.combinable) l.closed = true;
        l.promotions.push(c.id);
      }
      trace.add({
        promotion_id: c.id,
        line: l.index,
        step: 'discount',
        outcome: d[i] > 0 ? 'applied' : 'no-effect',
        reason: `${c.benefit.kind}${capped ? ', capped by max_discount' : ''}${c.combinable ? '' : ', not combinable'}`,
        amount_before: before,
        amount_after: l.remaining,
      });
    });
    applied.push({ id: c.id, name: c.name, type: c.promotion ? 'discount' : 'partner', discount: total, points: 0 });
  }
}
