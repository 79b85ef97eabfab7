/**
 * What an order gives back to its promotions' counters when it is canceled or refunded: a cancel (or a
 * refund that leaves nothing) returns each counted use and every point not yet returned; a refund returns
 * the points accrued on the refunded units of each line, to the promotion that gave them. Nothing is
 * returned twice: `released` says what went back before.
 */
import type { Calculation } from './types.js';

export interface Released {
  uses: boolean;
  /** Points given back so far, per promotion. */
  points: Record<string, number>;
}

export interface GiveBack {
  back: { promotion_id: string; uses: number; points: number }[];
  released: Released;
}

export function giveBack(
  calc: Pick<Calculation, 'counted' | 'items'>,
  released: Released,
  what: { cancel: true } | { refunded: { line: number; points_accrued: number }[]; whole: boolean },
): GiveBack {
  const points = { ...released.points };
  const counted = new Map(calc.counted.filter((c) => c.total).map((c) => [c.promotion_id, c]));
  const owed = new Map<string, number>();
  const all = 'cancel' in what || what.whole;
  if (all) for (const c of counted.values()) owed.set(c.promotion_id, c.points - (points[c.promotion_id] ?? 0));
  else
    for (const r of what.refunded) {
      const id = calc.items[r.line - 1]?.points_promotion;
      const c = id ? counted.get(id) : undefined;
      if (!c) continue;
      const left = c.points - (points[c.promotion_id] ?? 0) - (owed.get(c.promotion_id) ?? 0);
      owed.set(c.promotion_id, (owed.get(c.promotion_id) ?? 0) + Math.min(left, r.points_accrued));
    }
  const uses = all && !released.uses;
  const back = calc.counted
    .filter((c) => (uses && (c.total || c.per_member)) || (owed.get(c.promotion_id) ?? 0) > 0)
    .map((c) => ({ promotion_id: c.promotion_id, uses: uses ? 1 : 0, points: Math.max(0, owed.get(c.promotion_id) ?? 0) }));
  for (const b of back) points[b.promotion_id] = (points[b.promotion_id] ?? 0) + b.points;
  return { back, released: { uses: released.uses || uses, points } };
}
