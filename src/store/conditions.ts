import { sql, type RawBuilder } from 'kysely';
import { DATE_PREFIX_RE, type Resolved, type Scalar } from '../domain/conditions/compare.js';
import type { ConditionNode, LeafNode } from '../domain/conditions/tree.js';

/**
 * The SQL side of the condition-tree language: a tree becomes one boolean SQL expression built with
 * Kysely's `sql` template. Every value from a condition travels as a bound parameter; only constant SQL
 * written here shapes the query. Each leaf compiler must return an expression that is never NULL, so that
 * `NOT` is plain boolean negation, as in the in-memory evaluator (domain/conditions). Leaves are not
 * wrapped in COALESCE wholesale: that would hide `IN (subquery)` from the planner's semi-join and
 * `@>` from the GIN indexes.
 */
export type SqlBool = RawBuilder<boolean>;
export type JsonExpr = RawBuilder<unknown>;

/**
 * Where a leaf sits in its tree. `narrowed`: an enclosing `all` holds a sibling that typically keeps few rows
 * (see `SqlLeaf.narrows`), so the leaf is evaluated only for the rows that pass it; an aggregate leaf then
 * does better per row (a correlated subquery on an index) than over every profile at once (a semi-join).
 */
export interface SqlPlacement {
  narrowed: boolean;
}

export interface SqlLeaf<E> {
  key: string;
  compile(leaf: LeafNode, env: E, placement: SqlPlacement): SqlBool;
  /** True when the leaf typically keeps a small share of the profiles (an equality, a count of recent events). */
  narrows?(leaf: LeafNode, env: E): boolean;
}

export class SqlCompiler<E> {
  private leaves = new Map<string, SqlLeaf<E>>();
  constructor(leaves: SqlLeaf<E>[] = []) {
    for (const l of leaves) this.register(l);
  }
  register(leaf: SqlLeaf<E>): this {
    this.leaves.set(leaf.key, leaf);
    return this;
  }
  private leafOf(node: Record<string, unknown>): SqlLeaf<E> {
    for (const key of Object.keys(node)) {
      const leaf = this.leaves.get(key);
      if (leaf) return leaf;
    }
    throw new Error(`no SQL compiler for condition ${Object.keys(node).join(',')}`);
  }
  /** Does the tree typically keep a small share of the profiles? */
  narrows(tree: ConditionNode, env: E): boolean {
    const node = tree as Record<string, unknown>;
    if ('all' in node) return (node.all as ConditionNode[]).some((c) => this.narrows(c, env));
    if ('any' in node) return (node.any as ConditionNode[]).every((c) => this.narrows(c, env));
    if ('not' in node) return false;
    const leaf = this.leafOf(node);
    return leaf.narrows?.(node, env) ?? false;
  }
  compile(tree: ConditionNode, env: E, placement: SqlPlacement = { narrowed: false }): SqlBool {
    const node = tree as Record<string, unknown>;
    if ('all' in node) {
      const children = node.all as ConditionNode[];
      const narrowing = placement.narrowed ? [] : children.map((c) => this.narrows(c, env));
      const parts = children.map((c, i) => this.compile(c, env, { narrowed: placement.narrowed || narrowing.some((n, j) => n && j !== i) }));
      return sql<boolean>`(${sql.join(parts, sql` AND `)})`;
    }
    if ('any' in node) return sql<boolean>`(${sql.join((node.any as ConditionNode[]).map((c) => this.compile(c, env, placement)), sql` OR `)})`;
    if ('not' in node) return sql<boolean>`(NOT ${this.compile(node.not as ConditionNode, env, placement)})`;
    return this.leafOf(node).compile(node, env, placement);
  }
}

const json = (v: unknown) => sql`${JSON.stringify(v)}::jsonb`;
const text = (v: JsonExpr) => sql<string>`(${v} #>> '{}')`;

function dateKey(v: JsonExpr, ignoreYear: boolean): RawBuilder<string> {
  return ignoreYear ? sql<string>`substr(${text(v)}, 6, 5) COLLATE "C"` : sql<string>`substr(${text(v)}, 1, 10) COLLATE "C"`;
}
const isDate = (v: JsonExpr) => sql<boolean>`(jsonb_typeof(${v}) = 'string' AND ${text(v)} ~ ${DATE_PREFIX_RE})`;
const isNumber = (v: JsonExpr) => sql<boolean>`jsonb_typeof(${v}) = 'number'`;
const ORDER = { gt: sql.raw('>'), gte: sql.raw('>='), lt: sql.raw('<'), lte: sql.raw('<=') } as const;

/**
 * `v` (a jsonb expression, SQL NULL when absent) against a resolved comparison, with the same rules as
 * `matches` in domain/conditions/compare.ts. `containment`, when given, is a jsonb column and the path of
 * `v` inside it: equality then compiles to `column @> {path: value}`, which a GIN index answers.
 */
export function compileComparison(c: Resolved, v: JsonExpr, containment?: { column: RawBuilder<unknown>; path: string[] }): SqlBool {
  const eqScalar = (value: Scalar): SqlBool => {
    if (containment) {
      const doc = containment.path.reduceRight<unknown>((acc, key) => ({ [key]: acc }), value);
      return sql<boolean>`(${containment.column} @> ${json(doc)})`;
    }
    return sql<boolean>`COALESCE(${v} = ${json(value)}, false)`;
  };
  switch (c.op) {
    case 'exists':
      return c.value
        ? sql<boolean>`(${v} IS NOT NULL AND jsonb_typeof(${v}) <> 'null')`
        : sql<boolean>`(${v} IS NULL OR jsonb_typeof(${v}) = 'null')`;
    case 'eq':
    case 'neq': {
      const eq =
        c.type === 'scalar'
          ? eqScalar(c.value)
          : sql<boolean>`(CASE WHEN ${isDate(v)} THEN ${dateKey(v, c.ignoreYear)} = ${c.value} ELSE false END)`;
      return c.op === 'eq' ? eq : sql<boolean>`(NOT COALESCE(${eq}, false))`;
    }
    case 'in':
      return sql<boolean>`COALESCE(${v} IN (${sql.join(c.values.map(json))}), false)`;
    case 'contains': {
      const inArray = sql<boolean>`COALESCE(jsonb_typeof(${v}) = 'array' AND ${v} @> ${json([c.value])}, false)`;
      if (typeof c.value !== 'string') return inArray;
      return sql<boolean>`(CASE jsonb_typeof(${v}) WHEN 'string' THEN strpos(${text(v)}, ${c.value}) > 0 WHEN 'array' THEN ${v} @> ${json([c.value])} ELSE false END)`;
    }
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      if (c.type === 'number') return sql<boolean>`(CASE WHEN ${isNumber(v)} THEN (${v})::numeric ${ORDER[c.op]} ${String(c.value)}::numeric ELSE false END)`;
      return sql<boolean>`(CASE WHEN ${isDate(v)} THEN ${dateKey(v, c.ignoreYear)} ${ORDER[c.op]} ${c.value} ELSE false END)`;
    case 'between': {
      if (c.type === 'number')
        return sql<boolean>`(CASE WHEN ${isNumber(v)} THEN (${v})::numeric BETWEEN ${String(c.from)}::numeric AND ${String(c.to)}::numeric ELSE false END)`;
      const k = dateKey(v, c.ignoreYear);
      const inRange =
        c.ignoreYear && c.from > c.to ? sql<boolean>`(${k} >= ${c.from} OR ${k} <= ${c.to})` : sql<boolean>`(${k} >= ${c.from} AND ${k} <= ${c.to})`;
      return sql<boolean>`(CASE WHEN ${isDate(v)} THEN ${inRange} ELSE false END)`;
    }
  }
}

/** A jsonb value at a path inside a jsonb column (SQL NULL when absent; arrays are never indexed). */
export const jsonPath = (column: RawBuilder<unknown>, path: string[]): JsonExpr => sql`(${column} #> ${path}::text[])`;
