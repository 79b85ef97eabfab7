/**
 * Condition trees as the API writes them: `{all: [...]}`, `{any: [...]}`, `{not: …}` and leaves (objects
 * that carry a kind's key, such as `{field: …}` or `{event: …}`). Pure helpers, so the editor stays small.
 */
import type { FieldError } from '../../api/client';
import { innerPath } from '../../api/errors';

export type Leaf = Record<string, unknown>;
export type CondNode = { all: CondNode[] } | { any: CondNode[] } | { not: CondNode } | Leaf;

export const isGroup = (n: CondNode): n is { all: CondNode[] } | { any: CondNode[] } =>
  Boolean(n) && typeof n === 'object' && (Array.isArray((n as { all?: unknown }).all) || Array.isArray((n as { any?: unknown }).any));
export const isNot = (n: CondNode): n is { not: CondNode } => Boolean(n) && typeof n === 'object' && 'not' in n && Object.keys(n).length === 1;
export const groupOp = (n: { all: CondNode[] } | { any: CondNode[] }): 'all' | 'any' => ('all' in n ? 'all' : 'any');
export const childrenOf = (n: { all: CondNode[] } | { any: CondNode[] }): CondNode[] => ('all' in n ? n.all : n.any);

/** The errors at `path` or below it, with `path` made relative (`''` for the node itself). */
export function errorsUnder(errors: FieldError[], path: string): FieldError[] {
  const out: FieldError[] = [];
  for (const e of errors) {
    const p = innerPath(e.path);
    if (p === path) out.push({ path: '', message: e.message });
    else if (p.startsWith(`${path}.`)) out.push({ path: p.slice(path.length + 1), message: e.message });
  }
  return out;
}

/** Errors of a leaf's own parts: the ones under a child node belong to that child. */
export function ownErrors(errors: FieldError[], path: string, childPrefixes: string[] = []): FieldError[] {
  return errorsUnder(errors, path).filter((e) => !childPrefixes.some((c) => e.path === c || e.path.startsWith(`${c}.`)));
}

/** An ISO duration written as a number and a unit (`P30D`, `PT2H`). */
export const DURATION_UNITS = [
  { unit: 'M', label: 'minutes', time: true },
  { unit: 'H', label: 'hours', time: true },
  { unit: 'D', label: 'days', time: false },
  { unit: 'W', label: 'weeks', time: false },
] as const;

export function parseSimpleDuration(text: unknown): { n: number; unit: 'M' | 'H' | 'D' | 'W' } | null {
  if (typeof text !== 'string') return null;
  const m = /^P(?:(\d+)([DW])|T(\d+)([HM]))$/.exec(text);
  if (!m) return null;
  return m[1] ? { n: Number(m[1]), unit: m[2] as 'D' | 'W' } : { n: Number(m[3]), unit: m[4] as 'H' | 'M' };
}

export function simpleDuration(n: number, unit: 'M' | 'H' | 'D' | 'W'): string {
  return unit === 'M' || unit === 'H' ? `PT${n}${unit}` : `P${n}${unit}`;
}
