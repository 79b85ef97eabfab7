/**
 * The scenario graph: nodes, settings, instance state and what one step of an instance
 * asks of the world (requests) or writes (effects). Pure data; the step function is in step.ts.
 */

export const START_TYPES = [
  'trigger.event',
  'trigger.api',
  'trigger.date',
  'trigger.schedule',
  'trigger.segment_entry',
  'trigger.field_date',
] as const;

export const STEP_TYPES = [
  'send',
  'wait',
  'wait_event',
  'condition',
  'split',
  'promo_code',
  'loyalty_points',
  'update_profile',
  'webhook',
  'goal',
  'exit',
] as const;

export type StartType = (typeof START_TYPES)[number];
export type StepType = (typeof STEP_TYPES)[number];
export type NodeType = StartType | StepType;

export interface ScenarioNode {
  id: string;
  type: string;
  config?: Record<string, unknown>;
  next?: string;
  branches?: Record<string, string>;
}

export type ReentryMode = 'once' | 'ignore' | 'restart' | 'new_instance';

export interface EventRule {
  event: string;
  where?: unknown;
}

export interface ScenarioSettings {
  reentry: ReentryMode;
  exit_on?: EventRule[];
  goal?: { event: string; where?: unknown; within?: string };
  max_active_per_profile?: number;
  timezone?: string;
  holdout_percent?: number;
}

export interface ScenarioDefinition {
  settings: ScenarioSettings;
  nodes: ScenarioNode[];
}

export type InstanceStatus = 'active' | 'waiting' | 'completed' | 'exited' | 'failed';

export interface Awaiting {
  event: string;
  where?: unknown;
  /** event path (e.g. "properties.cart_id") → value already resolved from the instance data */
  match?: Record<string, unknown>;
}

export interface InstanceState {
  id: string;
  profile_id: string;
  node_id: string;
  status: InstanceStatus;
  data: Record<string, unknown>;
  /** when a wait / wait_event timeout comes due */
  wake_at: Date | null;
  /** instance start (goal window) */
  entered_at: Date;
  /** wait_event: what the instance waits for */
  awaiting?: Awaiting | null;
  /** a request the node made and awaits an answer for */
  pending?: Request | null;
  /** when the scenario goal (settings.goal) was reached; a goal counts once per instance */
  goal_reached_at?: Date | null;
}

export interface ScenarioEvent {
  name: string;
  properties: Record<string, unknown>;
  at: Date;
}

export type StepInput =
  /** the instance arrived at state.node_id */
  | { kind: 'enter' }
  /** wake_at came due */
  | { kind: 'wake' }
  | { kind: 'event'; event: ScenarioEvent }
  /** the answer to state.pending */
  | { kind: 'answer'; value: Answer };

/** What a node needs from the outside world. The runtime and the simulator answer them. */
export type Request =
  /** condition node → {type:'evaluate', result} */
  | { type: 'evaluate'; conditions: unknown; data: Record<string, unknown> }
  /** → {type:'issue_code', code, expires_at} | {type:'failed', reason} */
  | { type: 'issue_code'; pool_id: string }
  /** → {type:'loyalty', transaction_id, points} | failed */
  | {
      type: 'loyalty';
      program_id: string;
      action: 'accrue' | 'redeem';
      points: number | null;
      promotion_id?: string;
      expires_in?: string;
    }
  /** → {type:'webhook', status, body} | failed */
  | { type: 'webhook'; url: string; method: string; body: unknown };

export type Answer =
  | { type: 'evaluate'; result: boolean }
  | { type: 'issue_code'; code: string; expires_at: string | null }
  | { type: 'loyalty'; transaction_id: string; points: number }
  | { type: 'webhook'; status: number; body: unknown }
  | { type: 'failed'; reason: string };

/** Fire-and-forget writes the runtime performs in the step's transaction. */
export type Effect =
  | {
      type: 'send';
      node_id: string;
      channel?: string;
      template_id: string;
      require_subscription: boolean;
      data: Record<string, unknown>;
    }
  | { type: 'update_profile'; set: Record<string, unknown> }
  | { type: 'goal'; name: string };

/** outcome e.g. 'entered','passed','waiting','branch:yes','timeout','received','failed: <reason>','exited','completed' */
export interface HistoryEntry {
  node_id: string;
  at: Date;
  outcome: string;
}

export interface StepResult {
  state: InstanceState;
  effects: Effect[];
  history: HistoryEntry[];
  request?: Request | null;
}

/** What advance() returns: the steps' results, and whether the instance can go on at once. */
export interface AdvanceResult extends StepResult {
  /** true when the step limit stopped an instance that could go on: call advance again with {kind:'enter'} */
  more: boolean;
  steps: number;
}

export interface Fault {
  node_id?: string;
  path: string;
  message: string;
}

/** Ids the validator checks node references against, when given. */
export interface ScenarioRefs {
  templates?: Set<string>;
  pools?: Set<string>;
  segments?: Set<string>;
  programs?: Set<string>;
  promotions?: Set<string>;
}

export type ReentryDecision = 'enter' | 'restart' | 'reentry-once' | 'reentry-ignore' | 'max-active';

export function isStartType(type: string): type is StartType {
  return (START_TYPES as readonly string[]).includes(type);
}

export function isStepType(type: string): type is StepType {
  return (STEP_TYPES as readonly string[]).includes(type);
}
