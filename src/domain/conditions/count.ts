import { isPlainObject, type Fault } from './tree.js';

/** `{gte: 3}`, `{eq: 0}`, …: a bound on a count or an amount. */
export type CountOp = 'eq' | 'gt' | 'gte' | 'lt' | 'lte';
export interface CountBound {
  op: CountOp;
  value: number;
}
const COUNT_OPS: CountOp[] = ['eq', 'gt', 'gte', 'lt', 'lte'];

export function parseCountBound(v: unknown, path: string, opts: { integer: boolean } = { integer: true }): CountBound | Fault[] {
  if (!isPlainObject(v)) return [{ path, message: `must be an object with one of ${COUNT_OPS.join(', ')}` }];
  const keys = Object.keys(v);
  if (keys.length !== 1 || !(COUNT_OPS as string[]).includes(keys[0]))
    return [{ path, message: `must hold exactly one of ${COUNT_OPS.join(', ')}` }];
  const value = v[keys[0]];
  const ok = typeof value === 'number' && Number.isFinite(value) && value >= 0 && (!opts.integer || Number.isInteger(value));
  if (!ok) return [{ path: `${path}.${keys[0]}`, message: opts.integer ? 'must be a whole number ≥ 0' : 'must be a number ≥ 0' }];
  return { op: keys[0] as CountOp, value: value as number };
}

export function countHolds(b: CountBound, n: number): boolean {
  switch (b.op) {
    case 'eq':
      return n === b.value;
    case 'gt':
      return n > b.value;
    case 'gte':
      return n >= b.value;
    case 'lt':
      return n < b.value;
    case 'lte':
      return n <= b.value;
  }
}
