import { addDuration } from '../duration.js';
import { splitOf, type SplitVariant } from './assign.js';
import { eventMatchesAwait, exitOnMatches, goalMatches, resolveMatch } from './matching.js';
import {
  isStartType,
  type AdvanceResult,
  type Answer,
  type Effect,
  type HistoryEntry,
  type InstanceState,
  type Request,
  type ScenarioDefinition,
  type ScenarioNode,
  type StepInput,
  type StepResult,
} from './model.js';
import { DEFAULT_TIMEZONE, nextTimeOfDay } from './time.js';

/**
 * The step function: one node of one instance. Pure: (definition, state, input, now) → new state, the
 * effects to write in the same transaction, history entries and at most one request for the world.
 *
 * History: arriving at a start node writes `entered`; every visit of a step node writes one final outcome
 * (`passed`, `branch:<label>`, `received`, `timeout`, `failed: <reason>`, `exited`), preceded by `waiting`
 * when the node holds the instance (wait, wait_event). A node whose outcome has no target ends the
 * instance: a `completed` entry follows on the same node. A settings goal writes `goal: <event>`; an
 * exit_on event writes `exited`.
 *
 * Data written by answered requests: promo_code sets `data.promo_code` and `data.promo_code_expires_at`;
 * loyalty_points sets `data.loyalty_transaction_id` and `data.loyalty_points`; webhook sets
 * `data.webhook = {status, body}`.
 *
 * A received wait_event stores the event as `data.event = {name, properties}`.
 *
 * Inputs that do not apply (an answer with nothing pending, a wake before wake_at, any input to an ended
 * instance) return the state unchanged with no effects, so a repeated delivery is harmless.
 */

const TERMINAL = new Set(['completed', 'exited', 'failed']);

export function isTerminal(state: InstanceState): boolean {
  return TERMINAL.has(state.status);
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function nodeOf(def: ScenarioDefinition, id: string): ScenarioNode | undefined {
  return def.nodes.find((n) => n.id === id);
}

class Stepper {
  effects: Effect[] = [];
  history: HistoryEntry[] = [];
  request: Request | null = null;
  constructor(
    public state: InstanceState,
    private now: Date,
  ) {}

  log(node_id: string, outcome: string) {
    this.history.push({ node_id, at: this.now, outcome });
  }

  /** Moves to a target, or completes the instance when there is none. */
  go(from: string, target: string | undefined) {
    const base = { ...this.state, wake_at: null, awaiting: null, pending: null };
    if (target === undefined) {
      this.state = { ...base, status: 'completed' };
      this.log(from, 'completed');
    } else this.state = { ...base, node_id: target, status: 'active' };
  }

  pass(node: ScenarioNode, outcome = 'passed') {
    this.log(node.id, outcome);
    this.go(node.id, node.next);
  }

  branch(node: ScenarioNode, label: string, outcome = `branch:${label}`) {
    this.log(node.id, outcome);
    this.go(node.id, node.branches?.[label]);
  }

  fail(node_id: string, reason: string) {
    this.log(node_id, `failed: ${reason}`);
    this.state = { ...this.state, status: 'failed', wake_at: null, awaiting: null, pending: null };
  }

  ask(req: Request) {
    this.request = req;
    this.state = { ...this.state, status: 'active', pending: req };
  }

  result(): StepResult {
    return { state: this.state, effects: this.effects, history: this.history, request: this.request };
  }
}

function enter(def: ScenarioDefinition, node: ScenarioNode, s: Stepper, now: Date) {
  const c = node.config ?? {};
  const data = s.state.data;
  if (isStartType(node.type)) {
    s.log(node.id, 'entered');
    s.go(node.id, node.next);
    return;
  }
  switch (node.type) {
    case 'send':
      s.effects.push({
        type: 'send',
        node_id: node.id,
        ...(str(c.channel) ? { channel: str(c.channel) } : {}),
        template_id: String(c.template_id),
        require_subscription: c.require_subscription !== false,
        data: { ...data },
      });
      s.pass(node);
      return;
    case 'wait': {
      const wake_at =
        typeof c.duration === 'string'
          ? addDuration(now, c.duration)
          : nextTimeOfDay(String(c.until_time), def.settings.timezone ?? DEFAULT_TIMEZONE, now);
      s.state = { ...s.state, status: 'waiting', wake_at };
      s.log(node.id, 'waiting');
      return;
    }
    case 'wait_event': {
      const awaiting = {
        event: String(c.event),
        ...(c.where !== undefined ? { where: c.where } : {}),
        ...(c.match !== undefined ? { match: resolveMatch(c.match, data, s.state.id) } : {}),
      };
      s.state = { ...s.state, status: 'waiting', wake_at: addDuration(now, String(c.timeout)), awaiting };
      s.log(node.id, 'waiting');
      return;
    }
    case 'condition':
      s.ask({ type: 'evaluate', conditions: c.conditions, data: { ...data } });
      return;
    case 'split':
      s.branch(node, splitOf(s.state.id, node.id, (c.variants ?? []) as SplitVariant[]));
      return;
    case 'promo_code':
      s.ask({ type: 'issue_code', pool_id: String(c.pool_id) });
      return;
    case 'loyalty_points':
      s.ask({
        type: 'loyalty',
        program_id: String(c.program_id),
        action: c.action === 'redeem' ? 'redeem' : 'accrue',
        points: typeof c.points === 'number' ? c.points : null,
        ...(str(c.promotion_id) ? { promotion_id: str(c.promotion_id) } : {}),
        ...(str(c.expires_in) ? { expires_in: str(c.expires_in) } : {}),
      });
      return;
    case 'webhook':
      s.ask({ type: 'webhook', url: String(c.url), method: str(c.method) ?? 'POST', body: c.body ?? { data } });
      return;
    case 'update_profile':
      s.effects.push({ type: 'update_profile', set: { ...((c.set ?? {}) as Record<string, unknown>) } });
      s.pass(node);
      return;
    case 'goal':
      s.effects.push({ type: 'goal', name: str(c.name) ?? node.id });
      s.pass(node);
      return;
    case 'exit':
      s.log(node.id, 'exited');
      s.state = { ...s.state, status: 'exited', wake_at: null, awaiting: null, pending: null };
      return;
    default:
      s.fail(node.id, `unknown node type ${node.type}`);
  }
}

function answer(node: ScenarioNode, s: Stepper, value: Answer) {
  const pending = s.state.pending!;
  if (value.type === 'failed') {
    if (node.type === 'condition') return s.fail(node.id, value.reason);
    if (node.branches?.failed !== undefined) return s.branch(node, 'failed', `branch:failed (${value.reason})`);
    return s.fail(node.id, value.reason);
  }
  if (value.type !== pending.type) return s.fail(node.id, `answer ${value.type} does not answer ${pending.type}`);
  const data = { ...s.state.data };
  switch (value.type) {
    case 'evaluate':
      s.state = { ...s.state, pending: null };
      return s.branch(node, value.result ? 'yes' : 'no');
    case 'issue_code':
      data.promo_code = value.code;
      data.promo_code_expires_at = value.expires_at;
      break;
    case 'loyalty':
      data.loyalty_transaction_id = value.transaction_id;
      data.loyalty_points = value.points;
      break;
    case 'webhook':
      data.webhook = { status: value.status, body: value.body };
      break;
  }
  s.state = { ...s.state, data };
  s.pass(node);
}

/** One step of an instance at state.node_id. */
export function step(def: ScenarioDefinition, state: InstanceState, input: StepInput, now: Date): StepResult {
  const s = new Stepper(state, now);
  if (isTerminal(state)) return s.result();
  const node = nodeOf(def, state.node_id);

  if (input.kind === 'event') {
    const ev = input.event;
    if (!state.goal_reached_at && goalMatches(def.settings, ev, state.entered_at, now)) {
      s.state = { ...s.state, goal_reached_at: now };
      s.effects.push({ type: 'goal', name: def.settings.goal!.event });
      s.log(state.node_id, `goal: ${def.settings.goal!.event}`);
    }
    if (exitOnMatches(def.settings, ev)) {
      s.log(state.node_id, 'exited');
      s.state = { ...s.state, status: 'exited', wake_at: null, awaiting: null, pending: null };
      return s.result();
    }
    if (node?.type === 'wait_event' && state.status === 'waiting' && eventMatchesAwait(state.awaiting, ev)) {
      s.state = { ...s.state, data: { ...s.state.data, event: { name: ev.name, properties: ev.properties } } };
      s.branch(node, 'received', 'received');
    }
    return s.result();
  }

  if (!node) {
    s.fail(state.node_id, `unknown node ${state.node_id}`);
    return s.result();
  }

  if (input.kind === 'enter') {
    if (state.status !== 'active' || state.pending) return s.result();
    enter(def, node, s, now);
  } else if (input.kind === 'wake') {
    if (state.status !== 'waiting' || !state.wake_at || state.wake_at.getTime() > now.getTime()) return s.result();
    if (node.type === 'wait') s.pass(node);
    else if (node.type === 'wait_event') s.branch(node, 'timeout', 'timeout');
  } else if (input.kind === 'answer') {
    if (!state.pending) return s.result();
    answer(node, s, input.value);
  }
  return s.result();
}

/** Answers a request inline (e.g. the simulator's world); undefined leaves it for the caller. */
export type Answerer = (request: Request, state: InstanceState, now: Date) => Answer | undefined;

export const DEFAULT_MAX_STEPS = 100;

/**
 * Steps an instance until it waits, ends, makes a request nobody answers inline, or `maxSteps` nodes
 * were done (then `more` is true). Effects and history of all steps are returned together.
 */
export function advance(
  def: ScenarioDefinition,
  state: InstanceState,
  input: StepInput,
  now: Date,
  answerer?: Answerer,
  maxSteps = DEFAULT_MAX_STEPS,
): AdvanceResult {
  const effects: Effect[] = [];
  const history: HistoryEntry[] = [];
  let next: StepInput | null = input;
  let steps = 0;
  let request: Request | null = null;
  while (next && steps < maxSteps) {
    const r = step(def, state, next, now);
    steps++;
    effects.push(...r.effects);
    history.push(...r.history);
    const moved = r.state !== state;
    state = r.state;
    next = null;
    request = r.request ?? null;
    if (request) {
      const a = steps < maxSteps ? answerer?.(request, state, now) : undefined;
      if (a) {
        next = { kind: 'answer', value: a };
        request = null;
      }
    } else if (state.status === 'active' && moved) next = { kind: 'enter' };
  }
  const more = next !== null && state.status === 'active';
  return { state, effects, history, request, more, steps };
}
