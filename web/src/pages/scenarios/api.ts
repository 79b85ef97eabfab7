import { api, type Page } from '../../api/client';

export interface ScenarioNode {
  id: string;
  type: string;
  config?: Record<string, unknown>;
  next?: string;
  branches?: Record<string, string>;
}

export interface ScenarioSettings {
  reentry: 'once' | 'ignore' | 'restart' | 'new_instance';
  exit_on?: { event: string; where?: Record<string, unknown> }[];
  goal?: { event: string; where?: Record<string, unknown>; within?: string };
  max_active_per_profile?: number;
  timezone?: string;
  holdout_percent?: number;
}

export interface Scenario {
  id: string;
  name: string;
  description?: string | null;
  status: 'draft' | 'active' | 'paused' | 'stopped';
  version: number;
  settings: ScenarioSettings;
  nodes: ScenarioNode[];
  created_at?: string;
  updated_at?: string;
  /** Canvas positions, kept by the editor when the server stores them. */
  layout?: Record<string, { x: number; y: number }>;
}

export interface NodeStats {
  entered: number;
  passed: number;
  waiting: number;
  failed: number;
  branches?: Record<string, number>;
}

export interface ScenarioStats {
  entered: number;
  active: number;
  completed: number;
  exited: number;
  goals: number;
  nodes: Record<string, NodeStats>;
}

export interface TraceStep {
  at: string;
  node_id: string;
  outcome: string;
}

export interface ScenarioTemplate {
  id?: string;
  /** The classic's stable name (`abandoned_cart`). */
  key?: string;
  name: string;
  description?: string;
  settings?: ScenarioSettings;
  nodes: ScenarioNode[];
  /** Message templates the nodes name as `tpl:<key>`, created with the scenario. */
  sample_templates?: { key: string; name: string; channel: string; subject?: string | null }[];
  /** Placeholders of pools, programs, segments and promotions to pick (`pool:cart_discount`). */
  placeholders?: string[];
}

export const listScenarios = (signal?: AbortSignal) => api.get<Page<Scenario>>('/scenarios', { limit: 1000 }, signal);
