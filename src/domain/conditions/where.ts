import { lookup, matches, OPS, parseComparison, parsePath, resolveComparison, type Comparison } from './compare.js';
import { isPlainObject, type Fault } from './tree.js';

/**
 * Event property filters, as in `{event: "purchase", where: {"amount": {"gte": 100}, "category": "shoes"}}`:
 * each key is a property path (`properties.` may be written or left out); a scalar means `eq`, an array
 * means `in`, an object holds one or more `op: value` pairs (and `ignore_year`). All entries must hold.
 * Shared by segment event conditions, scenario triggers (`where`) and `wait_event`.
 */
export interface PropertyFilter {
  path: string[];
  comparison: Comparison;
}

export const MAX_WHERE = 50;

export function parseWhere(where: unknown, base = 'where'): PropertyFilter[] | Fault[] {
  if (!isPlainObject(where)) return [{ path: base, message: 'must be an object of property → value or {op: value}' }];
  const entries = Object.entries(where);
  if (entries.length > MAX_WHERE) return [{ path: base, message: `may hold at most ${MAX_WHERE} properties` }];
  const faults: Fault[] = [];
  const out: PropertyFilter[] = [];
  for (const [key, spec] of entries) {
    const at = `${base}.${key}`;
    const path = parsePath(key.startsWith('properties.') ? key.slice('properties.'.length) : key);
    if (!path) {
      faults.push({ path: at, message: 'is not a property path (letters, digits, _ and -, dot-separated)' });
      continue;
    }
    if (isPlainObject(spec)) {
      const ops = Object.keys(spec).filter((k) => k !== 'ignore_year');
      if (!ops.length) faults.push({ path: at, message: `must name an operator (${OPS.join(', ')})` });
      for (const op of ops) {
        const c = parseComparison(op, spec[op], spec.ignore_year, { op: `${at}.${op}`, value: `${at}.${op}`, ignoreYear: `${at}.ignore_year` });
        if (Array.isArray(c)) faults.push(...c);
        else out.push({ path, comparison: c });
      }
    } else {
      const c = parseComparison(Array.isArray(spec) ? 'in' : 'eq', spec, undefined, { op: at, value: at, ignoreYear: at });
      if (Array.isArray(c)) faults.push(...c);
      else out.push({ path, comparison: c });
    }
  }
  return faults.length ? faults : out;
}

export function whereMatches(filters: PropertyFilter[], properties: Record<string, unknown>, now: Date): boolean {
  return filters.every((f) => matches(resolveComparison(f.comparison, now), lookup(properties, f.path)));
}
