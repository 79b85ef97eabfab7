import { isPlainObject, type Fault, type LeafNode } from '../conditions/tree.js';
import { addDuration, parseDuration } from '../duration.js';

/** True when a parse result is a list of faults rather than the parsed condition. */
export const isFaults = (r: unknown): r is Fault[] =>
  Array.isArray(r) && r.length > 0 && typeof r[0] === 'object' && r[0] !== null && 'message' in (r[0] as object);

export const faultsOf = <T>(r: T | Fault[]): Fault[] => (isFaults(r) ? r : []);

/** Caches what a validated leaf parses to, so evaluation does not parse it for every profile. */
export function cached<T>(parse: (leaf: LeafNode) => T | Fault[]): (leaf: LeafNode) => T {
  const memo = new WeakMap<LeafNode, T>();
  return (leaf) => {
    if (memo.has(leaf)) return memo.get(leaf)!;
    const r = parse(leaf);
    if (isFaults(r)) throw new Error(`invalid condition: ${r.map((f) => `${f.path} ${f.message}`).join('; ')}`);
    memo.set(leaf, r as T);
    return r as T;
  };
}

/** A `within` window (`"P30D"`): null when absent, the text when valid; a fault is pushed otherwise. */
export function parseWithin(v: unknown, path: string, faults: Fault[]): string | null {
  if (v === undefined) return null;
  const d = typeof v === 'string' ? parseDuration(v) : null;
  if (!d || d.negative) {
    faults.push({ path, message: 'must be a positive ISO 8601 duration such as P30D' });
    return null;
  }
  return v as string;
}

/** The earliest instant a `within` window admits at `now`. */
export const windowStart = (within: string, now: Date) => addDuration(now, { ...parseDuration(within)!, negative: true });

/**
 * The object under a leaf's key (`{orders: {…}}` → `{…}`), with the faults of its frame: other keys beside
 * the leaf's own, a body that is not an object (described by `shape`), keys of the body not in `known`.
 * `body` is null when it is not an object; `faults` then holds why.
 */
export function leafBody(leaf: LeafNode, key: string, what: string, shape: string, known: readonly string[]): { body: Record<string, unknown> | null; faults: Fault[] } {
  const faults: Fault[] = Object.keys(leaf)
    .filter((k) => k !== key)
    .map((k) => ({ path: k, message: `is not allowed in ${what}` }));
  const body = leaf[key];
  if (!isPlainObject(body)) return { body: null, faults: [...faults, { path: key, message: `must be ${shape}` }] };
  for (const k of Object.keys(body))
    if (!known.includes(k)) faults.push({ path: `${key}.${k}`, message: `is not a known field of ${what} (${known.join(', ')})` });
  return { body, faults };
}
