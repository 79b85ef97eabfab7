import type { ConditionNode } from '../../domain/conditions/tree.js';
import { evaluateScenarioConditions } from '../../domain/scenarios/conditions.js';
import type { ScenarioDefinition } from '../../domain/scenarios/model.js';
import { simulate, type SimulationResult } from '../../domain/scenarios/simulate.js';
import { factsNeeded } from '../../domain/segments/facts-needed.js';
import type { ProfileFacts, SegmentRef } from '../../domain/segments/leaves.js';
import type { Executor } from '../../store/db.js';
import type { Profile } from '../../store/profiles.js';
import { loadEvaluationState, referencedSegments } from '../../store/segments.js';
import { loyaltyOf, orderOf, segmentPart } from './world.js';

export interface SimulationRequest {
  data?: Record<string, unknown>;
  events?: { at: string; name: string; properties?: Record<string, unknown> }[];
  until?: string;
  start_node?: string;
}

/**
 * A dry run of one profile on a virtual clock starting now: the domain simulator with a world that reads
 * the database (the profile's facts, segments, loyalty state, loaded once) and writes nothing; conditions
 * are evaluated in memory, codes, points and webhooks answered with placeholders, nothing is sent.
 */
export async function simulateScenario(ex: Executor, def: ScenarioDefinition, profile: Profile, req: SimulationRequest, now: Date): Promise<SimulationResult> {
  const trees = def.nodes.filter((n) => n.type === 'condition' && n.config?.conditions).map((n) => n.config!.conditions as ConditionNode);
  const segments = new Map<string, SegmentRef>();
  for (const t of trees) for (const [id, s] of await referencedSegments(ex, segmentPart(t))) segments.set(id, s);
  const all = new Map(segments);
  trees.forEach((t, i) => all.set(`condition-${i}`, { type: 'dynamic', conditions: segmentPart(t) }));
  const needs = factsNeeded(trees.map((_, i) => `condition-${i}`), all, now);
  const state = (await loadEvaluationState(ex, [profile.id], needs, (id) => segments.get(id)?.type === 'static')).get(profile.id);
  const facts: ProfileFacts = state?.facts ?? {
    profile: { ...profile, created_at: new Date(profile.created_at), updated_at: new Date(profile.updated_at) } as ProfileFacts['profile'],
    events: [],
    staticSegments: new Set(),
    orders: [],
    loyalty: [],
    rfm: null,
  };
  const loyalty = await loyaltyOf(ex, profile.id);
  return simulate(
    def,
    { profile: { id: profile.id, fields: profile.fields }, data: req.data, events: req.events, until: req.until, start_node: req.start_node },
    {
      evaluate: (conditions, data, at) =>
        evaluateScenarioConditions(conditions, { segment: { now: at, facts, segment: (id) => segments.get(id) }, data, loyalty, order: orderOf(data) }),
    },
    now,
  );
}
