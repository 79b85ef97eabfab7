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
