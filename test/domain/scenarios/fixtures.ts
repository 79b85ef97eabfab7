import { evaluateScenarioConditions, type SimulationResult, type SimulationWorld } from '../../../src/domain/scenarios/index.js';
import type { ProfileFacts } from '../../../src/domain/segments/leaves.js';
import type { InstanceState, ScenarioDefinition, ScenarioNode, ScenarioSettings } from '../../../src/domain/scenarios/index.js';

export const T0 = new Date('2026-03-02T09:00:00Z');

export function def(nodes: ScenarioNode[], settings: Partial<ScenarioSettings> = {}): ScenarioDefinition {
  return { settings: { reentry: 'new_instance', ...settings }, nodes };
}

export function instance(node_id: string, over: Partial<InstanceState> = {}): InstanceState {
  return {
    id: 'inst-1',
    profile_id: 'p-1',
    node_id,
    status: 'active',
    data: {},
    wake_at: null,
    entered_at: T0,
    awaiting: null,
    pending: null,
    ...over,
  };
}

export const api = (next?: string): ScenarioNode => ({ id: 'start', type: 'trigger.api', ...(next ? { next } : {}) });
export const send = (id: string, next?: string, template = 'tpl-1'): ScenarioNode => ({
  id,
  type: 'send',
  config: { channel: 'email', template_id: template, require_subscription: true },
  ...(next ? { next } : {}),
});
export const ev = (name: string, properties: Record<string, unknown> = {}, at = T0) => ({ name, properties, at });


/** A world that evaluates conditions with the real scenario condition language on in-memory facts. */
export function factsWorld(
  opts: { fields?: Record<string, unknown>; phone?: string | null; rfm?: { r: number; f: number; m: number } | null; loyalty?: Record<string, unknown> } = {},
  extra: Partial<SimulationWorld> = {},
): SimulationWorld {
  const facts: ProfileFacts = {
    profile: {
      id: 'p-1',
      email: 'p1@example.com',
      phone: opts.phone ?? null,
      external_id: null,
      fields: opts.fields ?? {},
      subscriptions: { email: 'subscribed' },
      created_at: T0,
      updated_at: T0,
    },
    events: [],
    staticSegments: new Set(),
    rfm: opts.rfm ?? null,
  };
  return {
    evaluate: (conditions, data, at) => evaluateScenarioConditions(conditions, { segment: { now: at, facts, segment: () => undefined }, data, loyalty: opts.loyalty }),
    ...extra,
  };
}

/** The trace as `node:outcome` strings. */
export const path = (r: SimulationResult) => r.trace.map((t) => `${t.node_id}:${t.outcome}`);
export const sends = (r: SimulationResult) => r.effects.filter((e) => e.type === 'send').map((e) => (e as { template_id: string }).template_id);
export const later = (ms: number) => new Date(T0.getTime() + ms);
export const MIN = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;
