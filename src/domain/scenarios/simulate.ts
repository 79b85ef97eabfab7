import { addDuration } from '../duration.js';
import { advance, isTerminal, type Answerer } from './step.js';
import { startNodes } from './matching.js';
import type { Answer, Effect, InstanceState, InstanceStatus, Request, ScenarioDefinition, StepInput } from './model.js';

/**
 * A dry run of one profile through a scenario on a virtual clock: the same step/advance as the runtime,
 * with requests answered in memory by a `world` and nothing written. The clock jumps to whichever comes
 * first, the instance's wake_at or the next given event (an event at the same instant as a timeout
 * counts first), until `until` after the start (default P30D) or the instance ends. Events before the
 * start are ignored.
 */

export interface SimulationInput {
  profile: { id: string; fields?: Record<string, unknown>; [k: string]: unknown };
  data?: Record<string, unknown>;
  events?: { at: Date | string; name: string; properties?: Record<string, unknown> }[];
  /** duration from the start; default P30D */
  until?: string;
  /** the start node to enter at; default the first trigger.api, else the first start node */
  start_node?: string;
  /** instance id used for splits; default `sim:<profile id>` */
  instance_id?: string;
}

export interface SimulationWorld {
  evaluate(conditions: unknown, data: Record<string, unknown>, at: Date): boolean;
  issueCode?(pool_id: string, at: Date): Answer;
  loyalty?(request: Extract<Request, { type: 'loyalty' }>, at: Date): Answer;
  webhook?(request: Extract<Request, { type: 'webhook' }>, at: Date): Answer;
}

export interface TraceEntry {
  at: Date;
  node_id: string;
  outcome: string;
}

export interface SimulationResult {
  trace: TraceEntry[];
  /** what the run would have written, in order */
  effects: (Effect & { at: Date })[];
  status: InstanceStatus;
  node_id: string;
  data: Record<string, unknown>;
}

/** Nodes a simulation may step through in total before it is stopped (a guard; valid graphs wait). */
export const SIMULATION_MAX_STEPS = 10_000;

function worldAnswerer(world: SimulationWorld): Answerer {
  let txn = 0;
  return (req, _state, now) => {
    switch (req.type) {
      case 'evaluate':
        return { type: 'evaluate', result: world.evaluate(req.conditions, req.data, now) };
      case 'issue_code':
        return world.issueCode?.(req.pool_id, now) ?? { type: 'issue_code', code: `SIM-${req.pool_id}`, expires_at: null };
      case 'loyalty':
        return world.loyalty?.(req, now) ?? { type: 'loyalty', transaction_id: `sim-txn-${++txn}`, points: req.points ?? 0 };
      case 'webhook':
        return world.webhook?.(req, now) ?? { type: 'webhook', status: 200, body: {} };
    }
  };
}

export function simulate(def: ScenarioDefinition, input: SimulationInput, world: SimulationWorld, start: Date): SimulationResult {
  const starts = startNodes(def);
  const first = input.start_node ?? (starts.find((n) => n.type === 'trigger.api') ?? starts[0])?.id;
  if (!first) throw new Error('the scenario has no start node');
  const end = addDuration(start, input.until ?? 'P30D');
  const events = (input.events ?? [])
    .map((e) => ({ name: e.name, properties: e.properties ?? {}, at: new Date(e.at) }))
    .filter((e) => e.at.getTime() >= start.getTime() && e.at.getTime() <= end.getTime())
    .sort((a, b) => a.at.getTime() - b.at.getTime());
  const answerer = worldAnswerer(world);
  const trace: TraceEntry[] = [];
  const effects: (Effect & { at: Date })[] = [];
  let state: InstanceState = {
    id: input.instance_id ?? `sim:${input.profile.id}`,
    profile_id: input.profile.id,
    node_id: first,
    status: 'active',
    data: { ...(input.data ?? {}) },
    wake_at: null,
    entered_at: start,
    awaiting: null,
    pending: null,
    goal_reached_at: null,
  };
  let steps = 0;
  const run = (inp: StepInput, at: Date) => {
    let next: StepInput | null = inp;
    while (next) {
      const r = advance(def, state, next, at, answerer, SIMULATION_MAX_STEPS - steps);
      steps += r.steps;
      state = r.state;
      trace.push(...r.history);
      effects.push(...r.effects.map((e) => ({ ...e, at })));
      next = null;
      if (r.more) next = { kind: 'enter' };
      if (steps >= SIMULATION_MAX_STEPS && !isTerminal(state)) {
        trace.push({ at, node_id: state.node_id, outcome: `failed: more than ${SIMULATION_MAX_STEPS} steps` });
        state = { ...state, status: 'failed' };
        return;
      }
    }
  };
  run({ kind: 'enter' }, start);
  let ei = 0;
  while (!isTerminal(state)) {
    if (state.status !== 'waiting') break; // a request the world left unanswered
    const wake = state.wake_at;
    const ev = events[ei];
    if (ev && (!wake || ev.at.getTime() <= wake.getTime())) {
      ei++;
      run({ kind: 'event', event: ev }, ev.at);
    } else if (wake && wake.getTime() <= end.getTime()) {
      run({ kind: 'wake' }, wake);
    } else break;
  }
  return { trace, effects, status: state.status, node_id: state.node_id, data: state.data };
}
