import type { CatalogueProduct } from '../domain/messaging/template.js';
import { toMajor } from '../domain/money.js';
import type { Executor } from '../store/db.js';
import { getProducts, listProducts, type StoredProduct } from '../store/market.js';
import { registerCatalogue } from './messaging.js';

function view(p: StoredProduct): CatalogueProduct {
  return {
    id: p.id,
    name: p.name,
    price: toMajor(Number(p.price)),
    old_price: p.old_price === null ? null : toMajor(Number(p.old_price)),
    currency: p.currency,
    url: p.url ?? undefined,
    image_url: p.picture ?? undefined,
    vendor: p.vendor,
    categories: p.categories,
    available: p.available,
  };
}

/**
 * The market catalogue for templates' cart and recommendation blocks: `products_by_ids` keeps the order of
 * the ids it is given and skips unknown ones; `products_in_category` lists available products of a category
 * and its subcategories.
 */
export function registerMarketCatalogue(): void {
  registerCatalogue((ex: Executor) => ({
    async productsByIds(ids, limit) {
      const found = await getProducts(ex, ids.slice(0, limit));
      return ids.slice(0, limit).flatMap((id) => (found.has(id) ? [view(found.get(id)!)] : []));
    },
    async productsInCategory(category, limit) {
      const rows = await listProducts(ex, limit * 2, undefined, category);
      return rows.filter((p) => p.available).slice(0, limit).map(view);
    },
  }));
}
