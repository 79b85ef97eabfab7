import { countHolds, parseCountBound, type CountBound } from '../conditions/count.js';
import { type Fault, type LeafKind, type LeafNode } from '../conditions/tree.js';
import { toMinor } from '../money.js';
import { cached, faultsOf, parseWithin, leafBody, windowStart } from './leaf-support.js';
import type { SegmentEvalContext } from './leaves.js';

/**
 * `{orders: {count?: {gte: 2}, total_spent?: {gte: 100}, within?: "P90D"}}`: the profile's orders (as
 * recorded by PUT /market/orders and checkout) — how many, and how much they came to net of refunds, in
 * major units of money as the API speaks them. Canceled and fully refunded orders do not count. Without
 * `count` and `total_spent` the condition is "at least one order". Both given: both must hold.
 */
export interface OrdersCondition {
  count: CountBound | null;
  /** Bound on the money spent, in minor units. */
  totalSpent: CountBound | null;
  within: string | null;
}

/** One order as the evaluator sees it (amounts in minor units). */
export interface OrderFact {
  status: string;
  total: number;
  refunded_total: number;
  created_at: Date;
}

/** Orders in these statuses are not counted, nor their money spent. */
export const UNCOUNTED_ORDER_STATUSES = ['canceled', 'refunded'] as const;
export const orderCounts = (status: string) => !(UNCOUNTED_ORDER_STATUSES as readonly string[]).includes(status);

const KEYS = ['count', 'total_spent', 'within'] as const;

export function parseOrdersLeaf(leaf: LeafNode): OrdersCondition | Fault[] {
  const { body: o, faults } = leafBody(leaf, 'orders', 'an orders condition', '{count?, total_spent?, within?}', KEYS);
  if (!o) return faults;
  let count: CountBound | null = null;
  if (o.count !== undefined) {
    const c = parseCountBound(o.count, 'orders.count');
    if (Array.isArray(c)) faults.push(...c);
    else count = c;
  }
  let totalSpent: CountBound | null = null;
  if (o.total_spent !== undefined) {
    const c = parseCountBound(o.total_spent, 'orders.total_spent', { integer: false });
    if (Array.isArray(c)) faults.push(...c);
    else {
      const minor = toMinor(c.value);
      if (minor === null) faults.push({ path: `orders.total_spent.${c.op}`, message: 'must be an amount with at most two decimals' });
      else totalSpent = { op: c.op, value: minor };
    }
  }
  const within = parseWithin(o.within, 'orders.within', faults);
  if (faults.length) return faults;
  return { count: count ?? (totalSpent ? null : { op: 'gte', value: 1 }), totalSpent, within };
}

export const ordersCondition = cached(parseOrdersLeaf);

/** Does a profile with `n` counted orders that came to `spent` (minor units) satisfy the condition? */
export const ordersHold = (c: OrdersCondition, n: number, spent: number) =>
  (c.count === null || countHolds(c.count, n)) && (c.totalSpent === null || countHolds(c.totalSpent, spent));

export const ordersKind: LeafKind<SegmentEvalContext> = {
  key: 'orders',
  validate: (leaf) => faultsOf(parseOrdersLeaf(leaf)),
  evaluate(leaf, ctx) {
    const c = ordersCondition(leaf);
    const from = c.within ? windowStart(c.within, ctx.now).getTime() : null;
    let n = 0;
    let spent = 0;
    for (const o of ctx.facts.orders ?? []) {
      if (!orderCounts(o.status)) continue;
      if (from !== null && o.created_at.getTime() < from) continue;
      n++;
      spent += o.total - o.refunded_total;
    }
    return ordersHold(c, n, spent);
  },
  dependencies: () => ['orders'],
  timeRelative: (leaf) => ordersCondition(leaf).within !== null,
};
