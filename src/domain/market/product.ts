/** A catalogue product from any source (API body, YML offer, CSV row), checked and in minor units. */
import { toMinor } from '../money.js';

export interface Sku {
  id: string;
  price: number;
  quantity: number | null;
  params: Record<string, unknown>;
}

export interface Product {
  id: string;
  name: string;
  price: number;
  old_price: number | null;
  currency: string | null;
  categories: string[];
  url: string | null;
  picture: string | null;
  vendor: string | null;
  params: Record<string, unknown>;
  available: boolean;
  skus: Sku[];
}

export interface ProductInput {
  name: string;
  price: number | string;
  old_price?: number | string | null;
  currency?: string | null;
  categories?: string[];
  url?: string | null;
  picture?: string | null;
  vendor?: string | null;
  params?: Record<string, unknown>;
  available?: boolean;
  skus?: { id: string; price: number | string; quantity?: number | null; params?: Record<string, unknown> }[];
}

export type FieldProblem = { path: string; message: string };

const ID_RE = /^[^\s/?#]{1,200}$/;

export function isProductId(id: string): boolean {
  return ID_RE.test(id);
}

/** Checks and converts; every problem is listed with its path. */
export function toProduct(id: string, input: ProductInput): Product | FieldProblem[] {
  const errors: FieldProblem[] = [];
  if (!isProductId(id)) errors.push({ path: 'id', message: 'must be 1–200 characters without spaces, /, ? or #' });
  if (!input.name || !String(input.name).trim()) errors.push({ path: 'name', message: 'is required' });
  const price = toMinor(input.price);
  if (price === null || price < 0) errors.push({ path: 'price', message: 'must be a non-negative amount with at most 2 decimals' });
  let oldPrice: number | null = null;
  if (input.old_price !== undefined && input.old_price !== null && input.old_price !== '') {
    oldPrice = toMinor(input.old_price);
    if (oldPrice === null || oldPrice < 0) errors.push({ path: 'old_price', message: 'must be a non-negative amount with at most 2 decimals' });
  }
  const skus: Sku[] = [];
  const seen = new Set<string>();
  (input.skus ?? []).forEach((s, i) => {
    const p = toMinor(s.price);
    if (p === null || p < 0) errors.push({ path: `skus.${i}.price`, message: 'must be a non-negative amount with at most 2 decimals' });
    if (seen.has(s.id)) errors.push({ path: `skus.${i}.id`, message: 'is used by another SKU of this product' });
    seen.add(s.id);
    if (s.quantity !== undefined && s.quantity !== null && (!Number.isInteger(s.quantity) || s.quantity < 0))
      errors.push({ path: `skus.${i}.quantity`, message: 'must be a non-negative integer' });
    skus.push({ id: s.id, price: p ?? 0, quantity: s.quantity ?? null, params: s.params ?? {} });
  });
  if (input.currency && !/^[A-Za-z]{3}$/.test(input.currency)) errors.push({ path: 'currency', message: 'must be a 3-letter currency code' });
  if (errors.length) return errors;
  return {
    id,
    name: String(input.name).trim(),
    price: price!,
    old_price: oldPrice,
    currency: input.currency ? input.currency.toUpperCase() : null,
    categories: [...new Set((input.categories ?? []).map((c) => String(c).trim()).filter(Boolean))],
    url: input.url || null,
    picture: input.picture || null,
    vendor: input.vendor || null,
    params: input.params ?? {},
    available: input.available ?? true,
    skus,
  };
}
