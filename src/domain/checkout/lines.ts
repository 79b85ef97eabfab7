/** The cart's lines, priced from the request or the catalogue, and the working state the steps change. */
import type { LineFacts } from '../promotions/items.js';
import type { CatalogueProduct, CheckoutItem, ExplainStep, PricingFault } from './types.js';

export interface Line {
  index: number;
  facts: LineFacts;
  /** Unit price. */
  price: number;
  /** price × quantity. */
  base: number;
  /** What is left of the line after the discounts so far. */
  remaining: number;
  discount: number;
  /** A discount applied to the line. */
  discounted: boolean;
  /** A non-combinable discount applied: no later one may. */
  closed: boolean;
  promotions: string[];
  redeemedPoints: number;
  redeemedValue: number;
  /** Money paid for the line: remaining − redeemedValue. */
  paid: number;
  points: number;
  pointsPromotion: string | null;
}

/** Lines and order totals above this are refused: every figure stays an exact JavaScript integer. */
export const MAX_ORDER_MINOR = 1e13;

/** Prices every item (request price, else the SKU's, else the product's); every item that cannot be priced is listed. */
export function priceLines(items: CheckoutItem[], catalogue: ReadonlyMap<string, CatalogueProduct>): { lines: Line[] } | { faults: PricingFault[] } {
  const faults: PricingFault[] = [];
  const lines: Line[] = [];
  let subtotal = 0;
  items.forEach((it, index) => {
    const product = catalogue.get(it.product_id);
    let price = it.price;
    if (price === null) {
      if (!product) faults.push({ path: `items.${index}.product_id`, message: 'is not in the catalogue; give the price', type: 'product-not-found' });
      else if (it.sku_id !== null) {
        const sku = product.skus.get(it.sku_id);
        if (sku === undefined) faults.push({ path: `items.${index}.sku_id`, message: 'is not a SKU of this product; give the price', type: 'sku-not-found' });
        else price = sku;
      } else price = product.price;
    }
    if (price === null) return;
    const base = price * it.quantity;
    subtotal += base;
    if (base > MAX_ORDER_MINOR) faults.push({ path: `items.${index}`, message: 'is worth more than this checkout can sum exactly', type: 'amount-too-large' });
    lines.push({
      index,
      facts: { product_id: it.product_id, sku_id: it.sku_id, quantity: it.quantity, categories: product?.categories ?? [] },
      price,
      base,
      remaining: base,
      discount: 0,
      discounted: false,
      closed: false,
      promotions: [],
      redeemedPoints: 0,
      redeemedValue: 0,
      paid: base,
      points: 0,
      pointsPromotion: null,
    });
  });
  if (!faults.length && subtotal > MAX_ORDER_MINOR) faults.push({ path: 'items', message: 'are worth more than this checkout can sum exactly', type: 'amount-too-large' });
  return faults.length ? { faults } : { lines };
}

/** Collects explain steps only when asked; otherwise every call is a no-op. */
export class Trace {
  readonly steps: ExplainStep[] | null;
  constructor(on: boolean) {
    this.steps = on ? [] : null;
  }
  get on(): boolean {
    return this.steps !== null;
  }
  add(step: ExplainStep): void {
    this.steps?.push(step);
  }
}
