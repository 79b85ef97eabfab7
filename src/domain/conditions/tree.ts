/**
 * Condition trees: `{all: [...]}`, `{any: [...]}`, `{not: …}` and leaves. The one tree language shared by
 * segments, promotion (order) conditions and scenario `condition` nodes. Each user of the language brings
 * its own leaf kinds (a `LeafKind` per distinguishing key: `field`, `event`, `subtotal`, …), so the tree
 * walking, validation and evaluation are written once.
 */

export type ConditionNode = { all: ConditionNode[] } | { any: ConditionNode[] } | { not: ConditionNode } | LeafNode;
export type LeafNode = Record<string, unknown>;

/** One problem found in a tree, with the dotted path of the offending part (`conditions.all.2.op`). */
export interface Fault {
  path: string;
  message: string;
}

/**
 * One kind of leaf. A leaf is an object that carries the kind's `key` (`{event: "buy", …}`); `validate`
 * returns its faults with paths relative to the leaf (`''` is the leaf itself, `'op'`, `'where.amount'`).
 * `evaluate` gets only leaves that validated.
 */
export interface LeafKind<C> {
  key: string;
  validate(leaf: LeafNode): Fault[];
  evaluate(leaf: LeafNode, ctx: C): boolean;
  /** What the leaf reads, for change tracking (`profile`, `event:<name>`, `segment:<id>`, `orders`, …). */
  dependencies?(leaf: LeafNode): string[];
  /** True when the leaf's truth can change with time alone (`within`, relative dates). */
  timeRelative?(leaf: LeafNode): boolean;
}

export interface ValidationResult {
  /** Malformed parts: the request is bad (400). */
  errors: Fault[];
  /** Well-formed leaves of a kind this deployment cannot evaluate yet (422). */
  unavailable: Fault[];
}

export const MAX_DEPTH = 32;
export const MAX_CHILDREN = 1000;
export const MAX_LEAVES = 2000;

const join = (base: string, rest: string | number) => (rest === '' ? base : base ? `${base}.${rest}` : String(rest));

export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A tree language: the branch nodes plus a set of leaf kinds. Kinds listed in `unavailable` are known
 * names whose evaluation is not provided (yet): such a leaf is reported in `unavailable`, never ignored.
 */
export class ConditionLanguage<C> {
  private kinds = new Map<string, LeafKind<C>>();
  private unavailableKinds = new Map<string, string>();

  constructor(kinds: LeafKind<C>[] = [], unavailable: Record<string, string> = {}) {
    for (const k of kinds) this.register(k);
    for (const [key, why] of Object.entries(unavailable)) if (!this.kinds.has(key)) this.unavailableKinds.set(key, why);
  }

  /** Adds (or replaces) a leaf kind; a kind that was unavailable becomes available. */
  register(kind: LeafKind<C>): this {
    this.kinds.set(kind.key, kind);
    this.unavailableKinds.delete(kind.key);
    return this;
  }

  /** The leaf keys this language knows, available or not. */
  keys(): string[] {
    return [...this.kinds.keys(), ...this.unavailableKinds.keys()];
  }

  kindOf(leaf: LeafNode): LeafKind<C> | undefined {
    for (const key of Object.keys(leaf)) {
      const k = this.kinds.get(key);
      if (k) return k;
    }
    return undefined;
  }

  /** Every fault of the tree, each with its path under `base`. */
  validate(tree: unknown, base = 'conditions'): ValidationResult {
    const out: ValidationResult = { errors: [], unavailable: [] };
    let leaves = 0;
    const walk = (node: unknown, path: string, depth: number) => {
      if (depth > MAX_DEPTH) {
        out.errors.push({ path, message: `is nested deeper than ${MAX_DEPTH} levels` });
        return;
      }
      if (!isPlainObject(node)) {
        out.errors.push({ path, message: 'must be a condition object' });
        return;
      }
      const keys = Object.keys(node);
      for (const branch of ['all', 'any'] as const) {
        if (!(branch in node)) continue;
        for (const extra of keys.filter((k) => k !== branch)) out.errors.push({ path: join(path, extra), message: `is not allowed next to "${branch}"` });
        const children = node[branch];
        if (!Array.isArray(children)) out.errors.push({ path: join(path, branch), message: 'must be an array of conditions' });
        else if (children.length === 0) out.errors.push({ path: join(path, branch), message: 'must hold at least one condition' });
        else if (children.length > MAX_CHILDREN) out.errors.push({ path: join(path, branch), message: `must hold at most ${MAX_CHILDREN} conditions` });
        else children.forEach((c, i) => walk(c, join(join(path, branch), i), depth + 1));
        return;
      }
      if ('not' in node) {
        for (const extra of keys.filter((k) => k !== 'not')) out.errors.push({ path: join(path, extra), message: 'is not allowed next to "not"' });
        walk(node.not, join(path, 'not'), depth + 1);
        return;
      }
      if (++leaves > MAX_LEAVES) {
        if (leaves === MAX_LEAVES + 1) out.errors.push({ path, message: `a tree may hold at most ${MAX_LEAVES} conditions` });
        return;
      }
      const unavailable = keys.find((k) => this.unavailableKinds.has(k));
      const kind = this.kindOf(node);
      if (!kind) {
        if (unavailable) out.unavailable.push({ path, message: this.unavailableKinds.get(unavailable)! });
        else
          out.errors.push({
            path,
            message: keys.length
              ? `is not a known condition (expected all, any, not or one of ${this.keys().join(', ')})`
              : 'is an empty condition',
          });
        return;
      }
      for (const f of kind.validate(node)) out.errors.push({ path: join(path, f.path), message: f.message });
    };
    walk(tree, base, 0);
    return out;
  }

  /** Evaluates a tree that validated. */
  evaluate(tree: ConditionNode, ctx: C): boolean {
    const node = tree as Record<string, unknown>;
    if ('all' in node) return (node.all as ConditionNode[]).every((c) => this.evaluate(c, ctx));
    if ('any' in node) return (node.any as ConditionNode[]).some((c) => this.evaluate(c, ctx));
    if ('not' in node) return !this.evaluate(node.not as ConditionNode, ctx);
    const kind = this.kindOf(node);
    if (!kind) throw new Error(`no evaluator for condition ${Object.keys(node).join(',')}`);
    return kind.evaluate(node, ctx);
  }

  /** Every leaf of a tree with the kind that handles it (undefined for unavailable kinds). */
  *leaves(tree: ConditionNode): Generator<{ leaf: LeafNode; kind: LeafKind<C> | undefined }> {
    const node = tree as Record<string, unknown>;
    if ('all' in node || 'any' in node) {
      for (const c of (node.all ?? node.any) as ConditionNode[]) yield* this.leaves(c);
      return;
    }
    if ('not' in node) {
      yield* this.leaves(node.not as ConditionNode);
      return;
    }
    yield { leaf: node, kind: this.kindOf(node) };
  }

  dependencies(tree: ConditionNode): Set<string> {
    const out = new Set<string>();
    for (const { leaf, kind } of this.leaves(tree)) for (const d of kind?.dependencies?.(leaf) ?? []) out.add(d);
    return out;
  }

  timeRelative(tree: ConditionNode): boolean {
    for (const { leaf, kind } of this.leaves(tree)) if (kind?.timeRelative?.(leaf)) return true;
    return false;
  }
}
