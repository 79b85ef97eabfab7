/**
 * Order segments: the condition-tree language of promotions, evaluated in memory on the cart, the member
 * and the profile. Branches (`all`, `any`, `not`) and the `field` leaf come from domain/conditions; the
 * order leaves are registered here:
 *
 * - `{subtotal: {gte: 50}}` the cart's value before discounts (major units);
 * - `{items_count: {gte: 3}}` units in the cart (the sum of quantities);
 * - `{quantity: {gte: 2}, of?: {product_ids|categories|skus}}` units of matching items: those named in
 *   `of` (or beside `quantity`), else those the promotion applies to (`applies_to`), else all;
 * - `{contains: {product_ids|categories|skus: [...]}}` the cart holds at least one matching line;
 * - `{channel: "web" | [..]}` the sales channel of the request;
 * - `{tier: "Gold" | [..] | null}` the member's tier (null: no tier);
 * - `{orders_count: {gte: 1}}` the profile's earlier orders that were not canceled; `{first_order: true}`;
 * - `{field: "fields.city" | "email" | …, op, value}` profile fields, as in segments;
 * - `{weekday: [6, 7] | ["sat", "sun"]}` ISO weekday and `{hour: {gte: 18} | [18, 19]}` of the order, both
 *   in the program's time zone.
 */
import { DateTime } from 'luxon';
import { lookup } from '../conditions/compare.js';
import { countHolds, parseCountBound, type CountBound } from '../conditions/count.js';
import { fieldLeaf, type FieldSource } from '../conditions/field.js';
import { ConditionLanguage, isPlainObject, type Fault, type LeafKind, type LeafNode } from '../conditions/tree.js';
import { toMinor } from '../money.js';
import { isEmptyFilter, matcherOf, parseItemFilter, type ItemFilter, type LineFacts } from './items.js';

export interface OrderProfileFacts {
  email: string | null;
  phone: string | null;
  external_id: string | null;
  fields: Record<string, unknown>;
  created_at: Date | null;
}

export interface OrderConditionContext {
  now: Date;
  /** The order's time in the program's time zone: ISO weekday 1 (Monday) … 7 and hour 0 … 23. */
  local: { weekday: number; hour: number };
  lines: readonly LineFacts[];
  /** Minor units, before discounts. */
  subtotal: number;
  channel: string | null;
  tier: string | null;
  orders_count: number;
  profile: OrderProfileFacts;
  /** The `applies_to` of the promotion whose conditions are evaluated (`quantity` counts those items). */
  appliesTo: ItemFilter | null;
}

/** Validated leaves parse once; evaluation reads the parsed form. */
function cached<T>(parse: (leaf: LeafNode) => T | Fault[]): (leaf: LeafNode) => T {
  const memo = new WeakMap<LeafNode, T>();
  return (leaf) => {
    const hit = memo.get(leaf);
    if (hit !== undefined) return hit;
    const r = parse(leaf);
    if (isFaults(r)) throw new Error(`invalid order condition: ${r.map((f) => `${f.path} ${f.message}`).join('; ')}`);
    memo.set(leaf, r);
    return r;
  };
}
const isFaults = (r: unknown): r is Fault[] => Array.isArray(r) && r.length > 0 && isPlainObject(r[0]) && 'message' in r[0];

function onlyKeys(leaf: LeafNode, keys: string[], what: string): Fault[] {
  return Object.keys(leaf)
    .filter((k) => !keys.includes(k))
    .map((k) => ({ path: k, message: `is not allowed in a ${what} condition` }));
}

/** A leaf `{<key>: {op: n}}` bounding a number of the context. */
function boundLeaf(key: string, read: (ctx: OrderConditionContext) => number, opts: { money?: boolean } = {}): LeafKind<OrderConditionContext> {
  const parse = (leaf: LeafNode): CountBound | Fault[] => {
    const faults = onlyKeys(leaf, [key], key);
    const b = parseCountBound(leaf[key], key, { integer: !opts.money });
    if (Array.isArray(b)) return [...faults, ...b];
    if (opts.money) {
      const minor = toMinor(b.value);
      if (minor === null) return [...faults, { path: `${key}.${b.op}`, message: 'must be an amount with at most 2 decimals' }];
      return faults.length ? faults : { op: b.op, value: minor };
    }
    return faults.length ? faults : b;
  };
  const get = cached(parse);
  return {
    key,
    validate: (leaf) => {
      const r = parse(leaf);
      return isFaults(r) ? r : [];
    },
    evaluate: (leaf, ctx) => countHolds(get(leaf), read(ctx)),
  };
}

const units = (lines: readonly LineFacts[], filter: ItemFilter | null) => {
  const m = matcherOf(filter);
  let n = 0;
  for (const l of lines) if (m.matches(l)) n += l.quantity;
  return n;
};

const quantityKind: LeafKind<OrderConditionContext> = (() => {
  const FLAT = ['product_ids', 'categories', 'skus', 'product_id', 'category', 'sku'];
  const parse = (leaf: LeafNode): { bound: CountBound; of: ItemFilter | null } | Fault[] => {
    const faults = onlyKeys(leaf, ['quantity', 'of', ...FLAT], 'quantity');
    const b = parseCountBound(leaf.quantity, 'quantity');
    if (Array.isArray(b)) faults.push(...b);
    let of: ItemFilter | null = null;
    // The items may be named in `of` or beside `quantity` (`{quantity: {gte: 2}, categories: ["shoes"]}`).
    const flat = Object.fromEntries(Object.entries(leaf).filter(([k]) => FLAT.includes(k)));
    if (leaf.of !== undefined || Object.keys(flat).length) {
      const f = leaf.of !== undefined ? parseItemFilter(leaf.of, 'of') : parseItemFilter(flat, '');
      if (Array.isArray(f)) faults.push(...f.map((x) => ({ ...x, path: x.path.replace(/^\./, '') })));
      else if (!isEmptyFilter(f)) of = f;
    }
    return faults.length ? faults : { bound: b as CountBound, of };
  };
  const get = cached(parse);
  return {
    key: 'quantity',
    validate: (leaf) => {
      const r = parse(leaf);
      return isFaults(r) ? r : [];
    },
    evaluate(leaf, ctx) {
      const q = get(leaf);
      return countHolds(q.bound, units(ctx.lines, q.of ?? ctx.appliesTo));
    },
  };
})();

const containsKind: LeafKind<OrderConditionContext> = (() => {
  const parse = (leaf: LeafNode): ItemFilter | Fault[] => {
    const faults = onlyKeys(leaf, ['contains'], 'contains');
    const f = parseItemFilter(leaf.contains, 'contains');
    if (Array.isArray(f)) return [...faults, ...f];
    if (isEmptyFilter(f)) return [...faults, { path: 'contains', message: 'must name at least one product, category or SKU' }];
    return faults.length ? faults : f;
  };
  const get = cached(parse);
  return {
    key: 'contains',
    validate: (leaf) => {
      const r = parse(leaf);
      return isFaults(r) ? r : [];
    },
    evaluate(leaf, ctx) {
      const m = matcherOf(get(leaf));
      return ctx.lines.some((l) => m.matches(l));
    },
  };
})();

/** `{<key>: value | [values]}`: the context's string (or null) is one of them. */
function oneOfLeaf(key: string, read: (ctx: OrderConditionContext) => string | null, opts: { allowNull: boolean }): LeafKind<OrderConditionContext> {
  const parse = (leaf: LeafNode): (string | null)[] | Fault[] => {
    const faults = onlyKeys(leaf, [key], key);
    const v = leaf[key];
    const list = Array.isArray(v) ? v : [v];
    const ok = (x: unknown) => (typeof x === 'string' && x.length >= 1 && x.length <= 200) || (opts.allowNull && x === null);
    if (!list.length || list.length > 100 || !list.every(ok))
      faults.push({ path: key, message: `must be a name${opts.allowNull ? ' (or null)' : ''} or an array of up to 100 of them` });
    return faults.length ? faults : (list as (string | null)[]);
  };
  const get = cached(parse);
  return {
    key,
    validate: (leaf) => {
      const r = parse(leaf);
      return isFaults(r) ? r : [];
    },
    evaluate: (leaf, ctx) => get(leaf).includes(read(ctx)),
  };
}

const firstOrderKind: LeafKind<OrderConditionContext> = {
  key: 'first_order',
  validate: (leaf) => [...onlyKeys(leaf, ['first_order'], 'first_order'), ...(typeof leaf.first_order === 'boolean' ? [] : [{ path: 'first_order', message: 'must be true or false' }])],
  evaluate: (leaf, ctx) => (ctx.orders_count === 0) === leaf.first_order,
};

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

const weekdayKind: LeafKind<OrderConditionContext> = (() => {
  const parse = (leaf: LeafNode): number[] | Fault[] => {
    const faults = onlyKeys(leaf, ['weekday'], 'weekday');
    const v = leaf.weekday;
    const list = Array.isArray(v) ? v : [v];
    const days: number[] = [];
    list.forEach((d, i) => {
      const path = Array.isArray(v) ? `weekday.${i}` : 'weekday';
      if (typeof d === 'number' && Number.isInteger(d) && d >= 1 && d <= 7) days.push(d);
      else if (typeof d === 'string' && WEEKDAYS.includes(d.toLowerCase().slice(0, 3)) && /^[a-z]+$/i.test(d)) days.push(WEEKDAYS.indexOf(d.toLowerCase().slice(0, 3)) + 1);
      else faults.push({ path, message: 'must be an ISO weekday 1 (Monday) to 7 (Sunday) or a name such as "sat"' });
    });
    if (!list.length) faults.push({ path: 'weekday', message: 'must name at least one day' });
    return faults.length ? faults : days;
  };
  const get = cached(parse);
  return {
    key: 'weekday',
    validate: (leaf) => {
      const r = parse(leaf);
      return isFaults(r) ? r : [];
    },
    evaluate: (leaf, ctx) => get(leaf).includes(ctx.local.weekday),
  };
})();

const hourKind: LeafKind<OrderConditionContext> = (() => {
  const parse = (leaf: LeafNode): ((h: number) => boolean) | Fault[] => {
    const faults = onlyKeys(leaf, ['hour'], 'hour');
    const v = leaf.hour;
    if (Array.isArray(v)) {
      const bad = v.findIndex((h) => !(typeof h === 'number' && Number.isInteger(h) && h >= 0 && h <= 23));
      if (!v.length || bad >= 0) faults.push({ path: bad >= 0 ? `hour.${bad}` : 'hour', message: 'must be hours 0 to 23' });
      const set = new Set(v as number[]);
      return faults.length ? faults : (h: number) => set.has(h);
    }
    const b = parseCountBound(v, 'hour');
    if (Array.isArray(b)) return [...faults, { path: 'hour', message: 'must be an array of hours 0 to 23 or a bound such as {gte: 18}' }];
    return faults.length ? faults : (h: number) => countHolds(b, h);
  };
  const get = cached(parse);
  return {
    key: 'hour',
    validate: (leaf) => {
      const r = parse(leaf);
      return isFaults(r) ? r : [];
    },
    evaluate: (leaf, ctx) => get(leaf)(ctx.local.hour),
  };
})();

const PROFILE_COLUMNS = ['email', 'phone', 'external_id', 'created_at'] as const;

/** `fields.<name>` and the profile's own columns, read from the checkout's profile. */
export const orderFieldSources: FieldSource<OrderConditionContext>[] = [
  { name: 'fields', nested: true, dependency: 'profile', get: (ctx, path) => lookup(ctx.profile.fields, path) },
  ...PROFILE_COLUMNS.map(
    (name): FieldSource<OrderConditionContext> => ({
      name,
      nested: false,
      dependency: 'profile',
      get: (ctx) => {
        const v = ctx.profile[name];
        return v instanceof Date ? v.toISOString() : v;
      },
    }),
  ),
];

/** The order-segment language of promotion `conditions`. */
export const orderLanguage = new ConditionLanguage<OrderConditionContext>([
  boundLeaf('subtotal', (c) => c.subtotal, { money: true }),
  boundLeaf('items_count', (c) => c.lines.reduce((s, l) => s + l.quantity, 0)),
  quantityKind,
  containsKind,
  oneOfLeaf('channel', (c) => c.channel, { allowNull: false }),
  oneOfLeaf('tier', (c) => c.tier, { allowNull: true }),
  boundLeaf('orders_count', (c) => c.orders_count),
  firstOrderKind,
  fieldLeaf(orderFieldSources, (c) => c.now),
  weekdayKind,
  hourKind,
]);

const lastLocal = new Map<string, { minute: number; local: { weekday: number; hour: number } }>();

/**
 * The weekday and hour of `now` in `timezone` (an IANA name; invalid names read as UTC). Remembered per
 * zone for the minute (every zone's offset changes on a whole minute), so a busy checkout asks once.
 */
export function localTime(now: Date, timezone: string): { weekday: number; hour: number } {
  const minute = Math.floor(now.getTime() / 60_000);
  const hit = lastLocal.get(timezone);
  if (hit && hit.minute === minute) return hit.local;
  const t = DateTime.fromJSDate(now, { zone: timezone });
  const v = t.isValid ? t : DateTime.fromJSDate(now, { zone: 'UTC' });
  const local = { weekday: v.weekday, hour: v.hour };
  if (lastLocal.size > 1000) lastLocal.clear();
  lastLocal.set(timezone, { minute, local });
  return local;
}
