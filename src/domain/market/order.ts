/** Orders recorded as they are (not priced here): per-line amounts and refunds, pure. */
import { shareOfUnits } from '../loyalty/ledger.js';

export const ORDER_STATUSES = ['new', 'paid', 'delivered', 'canceled', 'part_refunded', 'refunded'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export interface OrderLine {
  line: number;
  product_id: string;
  sku_id: string | null;
  quantity: number;
  price: number;
  discount: number;
  total: number;
  points_accrued: number;
  points_redeemed: number;
  refunded_quantity: number;
}

export interface LineRefund {
  line: number;
  quantity: number;
  /** Money (minor units) and points that belong to the refunded units. */
  amount: number;
  points_accrued: number;
  points_redeemed: number;
}

/**
 * Spreads refunded quantities over the order's lines (a request names a product and optionally a SKU;
 * lines are filled in order). Each line's share is cumulative (`floor(total · refunded / quantity)`),
 * so partial refunds of a line add up to the whole line exactly. A string names what cannot be refunded.
 */
export function planRefund(lines: OrderLine[], items: { product_id: string; sku_id?: string | null; quantity: number }[]): LineRefund[] | string {
  const left = new Map(lines.map((l) => [l.line, l.quantity - l.refunded_quantity]));
  const take = new Map<number, number>();
  for (const [i, item] of items.entries()) {
    let want = item.quantity;
    for (const l of lines) {
      if (want === 0) break;
      if (l.product_id !== item.product_id) continue;
      if (item.sku_id !== undefined && item.sku_id !== null && l.sku_id !== item.sku_id) continue;
      const n = Math.min(want, left.get(l.line)!);
      if (n <= 0) continue;
      left.set(l.line, left.get(l.line)! - n);
      take.set(l.line, (take.get(l.line) ?? 0) + n);
      want -= n;
    }
    if (want > 0) return `items.${i}: the order has ${item.quantity - want} unrefunded units of this product, ${item.quantity} were asked for`;
  }
  return lines
    .filter((l) => take.has(l.line))
    .map((l) => {
      const before = l.refunded_quantity;
      const after = before + take.get(l.line)!;
      const part = (v: number) => shareOfUnits(v, after, l.quantity) - shareOfUnits(v, before, l.quantity);
      return { line: l.line, quantity: after - before, amount: part(l.total), points_accrued: part(l.points_accrued), points_redeemed: part(l.points_redeemed) };
    });
}
