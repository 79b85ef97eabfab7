import { isTimeRelative, matches, parseComparison, parsePath, resolveComparison, type Comparison } from './compare.js';
import { type Fault, type LeafKind, type LeafNode } from './tree.js';

/**
 * Where a `{field: …}` leaf reads its value. A nested source takes a path after its name (`fields.city`,
 * `data.cart.total`, `order.subtotal`); a plain one is a single name (`email`, `created_at`). Segments
 * register the profile sources; scenarios add `data`, `loyalty` and `order` sources to the same leaf.
 */
export interface FieldSource<C> {
  name: string;
  nested: boolean;
  get(ctx: C, path: string[]): unknown;
  /** What a change to this value is called in dependency tracking (`profile`, `data`, …). */
  dependency: string;
}

export interface FieldCondition {
  source: string;
  path: string[];
  comparison: Comparison;
}

const FIELD_KEYS = new Set(['field', 'op', 'value', 'ignore_year']);

export function parseFieldLeaf<C>(leaf: LeafNode, sources: FieldSource<C>[]): FieldCondition | Fault[] {
  const faults: Fault[] = [];
  for (const k of Object.keys(leaf)) if (!FIELD_KEYS.has(k)) faults.push({ path: k, message: 'is not a known field of a field condition (field, op, value, ignore_year)' });
  let source: FieldSource<C> | undefined;
  let path: string[] = [];
  if (typeof leaf.field !== 'string') faults.push({ path: 'field', message: 'must be a field name such as fields.city or email' });
  else {
    const text = leaf.field;
    source = sources.find((s) => (s.nested ? text.startsWith(`${s.name}.`) : text === s.name));
    const p = source?.nested ? parsePath(text.slice(source.name.length + 1)) : [];
    if (!source || !p) {
      const names = sources.map((s) => (s.nested ? `${s.name}.<name>` : s.name)).join(', ');
      faults.push({ path: 'field', message: `is not a known field (one of ${names})` });
    } else path = p;
  }
  const c = parseComparison(leaf.op, leaf.value, leaf.ignore_year);
  if (Array.isArray(c)) faults.push(...c);
  if (faults.length || Array.isArray(c)) return faults;
  return { source: source!.name, path, comparison: c };
}

export function fieldLeaf<C>(sources: FieldSource<C>[], nowOf: (ctx: C) => Date): LeafKind<C> {
  const parsed = new WeakMap<LeafNode, FieldCondition>();
  const get = (leaf: LeafNode) => {
    let p = parsed.get(leaf);
    if (!p) {
      const r = parseFieldLeaf(leaf, sources);
      if (Array.isArray(r)) throw new Error(`invalid field condition: ${r.map((f) => `${f.path} ${f.message}`).join('; ')}`);
      parsed.set(leaf, (p = r));
    }
    return p;
  };
  return {
    key: 'field',
    validate: (leaf) => {
      const r = parseFieldLeaf(leaf, sources);
      return Array.isArray(r) ? r : [];
    },
    evaluate(leaf, ctx) {
      const f = get(leaf);
      const src = sources.find((s) => s.name === f.source)!;
      return matches(resolveComparison(f.comparison, nowOf(ctx)), src.get(ctx, f.path));
    },
    dependencies: (leaf) => [sources.find((s) => s.name === get(leaf).source)!.dependency],
    timeRelative: (leaf) => isTimeRelative(get(leaf).comparison),
  };
}

