import { isPlainObject, type Fault } from '../conditions/tree.js';

/** Which cart lines something is about: listed products, categories (with their subcategories) or SKUs. */
export interface ItemFilter {
  product_ids: string[];
  categories: string[];
  skus: string[];
}

/** What a filter needs to know about one line; `categories` already include the categories' ancestors. */
export interface LineFacts {
  product_id: string;
  sku_id: string | null;
  quantity: number;
  categories: readonly string[];
}

const MAX_IDS = 1000;
const ID_MAX_LENGTH = 200;

/**
 * Reads `{product_ids?, categories?, skus?}` (also the singular `product_id`, `category`, `sku` with one
 * value). Every fault is listed with its path under `base`. A filter that names nothing is returned as
 * such; `isEmptyFilter` tells it (`applies_to: {}` means every line).
 */
export function parseItemFilter(v: unknown, base: string): ItemFilter | Fault[] {
  if (!isPlainObject(v)) return [{ path: base, message: 'must be an object with product_ids, categories or skus' }];
  const faults: Fault[] = [];
  const out: ItemFilter = { product_ids: [], categories: [], skus: [] };
  const plural = { product_ids: 'product_ids', categories: 'categories', skus: 'skus' } as const;
  const singular = { product_id: 'product_ids', category: 'categories', sku: 'skus' } as const;
  for (const [key, value] of Object.entries(v)) {
    const path = `${base}.${key}`;
    const many = plural[key as keyof typeof plural];
    const one = singular[key as keyof typeof singular];
    const target = many ?? one;
    if (!target) {
      faults.push({ path, message: 'is not a known field (product_ids, categories, skus)' });
      continue;
    }
    const list = one ? [value] : value;
    if (!Array.isArray(list) || list.length > MAX_IDS) {
      faults.push({ path, message: one ? 'must be a string' : `must be an array of at most ${MAX_IDS} strings` });
      continue;
    }
    list.forEach((id, i) => {
      if (typeof id !== 'string' || id.length < 1 || id.length > ID_MAX_LENGTH)
        faults.push({ path: one ? path : `${path}.${i}`, message: `must be a string of 1 to ${ID_MAX_LENGTH} characters` });
      else out[target].push(id);
    });
  }
  if (faults.length) return faults;
  return { product_ids: [...new Set(out.product_ids)], categories: [...new Set(out.categories)], skus: [...new Set(out.skus)] };
}

export const isEmptyFilter = (f: ItemFilter) => !f.product_ids.length && !f.categories.length && !f.skus.length;

/** A filter compiled for fast matching; `null` filter matches every line. */
export class ItemMatcher {
  private readonly products: ReadonlySet<string>;
  private readonly categories: ReadonlySet<string>;
  private readonly skus: ReadonlySet<string>;
  readonly all: boolean;

  constructor(filter: ItemFilter | null) {
    this.all = filter === null;
    this.products = new Set(filter?.product_ids ?? []);
    this.categories = new Set(filter?.categories ?? []);
    this.skus = new Set(filter?.skus ?? []);
  }

  matches(line: LineFacts): boolean {
    if (this.all) return true;
    if (this.products.has(line.product_id)) return true;
    if (line.sku_id !== null && this.skus.has(line.sku_id)) return true;
    if (this.categories.size) for (const c of line.categories) if (this.categories.has(c)) return true;
    return false;
  }
}

const matchers = new WeakMap<object, ItemMatcher>();
const ALL = new ItemMatcher(null);

/** The compiled matcher of a filter object (cached per object). */
export function matcherOf(filter: ItemFilter | null): ItemMatcher {
  if (filter === null) return ALL;
  let m = matchers.get(filter);
  if (!m) matchers.set(filter, (m = new ItemMatcher(filter)));
  return m;
}
