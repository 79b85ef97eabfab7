import type { ConditionNode } from '../conditions/tree.js';
import { segmentLanguage } from './leaves.js';

export interface GraphNode {
  type: 'dynamic' | 'static';
  conditions: ConditionNode | null;
}

/**
 * What each dynamic segment can be changed by, with references followed: a segment that includes dynamic
 * segment B depends on what B depends on; one that includes static segment S depends on `segment:S`
 * (its member list). Returns dependency → dynamic segments, the index event-driven membership looks in.
 */
export function dependencyIndex(graph: ReadonlyMap<string, GraphNode>): Map<string, Set<string>> {
  const memo = new Map<string, Set<string>>();
  const effective = (id: string, stack: Set<string>): Set<string> => {
    const known = memo.get(id);
    if (known) return known;
    const out = new Set<string>();
    const node = graph.get(id);
    if (!node || node.type === 'static' || !node.conditions || stack.has(id)) return out;
    stack.add(id);
    for (const dep of segmentLanguage.dependencies(node.conditions)) {
      if (!dep.startsWith('segment:')) {
        out.add(dep);
        continue;
      }
      const ref = dep.slice('segment:'.length);
      const target = graph.get(ref);
      if (target?.type === 'dynamic') for (const d of effective(ref, stack)) out.add(d);
      else out.add(dep);
    }
    stack.delete(id);
    memo.set(id, out);
    return out;
  };
  const index = new Map<string, Set<string>>();
  for (const [id, node] of graph) {
    if (node.type !== 'dynamic') continue;
    for (const dep of effective(id, new Set())) {
      if (!index.has(dep)) index.set(dep, new Set());
      index.get(dep)!.add(id);
    }
  }
  return index;
}

/** A dynamic segment is refreshed on a schedule when any segment it includes is time-relative. */
export function isTimeRelative(id: string, graph: ReadonlyMap<string, GraphNode>, seen = new Set<string>()): boolean {
  const node = graph.get(id);
  if (!node || node.type !== 'dynamic' || !node.conditions || seen.has(id)) return false;
  seen.add(id);
  if (segmentLanguage.timeRelative(node.conditions)) return true;
  return [...segmentLanguage.dependencies(node.conditions)]
    .filter((d) => d.startsWith('segment:'))
    .some((d) => isTimeRelative(d.slice('segment:'.length), graph, seen));
}

/**
 * What a change of each kind can affect, as dependency names. Built-in events also stand for the data they
 * report: checkout's `order_finalized` wrote an order and moved points, a ledger event moved points or a
 * tier. An order written, canceled or refunded may also reverse points, so it touches loyalty conditions.
 */
const EVENT_ALSO_CHANGES: Record<string, string[]> = {
  order_finalized: ['orders', 'loyalty'],
  order_canceled: ['orders', 'loyalty'],
  points_accrued: ['loyalty'],
  points_redeemed: ['loyalty'],
  tier_changed: ['loyalty'],
};
export const changesOfEvent = (name: string): string[] => [`event:${name}`, ...(EVENT_ALSO_CHANGES[name] ?? [])];
export const ORDER_CHANGES = ['orders', 'loyalty'];
export const LEDGER_CHANGES = ['loyalty'];
