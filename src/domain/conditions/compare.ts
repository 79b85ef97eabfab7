import { addDuration, parseDuration } from '../duration.js';
import { isPlainObject, type Fault } from './tree.js';

/**
 * Comparisons of one value (a profile field, an event property, launch data, …) against a condition:
 * `eq|neq|in|contains|gt|gte|lt|lte|exists|between`. The condition's value decides the type compared:
 * a number compares JSON numbers, a date (`"1990-05-12"`, `{ago: "P30D"}`, `{in: "P3D"}`) compares the
 * date part of strings that start with `YYYY-MM-DD`, anything else compares exactly. A value of another
 * type never matches (so `neq`, the negation of `eq`, does). With `ignore_year` dates compare by month and
 * day: "birthday in 3 days" is `{op: "eq", value: {in: "P3D"}, ignore_year: true}`.
 *
 * The SQL compiler (store/conditions.ts) implements exactly these rules; differential tests hold them equal.
 */

export const OPS = ['eq', 'neq', 'in', 'contains', 'gt', 'gte', 'lt', 'lte', 'exists', 'between'] as const;
export type Op = (typeof OPS)[number];
export type Scalar = string | number | boolean;
export type OrderOp = 'gt' | 'gte' | 'lt' | 'lte';

/** A date as written in a condition: an absolute day, or a day relative to the evaluation time (UTC). */
export type DateValue = { date: string } | { ago: string } | { in: string };

export type Comparison =
  | { op: 'exists'; value: boolean }
  | { op: 'eq' | 'neq'; type: 'scalar'; value: Scalar }
  | { op: 'eq' | 'neq'; type: 'date'; value: DateValue; ignoreYear: boolean }
  | { op: 'in'; values: Scalar[] }
  | { op: 'contains'; value: Scalar }
  | { op: OrderOp; type: 'number'; value: number }
  | { op: OrderOp; type: 'date'; value: DateValue; ignoreYear: boolean }
  | { op: 'between'; type: 'number'; from: number; to: number }
  | { op: 'between'; type: 'date'; from: DateValue; to: DateValue; ignoreYear: boolean };

/** A comparison with its dates fixed for one instant: `YYYY-MM-DD` (or `MM-DD` with ignore_year). */
export type Resolved =
  | { op: 'exists'; value: boolean }
  | { op: 'eq' | 'neq'; type: 'scalar'; value: Scalar }
  | { op: 'eq' | 'neq'; type: 'date'; value: string; ignoreYear: boolean }
  | { op: 'in'; values: Scalar[] }
  | { op: 'contains'; value: Scalar }
  | { op: OrderOp; type: 'number'; value: number }
  | { op: OrderOp; type: 'date'; value: string; ignoreYear: boolean }
  | { op: 'between'; type: 'number'; from: number; to: number }
  | { op: 'between'; type: 'date'; from: string; to: string; ignoreYear: boolean };

/** A string "is a date" when it starts with a plausible `YYYY-MM-DD`; the SQL side uses the same pattern. */
export const DATE_PREFIX_RE = '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])';
const DATE_PREFIX = new RegExp(DATE_PREFIX_RE);
const DATE_ONLY = new RegExp(`${DATE_PREFIX_RE}$`);
const MAX_STRING = 1000;
const MAX_IN = 1000;

const isScalar = (v: unknown): v is Scalar =>
  (typeof v === 'string' && v.length <= MAX_STRING) || (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean';

function parseDate(v: unknown, path: string, faults: Fault[]): DateValue | null {
  if (typeof v === 'string' && DATE_ONLY.test(v)) return { date: v };
  if (isPlainObject(v)) {
    const keys = Object.keys(v);
    if (keys.length === 1 && (keys[0] === 'ago' || keys[0] === 'in')) {
      const text = v[keys[0]];
      const d = typeof text === 'string' ? parseDuration(text) : null;
      if (!d || d.negative) {
        faults.push({ path: `${path}.${keys[0]}`, message: 'must be a positive ISO 8601 duration such as P3D' });
        return null;
      }
      return keys[0] === 'ago' ? { ago: text as string } : { in: text as string };
    }
  }
  return null;
}

const looksLikeDate = (v: unknown) => (typeof v === 'string' && DATE_ONLY.test(v)) || (isPlainObject(v) && ('ago' in v || 'in' in v));

/** Reads `op`/`value`/`ignore_year` as written in a condition; every fault is named with its path. */
export function parseComparison(op: unknown, value: unknown, ignoreYear: unknown, paths = { op: 'op', value: 'value', ignoreYear: 'ignore_year' }): Comparison | Fault[] {
  const faults: Fault[] = [];
  if (typeof op !== 'string' || !(OPS as readonly string[]).includes(op)) return [{ path: paths.op, message: `must be one of ${OPS.join(', ')}` }];
  if (ignoreYear !== undefined && typeof ignoreYear !== 'boolean') faults.push({ path: paths.ignoreYear, message: 'must be true or false' });
  const iy = ignoreYear === true;
  const dateOnly = () => {
    if (iy) faults.push({ path: paths.ignoreYear, message: 'applies to date values only' });
  };
  let out: Comparison | null = null;
  switch (op as Op) {
    case 'exists':
      if (value !== undefined && typeof value !== 'boolean') faults.push({ path: paths.value, message: 'must be true or false (or left out)' });
      dateOnly();
      out = { op: 'exists', value: value !== false };
      break;
    case 'eq':
    case 'neq': {
      if (looksLikeDate(value)) {
        const d = parseDate(value, paths.value, faults);
        if (d) out = { op: op as 'eq', type: 'date', value: d, ignoreYear: iy };
      } else if (isScalar(value)) {
        dateOnly();
        out = { op: op as 'eq', type: 'scalar', value };
      } else faults.push({ path: paths.value, message: 'must be a string, number, boolean or date' });
      break;
    }
    case 'in':
      dateOnly();
      if (!Array.isArray(value) || value.length === 0 || value.length > MAX_IN)
        faults.push({ path: paths.value, message: `must be an array of 1 to ${MAX_IN} strings, numbers or booleans` });
      else {
        value.forEach((v, i) => {
          if (!isScalar(v)) faults.push({ path: `${paths.value}.${i}`, message: 'must be a string, number or boolean' });
        });
        out = { op: 'in', values: value as Scalar[] };
      }
      break;
    case 'contains':
      dateOnly();
      if (!isScalar(value)) faults.push({ path: paths.value, message: 'must be a string, number or boolean' });
      else out = { op: 'contains', value };
      break;
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      if (typeof value === 'number' && Number.isFinite(value)) {
        dateOnly();
        out = { op: op as OrderOp, type: 'number', value };
      } else {
        const d = parseDate(value, paths.value, faults);
        if (d) out = { op: op as OrderOp, type: 'date', value: d, ignoreYear: iy };
        else if (!faults.some((f) => f.path.startsWith(paths.value)))
          faults.push({ path: paths.value, message: 'must be a number, a date (YYYY-MM-DD) or a relative date ({ago|in: duration})' });
      }
      break;
    case 'between': {
      if (!Array.isArray(value) || value.length !== 2) {
        faults.push({ path: paths.value, message: 'must be [from, to]: two numbers or two dates' });
        break;
      }
      const [a, b] = value;
      if (typeof a === 'number' && typeof b === 'number' && Number.isFinite(a) && Number.isFinite(b)) {
        dateOnly();
        out = { op: 'between', type: 'number', from: a, to: b };
      } else {
        const from = parseDate(a, `${paths.value}.0`, faults);
        const to = parseDate(b, `${paths.value}.1`, faults);
        if (from && to) out = { op: 'between', type: 'date', from, to, ignoreYear: iy };
        else if (!faults.some((f) => f.path.startsWith(paths.value)))
          faults.push({ path: paths.value, message: 'must be [from, to]: two numbers or two dates' });
      }
      break;
    }
  }
  if (faults.length || !out) return faults.length ? faults : [{ path: paths.value, message: 'is invalid' }];
  return out;
}

const utcDay = (d: Date) => d.toISOString().slice(0, 10);
const startOfUtcDay = (now: Date) => new Date(`${utcDay(now)}T00:00:00.000Z`);

/** The `YYYY-MM-DD` a date value names at `now` (UTC days). */
export function resolveDate(v: DateValue, now: Date): string {
  if ('date' in v) return v.date;
  const d = parseDuration('ago' in v ? v.ago : v.in)!;
  return utcDay(addDuration(startOfUtcDay(now), { ...d, negative: 'ago' in v }));
}

export function resolveComparison(c: Comparison, now: Date): Resolved {
  const key = (v: DateValue, iy: boolean) => (iy ? resolveDate(v, now).slice(5) : resolveDate(v, now));
  if ((c.op === 'between') && c.type === 'date') return { op: 'between', type: 'date', from: key(c.from, c.ignoreYear), to: key(c.to, c.ignoreYear), ignoreYear: c.ignoreYear };
  if ('type' in c && c.type === 'date') return { op: c.op, type: 'date', value: key(c.value, c.ignoreYear), ignoreYear: c.ignoreYear } as Resolved;
  return c as Resolved;
}

export function isTimeRelative(c: Comparison): boolean {
  if (!('type' in c) || c.type !== 'date') return false;
  const rel = (v: DateValue) => !('date' in v);
  return c.op === 'between' ? rel(c.from) || rel(c.to) : rel(c.value);
}

/** The date key of a stored value: `YYYY-MM-DD` (or `MM-DD`), or null when it is not a date string. */
export function dateKey(actual: unknown, ignoreYear: boolean): string | null {
  if (typeof actual !== 'string' || !DATE_PREFIX.test(actual)) return null;
  return ignoreYear ? actual.slice(5, 10) : actual.slice(0, 10);
}

/** Scalars are equal when they have the same JSON type and value. */
export const scalarEquals = (a: unknown, b: Scalar) => typeof a === typeof b && a === b;

function ordered(op: OrderOp, a: number | string, b: number | string): boolean {
  switch (op) {
    case 'gt':
      return a > b;
    case 'gte':
      return a >= b;
    case 'lt':
      return a < b;
    case 'lte':
      return a <= b;
  }
}

/** Does the stored value (undefined when absent) satisfy the comparison? */
export function matches(c: Resolved, actual: unknown): boolean {
  switch (c.op) {
    case 'exists':
      return (actual !== undefined && actual !== null) === c.value;
    case 'eq':
    case 'neq': {
      let eq: boolean;
      if (c.type === 'scalar') eq = scalarEquals(actual, c.value);
      else eq = dateKey(actual, c.ignoreYear) === c.value;
      return c.op === 'eq' ? eq : !eq;
    }
    case 'in':
      return c.values.some((v) => scalarEquals(actual, v));
    case 'contains':
      if (typeof actual === 'string' && typeof c.value === 'string') return actual.includes(c.value);
      if (Array.isArray(actual)) return actual.some((e) => scalarEquals(e, c.value));
      return false;
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      if (c.type === 'number') return typeof actual === 'number' && ordered(c.op, actual, c.value);
      const k = dateKey(actual, c.ignoreYear);
      return k !== null && ordered(c.op, k, c.value);
    }
    case 'between': {
      if (c.type === 'number') return typeof actual === 'number' && actual >= c.from && actual <= c.to;
      const k = dateKey(actual, c.ignoreYear);
      if (k === null) return false;
      // Month-day ranges wrap over the new year (Dec 28 → Jan 3).
      if (c.ignoreYear && c.from > c.to) return k >= c.from || k <= c.to;
      return k >= c.from && k <= c.to;
    }
  }
}

/** Looks a dotted path up in a JSON value; own properties of objects only (arrays are never indexed). */
export function lookup(root: unknown, path: readonly string[]): unknown {
  let cur: unknown = root;
  for (const seg of path) {
    if (!isPlainObject(cur) || !Object.prototype.hasOwnProperty.call(cur, seg)) return undefined;
    cur = cur[seg];
  }
  return cur;
}

/** Path segments users may name: letters, digits, `_` and `-`, starting with a letter or `_`. */
export const PATH_SEGMENT = /^[\p{L}_][\p{L}\p{N}_-]{0,99}$/u;

export function parsePath(text: string): string[] | null {
  const parts = text.split('.');
  return parts.length <= 8 && parts.every((p) => PATH_SEGMENT.test(p)) ? parts : null;
}
