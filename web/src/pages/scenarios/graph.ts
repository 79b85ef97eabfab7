import dagre from '@dagrejs/dagre';
import type { ScenarioNode } from './api';
import { isTrigger, type NodeType } from './catalogue';

/** The scenario graph as the API stores it (nodes with next/branches), edited without the canvas. */

export const NODE_W = 220;
export const NODE_H = 86;

export interface Out {
  /** `next` or a branch label. */
  handle: string;
  target: string | undefined;
}

/** The outputs a node has: one `next`, or one per branch (`yes`/`no`, `received`/`timeout`, variants). */
export function outputsOf(node: ScenarioNode, t: NodeType | undefined): Out[] {
  if (t?.terminal) return [];
  const labels = t?.branches === 'variants' ? ((node.config?.variants as { label: string }[] | undefined) ?? []).map((v) => v.label) : t?.branches;
  if (labels && labels.length) return labels.map((l) => ({ handle: l, target: node.branches?.[l] }));
  if (labels) return [];
  return [{ handle: 'next', target: node.next }, ...(t?.optionalBranches ?? []).map((l) => ({ handle: l, target: node.branches?.[l] }))];
}

export function connect(nodes: ScenarioNode[], source: string, handle: string, target: string | undefined): ScenarioNode[] {
  return nodes.map((n) => {
    if (n.id !== source) return n;
    if (handle === 'next') {
      const { next: _n, ...rest } = n;
      return target ? { ...rest, next: target } : rest;
    }
    const branches = { ...(n.branches ?? {}) };
    if (target) branches[handle] = target;
    else delete branches[handle];
    const { branches: _b, ...rest } = n;
    return Object.keys(branches).length ? { ...rest, branches } : rest;
  });
}

export function newId(nodes: ScenarioNode[], type: string): string {
  const base = type.replace(/^trigger\./, 'start_').replace(/[^a-z0-9_]/gi, '_');
  let i = 1;
  while (nodes.some((n) => n.id === `${base}_${i}`)) i++;
  return `${base}_${i}`;
}

/** Puts `node` on the connection source→target: source now leads to it, it leads on to target. */
export function insertOnEdge(nodes: ScenarioNode[], node: ScenarioNode, source: string, handle: string, target: string, t: NodeType | undefined): ScenarioNode[] {
  const withNode = [...connect(nodes, source, handle, node.id), node];
  const first = outputsOf(node, t)[0];
  return first ? connect(withNode, node.id, first.handle, target) : withNode;
}

/** Removes a node and every connection to it. */
export function removeNode(nodes: ScenarioNode[], id: string): ScenarioNode[] {
  return nodes
    .filter((n) => n.id !== id)
    .map((n) => {
      let m = n;
      if (m.next === id) {
        const { next: _n, ...rest } = m;
        m = rest;
      }
      if (m.branches && Object.values(m.branches).includes(id)) {
        const branches = Object.fromEntries(Object.entries(m.branches).filter(([, v]) => v !== id));
        const { branches: _b, ...rest } = m;
        m = Object.keys(branches).length ? { ...rest, branches } : rest;
      }
      return m;
    });
}

/** Top-to-bottom layout (dagre): triggers on the first row, each step under the one before it. */
export function layout(nodes: ScenarioNode[], types: Map<string, NodeType>): Record<string, { x: number; y: number }> {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'TB', nodesep: 50, ranksep: 70 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of nodes) g.setNode(n.id, { width: NODE_W, height: NODE_H });
  for (const n of nodes) for (const o of outputsOf(n, types.get(n.type))) if (o.target && nodes.some((m) => m.id === o.target)) g.setEdge(n.id, o.target);
  dagre.layout(g);
  const out: Record<string, { x: number; y: number }> = {};
  for (const n of nodes) {
    const p = g.node(n.id);
    out[n.id] = { x: p.x - NODE_W / 2, y: p.y - NODE_H / 2 };
  }
  return out;
}

/** A short line under a node's title: what it is set to do. */
export function summaryOf(n: ScenarioNode): string {
  const c = n.config ?? {};
  switch (n.type) {
    case 'trigger.event':
    case 'wait_event':
      return [c.event, c.timeout && `timeout ${c.timeout}`].filter(Boolean).join(' · ');
    case 'wait':
      return String(c.duration ?? (c.until_time ? `until ${c.until_time}` : ''));
    case 'send':
      return String(c.channel ?? '');
    case 'loyalty_points':
      return c.action ? `${c.action} ${c.points ?? ''}` : '';
    case 'goal':
      return String(c.name ?? '');
    case 'trigger.date':
      return String(c.at ?? '');
    default:
      return isTrigger(n.type) ? '' : '';
  }
}

/** Which node a 422 scenario-invalid fault names: `nodes.3…` (by index), a `node_id`, or a node id in the path. */
export function nodeOfFault(fault: { path: string; message: string; node_id?: string }, nodes: ScenarioNode[]): string | undefined {
  if (fault.node_id) return fault.node_id;
  const p = fault.path.replace(/^body\./, '');
  const m = /^nodes\.(\d+)(\.|$)/.exec(p);
  if (m) return nodes[Number(m[1])]?.id;
  const byId = /^nodes\.([^.]+)/.exec(p);
  if (byId && nodes.some((n) => n.id === byId[1])) return byId[1];
  return nodes.find((n) => fault.message.includes(`"${n.id}"`) || fault.message.includes(` ${n.id} `))?.id;
}
