/** Feed rows (a YML offer, a CSV record) → product input, pure. */
import type { ProductInput } from './product.js';

/** A YML `<offer>` as the streaming parser collects it. */
export interface YmlOffer {
  id: string;
  available: string | undefined;
  fields: Record<string, string>;
  params: Record<string, string>;
}

export function ymlOfferToInput(o: YmlOffer): ProductInput {
  const f = o.fields;
  const name = f.name ?? ([f.typePrefix, f.vendor, f.model].filter(Boolean).join(' ') || '');
  return {
    name,
    price: (f.price ?? '').trim(),
    old_price: f.oldprice?.trim() || null,
    currency: normaliseCurrency(f.currencyId),
    categories: f.categoryId ? [f.categoryId.trim()] : [],
    url: f.url?.trim() || null,
    picture: f.picture?.trim() || null,
    vendor: f.vendor?.trim() || null,
    params: o.params,
    available: o.available === undefined ? true : o.available.trim().toLowerCase() !== 'false',
  };
}

/** YML uses RUR for the rouble; the API speaks ISO 4217. */
function normaliseCurrency(c: string | undefined): string | null {
  const v = c?.trim().toUpperCase();
  if (!v) return null;
  return v === 'RUR' ? 'RUB' : v;
}

const TRUE = new Set(['true', '1', 'yes', 'y', 'да']);

/**
 * A CSV record with a header row: `id, name, price, old_price, currency, categories` (separated by `|`),
 * `url, picture, vendor, available`, and `param.<name>` columns. Returns the product id and input, or why not.
 */
export function csvRecordToInput(r: Record<string, string>): { id: string; input: ProductInput } | string {
  const get = (k: string) => {
    const v = r[k];
    return v === undefined ? undefined : v.trim();
  };
  const id = get('id') ?? '';
  if (!id) return 'id is empty';
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(r)) if (k.startsWith('param.') && v !== '') params[k.slice(6)] = v;
  const available = get('available');
  return {
    id,
    input: {
      name: get('name') ?? '',
      price: get('price') ?? '',
      old_price: get('old_price') || null,
      currency: normaliseCurrency(get('currency')),
      categories: (get('categories') ?? '').split('|').map((c) => c.trim()).filter(Boolean),
      url: get('url') || null,
      picture: get('picture') || null,
      vendor: get('vendor') || null,
      params,
      available: available === undefined || available === '' ? true : TRUE.has(available.toLowerCase()),
    },
  };
}
