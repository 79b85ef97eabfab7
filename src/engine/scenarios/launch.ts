import type { AppContext } from '../../context.js';
import { holdoutOf } from '../../domain/scenarios/assign.js';
import { reentryDecision } from '../../domain/scenarios/matching.js';
import type { ScenarioDefinition, ScenarioNode } from '../../domain/scenarios/model.js';
import type { Tx } from '../../store/db.js';
import { newId } from '../../store/ids.js';
import { endInstances, insertHistory, insertInstances, instancesOfProfiles, lockLaunches, LIVE_STATUSES, type HistoryRow, type NewInstance } from '../../store/scenario-instances.js';
import { getScenario, type ScenarioRow } from '../../store/scenarios.js';
import { scenarioRegistry } from './registry.js';

export const SCENARIO_STEP_TASK = 'scenario-step';
export const MAX_LAUNCH_BATCH = 10_000;
const CHUNK = 1_000;

export type SkipReason = 'reentry-once' | 'reentry-ignore' | 'not-active' | 'holdout' | 'max-active' | 'no-start-node';

export interface Launch {
  profile_id: string;
  data?: Record<string, unknown>;
}

export interface LaunchResult {
  instance_id?: string;
  skipped?: SkipReason;
}

/** The start node an API launch enters at: the scenario's `trigger.api` node, else its first start node. */
export function apiStartNode(def: ScenarioDefinition): ScenarioNode | undefined {
  return def.nodes.find((n) => n.type === 'trigger.api') ?? def.nodes.find((n) => n.type.startsWith('trigger.'));
}

/**
 * Starts instances at a start node, in chunks of one transaction each. Per (scenario, profile) an advisory
 * lock serialises the reentry rule and `max_active_per_profile` with the insert, so two launches for one
 * profile never both enter. A profile in the holdout group is recorded as an instance that exited at once
 * (counted, never messaged). Entered instances are due at once; the step task takes them.
 */
export async function launchInstances(
  ctx: AppContext,
  scenarioId: string,
  launches: Launch[],
  opts: { node?: (def: ScenarioDefinition) => ScenarioNode | undefined; tx?: Tx; scenario?: ScenarioRow } = {},
): Promise<LaunchResult[]> {
  const out: LaunchResult[] = [];
  const run = async (tx: Tx, chunk: Launch[]) => out.push(...(await launchChunk(ctx, tx, scenarioId, chunk, opts)));
  for (let i = 0; i < launches.length; i += CHUNK) {
    const chunk = launches.slice(i, i + CHUNK);
    if (opts.tx) await run(opts.tx, chunk);
    else await ctx.db.transaction().execute((tx) => run(tx, chunk));
  }
  // In the caller's transaction the caller announces after its commit (a worker woken earlier would see nothing).
  if (!opts.tx && out.some((r) => r.instance_id && !r.skipped)) await ctx.work.announce(SCENARIO_STEP_TASK);
  return out;
}

async function launchChunk(
  ctx: AppContext,
  tx: Tx,
  scenarioId: string,
  launches: Launch[],
  opts: { node?: (def: ScenarioDefinition) => ScenarioNode | undefined; scenario?: ScenarioRow },
): Promise<LaunchResult[]> {
  const now = ctx.clock.now();
  const s = opts.scenario ?? (await getScenario(tx, scenarioId));
  if (!s || s.status !== 'active' || !s.live_version) return launches.map(() => ({ skipped: 'not-active' }));
  const version = s.live_version;
  const def = await scenarioRegistry(ctx).definition(s.id, version, tx);
  const start = def && (opts.node ?? apiStartNode)(def);
  if (!def || !start) return launches.map(() => ({ skipped: 'no-start-node' }));
  const settings = def.settings;
  const profileIds = launches.map((l) => l.profile_id);
  await lockLaunches(tx, s.id, profileIds);
  const existing = await instancesOfProfiles(tx, s.id, [...new Set(profileIds)]);
  const byProfile = new Map<string, { live: string[]; ever: boolean }>();
  for (const e of existing) {
    const b = byProfile.get(e.profile_id) ?? { live: [], ever: false };
    if (!e.holdout) b.ever = true;
    if ((LIVE_STATUSES as readonly string[]).includes(e.status)) b.live.push(e.id);
    byProfile.set(e.profile_id, b);
  }
  const rows: NewInstance[] = [];
  const history: HistoryRow[] = [];
  const toEnd: string[] = [];
  const results: LaunchResult[] = [];
  for (const l of launches) {
    const b = byProfile.get(l.profile_id) ?? { live: [], ever: false };
    byProfile.set(l.profile_id, b);
    const held = holdoutOf(l.profile_id, s.id, settings.holdout_percent ?? 0);
    const decision = reentryDecision(settings.reentry, { active: b.live.length, ever: b.ever }, settings.max_active_per_profile);
    if (decision === 'reentry-once' || decision === 'reentry-ignore' || decision === 'max-active') {
      results.push({ skipped: decision });
      continue;
    }
    if (decision === 'restart') {
      toEnd.push(...b.live);
      b.live = [];
    }
    const id = newId();
    const base = { id, scenario_id: s.id, version, profile_id: l.profile_id, node_id: start.id, data: l.data ?? {}, state: {}, entered_at: now };
    if (held) {
      rows.push({ ...base, status: 'exited', wake_at: null, holdout: true, reason: 'holdout', finished_at: now });
      history.push({ instance_id: id, scenario_id: s.id, version, profile_id: l.profile_id, node_id: start.id, outcome: 'exited: holdout', at: now });
      results.push({ instance_id: id, skipped: 'holdout' });
      continue;
    }
    rows.push({ ...base, status: 'active', wake_at: now, holdout: false, reason: null, finished_at: null });
    b.live.push(id);
    b.ever = true;
    results.push({ instance_id: id });
  }
  if (toEnd.length) {
    const ended = await endInstances(tx, toEnd, 'exited', 'restart', now);
    history.push(...ended.map((e) => ({ instance_id: e.id, scenario_id: e.scenario_id, version: e.version, profile_id: e.profile_id, node_id: e.node_id, outcome: 'exited: restarted', at: now })));
  }
  await insertInstances(tx, rows);
  await insertHistory(tx, history);
  return results;
}
