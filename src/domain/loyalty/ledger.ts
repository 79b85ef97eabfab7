/**
 * The points ledger rules, pure. Points live in lots: every credit (an accrual, a positive adjustment)
 * opens a lot with its own expiry. Every other entry records the lots it touched as signed `takes`
 * (negative: points taken out of a lot; positive: points put back), so an entry's points are the sum
 * of its takes, a lot's remaining points are the sum of the takes on it, and the balance is the sum of
 * the entries. Consumption always takes the lots that expire first.
 */
import { splitProportionally } from '../money.js';

export type EntryKind = 'accrual' | 'redemption' | 'expiration' | 'reversal' | 'adjustment';

export interface Lot {
  id: string;
  remaining: number;
  /** Epoch ms; null never expires. */
  expiresAt: number | null;
  createdAt: number;
}

/** Points moved on one lot: negative takes out, positive puts back. */
export interface Take {
  lot: string;
  points: number;
}

export interface LedgerEntry {
  id: string;
  kind: EntryKind;
  /** Signed: credits positive, redemptions and expirations negative. Equals the sum of `takes`. */
  points: number;
  takes: Take[];
  /** The entry a reversal reverses. */
  reverses: string | null;
  createdAt: number;
  /** For a credit, its lot's expiry. */
  expiresAt: number | null;
}

/** Earliest expiry first (never-expiring last), then oldest, then by id: the one consumption order. */
export function consumptionOrder(a: Lot, b: Lot): number {
  const ea = a.expiresAt ?? Number.POSITIVE_INFINITY;
  const eb = b.expiresAt ?? Number.POSITIVE_INFINITY;
  if (ea !== eb) return ea < eb ? -1 : 1;
  if (a.createdAt !== b.createdAt) return a.createdAt - b.createdAt;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export const isExpired = (lot: Lot, now: number) => lot.expiresAt !== null && lot.expiresAt <= now;
export const isUsable = (lot: Lot, now: number) => lot.remaining > 0 && !isExpired(lot, now);

/** Points that can be spent now: the remaining points of unexpired lots. */
export function spendable(lots: Iterable<Lot>, now: number): number {
  let sum = 0;
  for (const l of lots) if (isUsable(l, now)) sum += l.remaining;
  return sum;
}

/**
 * Takes `points` out of the lots that expire first; null when the unexpired lots hold fewer.
 * `first` names a lot to empty before the others (a credit being reversed gives back its own lot first).
 */
export function planConsumption(lots: Iterable<Lot>, points: number, now: number, first?: string): Take[] | null {
  if (!Number.isInteger(points) || points <= 0) throw new RangeError('points must be a positive integer');
  const ordered = [...lots].filter((l) => isUsable(l, now) || (l.id === first && l.remaining > 0)).sort(consumptionOrder);
  if (first) {
    const i = ordered.findIndex((l) => l.id === first);
    if (i > 0) ordered.unshift(...ordered.splice(i, 1));
  }
  const takes: Take[] = [];
  let left = points;
  for (const lot of ordered) {
    if (left === 0) break;
    const n = Math.min(left, lot.remaining);
    takes.push({ lot: lot.id, points: -n });
    left -= n;
  }
  return left === 0 ? takes : null;
}

/** One expiration take per lot that has expired with points left: the whole remainder burns. */
export function planExpiration(lots: Iterable<Lot>, now: number): Take[] {
  return [...lots]
    .filter((l) => l.remaining > 0 && isExpired(l, now))
    .sort(consumptionOrder)
    .map((l) => ({ lot: l.id, points: -l.remaining }));
}

/** How many points of `original` are still reversible after the reversals already made. */
export function reversibleLeft(original: { points: number }, reversals: { points: number }[]): number {
  return Math.abs(original.points) - reversals.reduce((s, r) => s + Math.abs(r.points), 0);
}

/**
 * Reverses `amount` of a debit (redemption, negative adjustment): puts the points back into the lots it
 * took them from, in proportion to what each lot still has to get back. A full reversal (of all that is
 * left) restores exactly the takes of the original.
 */
export function planRestore(original: Take[], previous: Take[], amount: number): Take[] {
  const owed = new Map<string, number>();
  for (const t of original) owed.set(t.lot, (owed.get(t.lot) ?? 0) - t.points);
  for (const t of previous) owed.set(t.lot, (owed.get(t.lot) ?? 0) - t.points);
  const lots = [...owed.keys()];
  const weights = lots.map((l) => Math.max(0, owed.get(l)!));
  const total = weights.reduce((a, b) => a + b, 0);
  if (amount > total) throw new RangeError(`cannot restore ${amount} points, only ${total} were taken and not yet restored`);
  // Share in proportion, never more than a lot is owed (largest remainder keeps each share ≤ its weight when amount ≤ total).
  return splitProportionally(amount, weights)
    .map((points, i) => ({ lot: lots[i], points }))
    .filter((t) => t.points > 0);
}

/**
 * Reverses `amount` of a credit (accrual, positive adjustment): takes the points out of its own lot
 * first, then, when some were spent already, out of the other lots that expire first. The balance never
 * goes below zero: when the member holds fewer points, only what is there is taken (the takes say how many).
 */
export function planCreditReversal(lots: Iterable<Lot>, creditLot: string, amount: number, now: number): Take[] {
  const all = [...lots];
  const available = all.filter((l) => isUsable(l, now) || l.id === creditLot).reduce((s, l) => s + Math.max(0, l.remaining), 0);
  const n = Math.min(amount, available);
  if (n <= 0) return [];
  return planConsumption(all, n, now, creditLot) ?? [];
}

/** Applies takes to lots in place (lots missing from the map are an error: a take names a lot that exists). */
export function applyTakes(lots: Map<string, Lot>, takes: Take[]): void {
  for (const t of takes) {
    const lot = lots.get(t.lot);
    if (!lot) throw new Error(`take on unknown lot ${t.lot}`);
    lot.remaining += t.points;
    if (lot.remaining < 0) throw new Error(`lot ${t.lot} would go below zero`);
  }
}

/** Rebuilds every lot's remaining points from the entries alone, oldest first. */
export function replay(entries: LedgerEntry[]): { balance: number; lots: Map<string, Lot> } {
  const lots = new Map<string, Lot>();
  let balance = 0;
  for (const e of entries) {
    if ((e.kind === 'accrual' || e.kind === 'adjustment') && e.points > 0 && e.takes.length === 1 && e.takes[0].lot === e.id)
      lots.set(e.id, { id: e.id, remaining: 0, expiresAt: e.expiresAt, createdAt: e.createdAt });
    applyTakes(lots, e.takes);
    balance += e.points;
  }
  return { balance, lots };
}

/** Merges takes on the same lot (for storing and comparing). */
export function netTakes(takes: Take[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of takes) m.set(t.lot, (m.get(t.lot) ?? 0) + t.points);
  return m;
}

/** The cumulative part of `total` that belongs to `done` of `count` units: partial refunds add up to the whole. */
export function shareOfUnits(total: number, done: number, count: number): number {
  if (count <= 0) return 0;
  return Math.floor((total * Math.min(done, count)) / count);
}
