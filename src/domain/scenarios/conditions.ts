import { lookup } from '../conditions/compare.js';
import { fieldLeaf, type FieldSource } from '../conditions/field.js';
import { ConditionLanguage, type ConditionNode, type Fault, type LeafKind } from '../conditions/tree.js';
import { profileFieldSources, segmentLanguage, type SegmentEvalContext } from '../segments/leaves.js';

/**
 * The language of `condition` nodes: every segment condition (profile fields, events, subscriptions,
 * orders, loyalty, RFM, segment references) plus `{field: "data.<path>"}` (the instance's data),
 * `{field: "loyalty.<path>"}` (the profile's loyalty state, e.g. `loyalty.balance`) and
 * `{field: "order.<path>"}` (the order that started or was last seen by the instance).
 */
export interface ScenarioConditionContext {
  /** The segment context of the profile (its facts and the clock). */
  segment: SegmentEvalContext;
  data: Record<string, unknown>;
  loyalty?: Record<string, unknown>;
  order?: Record<string, unknown>;
}

const scenarioFieldSources: FieldSource<ScenarioConditionContext>[] = [
  ...profileFieldSources.map(
    (s): FieldSource<ScenarioConditionContext> => ({ ...s, get: (ctx, path) => s.get(ctx.segment, path) }),
  ),
  { name: 'data', nested: true, dependency: 'data', get: (ctx, path) => lookup(ctx.data, path) },
  { name: 'loyalty', nested: true, dependency: 'loyalty', get: (ctx, path) => lookup(ctx.loyalty ?? {}, path) },
  { name: 'order', nested: true, dependency: 'order', get: (ctx, path) => lookup(ctx.order ?? {}, path) },
];

/** A segment leaf kind used as is, on the segment part of the scenario context. */
function delegated(key: string): LeafKind<ScenarioConditionContext> {
  const kind = () => {
    const k = segmentLanguage.kindOf({ [key]: true });
    if (!k) throw new Error(`segment language has no ${key} condition`);
    return k;
  };
  return {
    key,
    validate: (leaf) => kind().validate(leaf),
    evaluate: (leaf, ctx) => kind().evaluate(leaf, ctx.segment),
    dependencies: (leaf) => kind().dependencies?.(leaf) ?? [],
    timeRelative: (leaf) => kind().timeRelative?.(leaf) ?? false,
  };
}

export const scenarioConditionLanguage = new ConditionLanguage<ScenarioConditionContext>([
  fieldLeaf(scenarioFieldSources, (ctx) => ctx.segment.now),
  ...segmentLanguage
    .keys()
    .filter((k) => k !== 'field')
    .map(delegated),
]);

/** Every fault of a `condition` node's tree (paths under `base`). */
export function validateScenarioConditions(tree: unknown, base = 'conditions'): Fault[] {
  const r = scenarioConditionLanguage.validate(tree, base);
  return [...r.errors, ...r.unavailable];
}

/** Evaluates a tree that validated. */
export function evaluateScenarioConditions(tree: unknown, ctx: ScenarioConditionContext): boolean {
  return scenarioConditionLanguage.evaluate(tree as ConditionNode, ctx);
}
