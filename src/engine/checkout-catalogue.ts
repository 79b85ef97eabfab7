/**
 * The catalogue as checkouts see it, kept in memory: each product a checkout asked for (or the fact that
 * it is not in the catalogue) at the catalogue version read with it. Every checkout reads the current
 * version in its facts statement (a counter that every product or category write bumps in its own
 * transaction); when it moved, everything cached is dropped and read again, so a price change is seen
 * by the next checkout of every process.
 */
import type { CatalogueProduct } from '../domain/checkout/types.js';
import { catalogueProducts } from '../store/checkout.js';
import type { Db, Executor } from '../store/db.js';

interface Cached {
  version: number;
  /** null: not in the catalogue. */
  products: Map<string, CatalogueProduct | null>;
}

const MAX_PRODUCTS = 100_000;
const caches = new WeakMap<Db, Cached>();

export const checkoutCatalogue = {
  /** The ids the cache cannot answer: the facts statement reads these. */
  missing(db: Db, ids: string[]): string[] {
    const c = caches.get(db);
    return c ? ids.filter((id) => !c.products.has(id)) : ids;
  },

  /**
   * The cart's products, from what the facts statement read (`fetched`, at `version`) and the cache. When
   * the version moved, the cache is dropped and the products it had answered are read again.
   */
  async resolve(db: Db, ex: Executor, ids: string[], asked: string[], fetched: Map<string, CatalogueProduct>, version: number): Promise<Map<string, CatalogueProduct>> {
    let c = caches.get(db);
    let stale: string[] = [];
    if (!c || c.version !== version) {
      stale = c ? ids.filter((id) => !asked.includes(id)) : [];
      c = { version, products: new Map() };
      caches.set(db, c);
    }
    if (c.products.size + ids.length > MAX_PRODUCTS) c.products.clear();
    const learn = (read: string[], got: Map<string, CatalogueProduct>) => {
      for (const id of read) c.products.set(id, got.get(id) ?? null);
    };
    learn(asked, fetched);
    if (stale.length) {
      const again = await catalogueProducts(ex, stale);
      if (again.version === version) learn(stale, again.products);
      else {
        // The catalogue moved once more meanwhile: answer this checkout from what was just read, cache nothing of it.
        caches.delete(db);
        return new Map([...fetched, ...again.products]);
      }
    }
    const out = new Map<string, CatalogueProduct>();
    for (const id of ids) {
      const p = c.products.get(id);
      if (p) out.set(id, p);
    }
    return out;
  },
};
