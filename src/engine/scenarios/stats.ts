import type { Executor } from '../../store/db.js';
import { instanceCounts, nodeCounts } from '../../store/scenario-instances.js';

export interface NodeStats {
  entered: number;
  passed: number;
  waiting: number;
  failed: number;
  branches: Record<string, number>;
}

/**
 * Exact stats of a scenario (one version or all), read by SQL from the instances and their history:
 * instances by status; per node, from the history outcomes the step function writes — `entered` counts
 * arrivals (a start node's `entered`, every other node's final outcome or its `waiting`), `passed` the
 * visits that went on (`passed`, a branch, `received`, `timeout`), `failed` the failures, `branches` per
 * label (`received`/`timeout` of a wait_event are its branches), `waiting` the instances there now.
 */
export async function scenarioStats(ex: Executor, scenarioId: string, version?: number) {
  const counts = await instanceCounts(ex, scenarioId, version);
  const { outcomes, waiting } = await nodeCounts(ex, scenarioId, version);
  const nodes: Record<string, NodeStats> = {};
  const of = (id: string) => (nodes[id] ??= { entered: 0, passed: 0, waiting: 0, failed: 0, branches: {} });
  const waitedAt = new Map<string, number>();
  for (const o of outcomes) {
    const n = of(o.node_id);
    const out = o.outcome;
    if (out === 'entered') n.entered += o.n;
    else if (out === 'waiting') waitedAt.set(o.node_id, (waitedAt.get(o.node_id) ?? 0) + o.n);
    else if (out === 'passed') n.passed += o.n;
    else if (out.startsWith('branch:')) {
      const label = out.slice(7).split(' ')[0];
      n.passed += o.n;
      n.branches[label] = (n.branches[label] ?? 0) + o.n;
    } else if (out === 'received' || out === 'timeout') {
      n.passed += o.n;
      n.branches[out] = (n.branches[out] ?? 0) + o.n;
    } else if (out.startsWith('failed')) n.failed += o.n;
  }
  // arrivals at step nodes: a node that holds the instance writes `waiting` first, then its outcome
  for (const [id, n] of Object.entries(nodes)) {
    if (n.entered) continue;
    n.entered = waitedAt.get(id) ?? n.passed + n.failed + exitsAt(outcomes, id);
  }
  for (const w of waiting) of(w.node_id).waiting = w.n;
  return {
    ...(version !== undefined ? { version } : {}),
    entered: counts.entered,
    active: counts.active,
    completed: counts.completed,
    exited: counts.exited,
    failed: counts.failed,
    goals: counts.goals,
    holdout: counts.holdout,
    nodes,
  };
}

function exitsAt(outcomes: { node_id: string; outcome: string; n: number }[], id: string): number {
  return outcomes.filter((o) => o.node_id === id && o.outcome === 'exited').reduce((s, o) => s + o.n, 0);
}
