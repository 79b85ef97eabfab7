import type { AppContext } from '../../context.js';
import { lookup, parsePath } from '../../domain/conditions/compare.js';
import type { Answer, Effect, HistoryEntry, InstanceState, Request, ScenarioDefinition, ScenarioEvent, StepInput } from '../../domain/scenarios/model.js';
import { step } from '../../domain/scenarios/step.js';
import type { Tx } from '../../store/db.js';
import type { StoredEvent } from '../../store/events.js';
import { updateProfile } from '../../store/profiles.js';
import {
  claimDueInstances,
  failInstance,
  insertHistory,
  lockInstance,
  takeInstanceEvents,
  updateInstances,
  type DeliveredEvent,
  type HistoryRow,
  type InstanceUpdate,
} from '../../store/scenario-instances.js';
import type { InstanceRow } from '../../store/scenarios.js';
import { MESSAGE_DELIVERY_TASK, sendBatch, type SendRequest } from '../messaging.js';
import type { WorkTask } from '../work-loop.js';
import { SCENARIO_STEP_TASK } from './launch.js';
import { scenarioRegistry } from './registry.js';
import { answerRequest, CodeBatcher, ConditionFacts } from './world.js';

export const SCENARIO_WEBHOOK_TASK = 'scenario-webhook';
/** Nodes one instance may pass in one step transaction (a loop without a wait is refused at activation). */
const MAX_NODES_PER_STEP = 100;

/** The domain state of an instance row (`state` holds what the row has no column for). */
export function stateOf(row: InstanceRow): InstanceState {
  const extra = (row.state ?? {}) as { awaiting?: InstanceState['awaiting']; pending?: Request | null; goal_reached_at?: string | null; timer?: string };
  return {
    id: row.id,
    profile_id: row.profile_id,
    node_id: row.node_id,
    status: row.status === 'calling' ? 'active' : (row.status as InstanceState['status']),
    data: (row.data ?? {}) as Record<string, unknown>,
    // an event made the instance due early: its own timer is kept aside
    wake_at: extra.timer ? new Date(extra.timer) : row.wake_at ? new Date(row.wake_at) : null,
    entered_at: new Date(row.entered_at),
    awaiting: extra.awaiting ?? null,
    pending: extra.pending ?? null,
    goal_reached_at: extra.goal_reached_at ? new Date(extra.goal_reached_at) : null,
  };
}

export interface StepOutcome {
  update: InstanceUpdate;
  history: HistoryRow[];
  sends: SendRequest[];
  /** True when a webhook call is to be made (the instance is `calling`). */
  calling: boolean;
  profileChanged: boolean;
}

/** Turns `update_profile {set}` into a fields patch: `fields.x` or `x` set field x; a `data.<path>` string value reads the instance data. */
export function profilePatch(set: Record<string, unknown>, data: Record<string, unknown>): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(set)) {
    const key = k.startsWith('fields.') ? k.slice(7) : k;
    let value = v;
    if (typeof v === 'string' && v.startsWith('data.')) {
      const p = parsePath(v.slice(5));
      value = p ? (lookup(data, p) ?? null) : v;
    }
    fields[key] = value;
  }
  return fields;
}

/**
 * Steps one locked instance through every input it has (events delivered to it, then its due wake, or
 * entering its node) until it waits, ends or makes a webhook call, answering the other requests in the
 * transaction. Returns what to write; the caller writes all instances of a batch together.
 */
export async function stepInstance(
  ctx: AppContext,
  tx: Tx,
  def: ScenarioDefinition,
  row: InstanceRow,
  events: DeliveredEvent[],
  now: Date,
  ledgerEvents: StoredEvent[],
  answer?: Answer,
  facts: ConditionFacts = new ConditionFacts(tx, now),
  codes?: CodeBatcher,
): Promise<StepOutcome> {
  let state = stateOf(row);
  const history: HistoryEntry[] = [];
  const effects: Effect[] = [];
  const stepNo = row.steps;
  let calling = false;
  let nodes = 0;
  let profileChanged = false;

  const run = async (input: StepInput | null) => {
    while (input) {
      if (nodes++ >= MAX_NODES_PER_STEP) {
        // more to do: stay due, the next step transaction goes on
        state = { ...state, wake_at: now };
        return;
      }
      const r = step(def, state, input, now);
      history.push(...r.history);
      effects.push(...r.effects);
      const moved = r.state !== state;
      state = r.state;
      input = null;
      // a profile update is written at once, so that a later condition of this same step reads it
      for (const e of r.effects)
        if (e.type === 'update_profile') {
          await updateProfile(tx, row.profile_id, { fields: profilePatch(e.set, state.data) as never }, now);
          facts.forget(row.profile_id);
          profileChanged = true;
        }
      if (r.request) {
        if (r.request.type === 'webhook') {
          calling = true;
          return;
        }
        const who = { instance_id: row.id, profile_id: row.profile_id, node_id: state.node_id, step: stepNo, data: state.data };
        const a = await answerRequest(ctx, tx, r.request, who, now, ledgerEvents, facts, codes);
        if (r.request.type === 'loyalty') facts.forget(row.profile_id);
        input = { kind: 'answer', value: a };
      } else if (state.status === 'active' && moved) input = { kind: 'enter' };
    }
  };

  if (answer) await run({ kind: 'answer', value: answer });
  for (const e of events) {
    if (calling || ['completed', 'exited', 'failed'].includes(state.status)) break;
    const ev: ScenarioEvent = { name: e.name, properties: e.properties, at: new Date(e.occurred_at) };
    await run({ kind: 'event', event: ev });
  }
  if (!calling && state.status === 'waiting' && state.wake_at && state.wake_at.getTime() <= now.getTime()) await run({ kind: 'wake' });
  if (!calling && state.status === 'active' && !state.pending) await run({ kind: 'enter' });

  // effects: sends (written by the caller in one batch), profile updates, goals
  const sends: SendRequest[] = [];
  let goal = false;
  for (const [i, e] of effects.entries()) {
    if (e.type === 'send')
      sends.push({
        profile: row.profile_id,
        template: e.template_id,
        channel: e.channel,
        data: e.data,
        require_subscription: e.require_subscription,
        origin: { scenario_id: row.scenario_id, scenario_version: row.version, node_id: e.node_id, instance_id: row.id, dedupe_key: `scenario:${row.id}:${stepNo}:${i}` },
      });
    else if (e.type === 'goal') goal = true;
  }
  const terminal = ['completed', 'exited', 'failed'].includes(state.status);
  const failedEntry = [...history].reverse().find((h) => h.outcome.startsWith('failed: '));
  const update: InstanceUpdate = {
    id: row.id,
    status: calling ? 'calling' : state.status,
    node_id: state.node_id,
    data: state.data,
    state: {
      awaiting: state.awaiting ?? null,
      pending: state.pending ?? null,
      goal_reached_at: state.goal_reached_at ? state.goal_reached_at.toISOString() : null,
      ...(calling ? { attempts: answer ? 0 : ((row.state as { attempts?: number })?.attempts ?? 0) } : {}),
    },
    wake_at: calling ? now : terminal ? null : state.status === 'active' ? now : state.wake_at,
    goal_reached: goal,
    reason: state.status === 'failed' ? (failedEntry?.outcome.slice(8) ?? 'failed') : state.status === 'exited' ? (row.reason ?? 'exited') : null,
    finished_at: terminal ? now : null,
  };
  return {
    update,
    history: history.map((h) => ({ instance_id: row.id, scenario_id: row.scenario_id, version: row.version, profile_id: row.profile_id, node_id: h.node_id, outcome: h.outcome, at: h.at })),
    sends,
    calling,
    profileChanged,
  };
}

/** Writes a batch of step outcomes: sends in one pipeline call, instances in one UPDATE, history in one INSERT. */
export async function writeOutcomes(ctx: AppContext, tx: Tx, outcomes: StepOutcome[], now: Date): Promise<void> {
  const sends = outcomes.flatMap((o) => o.sends);
  if (sends.length) await sendBatch(ctx, tx, sends);
  await updateInstances(tx, outcomes.map((o) => o.update), now);
  await insertHistory(tx, outcomes.flatMap((o) => o.history));
}

export interface BatchAfter {
  ledgerEvents: StoredEvent[];
  profiles: string[];
  sent: boolean;
  calls: boolean;
}

/** After a committed batch: publish ledger events and profile changes, wake delivery and webhook calls. */
export async function afterCommit(ctx: AppContext, a: BatchAfter): Promise<void> {
  if (a.ledgerEvents.length) ctx.bus.publish('events', a.ledgerEvents);
  if (a.profiles.length) ctx.bus.publish('profiles', a.profiles);
  if (a.sent) await ctx.work.announce(MESSAGE_DELIVERY_TASK);
  if (a.calls) ctx.work.wake(SCENARIO_WEBHOOK_TASK);
}

async function runBatch(ctx: AppContext, tx: Tx, rows: InstanceRow[], now: Date, after: BatchAfter): Promise<void> {
  const registry = scenarioRegistry(ctx);
  const events = await takeInstanceEvents(tx, rows.map((r) => r.id));
  const defs = new Map<string, ScenarioDefinition>();
  for (const row of rows) {
    const key = `${row.scenario_id}:${row.version}`;
    if (defs.has(key)) continue;
    const def = await registry.definition(row.scenario_id, row.version, tx);
    if (!def) throw new Error(`scenario ${row.scenario_id} has no version ${row.version}`);
    defs.set(key, def);
  }
  // what the condition nodes of these definitions read, for every profile of the batch in one query
  const facts = new ConditionFacts(tx, now);
  const trees = [...defs.values()].flatMap((d) => d.nodes.filter((n) => n.type === 'condition' && n.config?.conditions).map((n) => n.config!.conditions));
  facts.prefetch(trees, [...new Set(rows.map((r) => r.profile_id))]);
  // The instances step side by side on the transaction, so that their promo codes are issued together.
  const codes = new CodeBatcher(tx, now, rows.length);
  const settled = await Promise.allSettled(
    rows.map(async (row) => {
      try {
        const def = defs.get(`${row.scenario_id}:${row.version}`)!;
        return await stepInstance(ctx, tx, def, row, events.get(row.id) ?? [], now, after.ledgerEvents, undefined, facts, codes);
      } finally {
        codes.done();
      }
    }),
  );
  const outcomes: StepOutcome[] = [];
  for (const [i, r] of settled.entries()) {
    if (r.status === 'rejected') throw r.reason;
    const o = r.value;
    outcomes.push(o);
    if (o.profileChanged) after.profiles.push(rows[i].profile_id);
    if (o.sends.length) after.sent = true;
    if (o.calling) after.calls = true;
  }
  await writeOutcomes(ctx, tx, outcomes, now);
}

const emptyAfter = (): BatchAfter => ({ ledgerEvents: [], profiles: [], sent: false, calls: false });

/**
 * The due-step task: claims due instances of running scenarios (FOR UPDATE SKIP LOCKED, so workers share
 * them), steps them and writes every effect with the instance advance in ONE transaction, so a crash loses
 * no step and a retried step sends nothing twice (sends carry a dedupe key of instance and step number).
 * When a batch fails, its instances are stepped one transaction each and an instance that fails on its own
 * is marked failed with the reason, so one bad instance never blocks the rest.
 */
export async function stepDueInstances(ctx: AppContext, limit: number, now: Date): Promise<number> {
  const active = await scenarioRegistry(ctx).activeIds();
  if (!active.length) return 0;
  let after = emptyAfter();
  let claimedIds: string[] = [];
  try {
    const n = await ctx.db.transaction().execute(async (tx) => {
      const rows = await claimDueInstances(tx, active, now, limit);
      claimedIds = rows.map((r) => r.id);
      if (rows.length) await runBatch(ctx, tx, rows, now, after);
      return rows.length;
    });
    await afterCommit(ctx, after);
    return n;
  } catch (err) {
    if (!claimedIds.length) throw err;
    ctx.log.warn({ err }, 'scenario step batch failed; stepping its instances one by one');
  }
  for (const id of claimedIds) {
    after = emptyAfter();
    try {
      await ctx.db.transaction().execute(async (tx) => {
        const row = await lockInstance(tx, id);
        if (row && (row.status === 'active' || row.status === 'waiting') && row.wake_at && new Date(row.wake_at) <= now) await runBatch(ctx, tx, [row], now, after);
      });
      await afterCommit(ctx, after);
    } catch (err) {
      await markFailed(ctx, id, (err as Error).message, now);
    }
  }
  return claimedIds.length;
}

async function markFailed(ctx: AppContext, id: string, reason: string, now: Date): Promise<void> {
  await ctx.db.transaction().execute((tx) => failInstance(tx, id, reason, now));
}

export function scenarioStepTask(ctx: AppContext): WorkTask {
  return { name: SCENARIO_STEP_TASK, batchSize: 1_000, idleMs: 100, run: (limit, now) => stepDueInstances(ctx, limit, now) };
}
