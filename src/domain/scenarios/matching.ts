import { addDuration } from '../duration.js';
import { lookup, parsePath } from '../conditions/compare.js';
import { parseWhere, whereMatches, type PropertyFilter } from '../conditions/where.js';
import { isStartType, type Awaiting, type ReentryDecision, type ReentryMode, type ScenarioDefinition, type ScenarioEvent, type ScenarioNode, type ScenarioSettings } from './model.js';

/**
 * Which events start, resume, end or convert an instance, and whether a profile may enter again.
 * `where` filters are the event-property filters of conditions/where.ts.
 */

const whereCache = new WeakMap<object, PropertyFilter[] | null>();

/** The parsed filters of a `where` (absent: no filter); null when it does not parse. */
export function whereFilters(where: unknown): PropertyFilter[] | null {
  if (where === undefined || where === null) return [];
  if (typeof where === 'object') {
    const hit = whereCache.get(where);
    if (hit !== undefined) return hit;
  }
  const r = parseWhere(where);
  const out = r.length && 'message' in r[0] ? null : (r as PropertyFilter[]);
  if (typeof where === 'object') whereCache.set(where, out);
  return out;
}

function ruleMatches(rule: { event: string; where?: unknown }, event: ScenarioEvent): boolean {
  if (rule.event !== event.name) return false;
  const f = whereFilters(rule.where);
  return f !== null && whereMatches(f, event.properties ?? {}, event.at);
}

export function startNodes(def: ScenarioDefinition): ScenarioNode[] {
  return def.nodes.filter((n) => isStartType(n.type));
}

/**
 * True when the event starts an instance at this `trigger.event` node (name and `where` match).
 * The instance's data are then the event's properties (see dataFromEvent).
 */
export function eventMatchesStart(node: ScenarioNode, event: ScenarioEvent): boolean {
  if (node.type !== 'trigger.event') return false;
  const name = node.config?.event;
  return typeof name === 'string' && ruleMatches({ event: name, where: node.config?.where }, event);
}

/** The data an instance started by an event carries: the event's properties. */
export function dataFromEvent(event: ScenarioEvent): Record<string, unknown> {
  return { ...(event.properties ?? {}) };
}

/** Two matched values are equal when identical, or when one is the number the other spells. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const scalar = (v: unknown) => typeof v === 'string' || typeof v === 'number';
  if (scalar(a) && scalar(b)) return String(a) === String(b);
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') return JSON.stringify(a) === JSON.stringify(b);
  return false;
}

/**
 * Resolves a wait_event `match` (`{"properties.cart_id": "data.cart_id"}`) against the instance data:
 * each value that names `data.<path>` is replaced by that value (undefined when the data lack it; such an
 * entry then never matches); `instance.id` is the waiting instance's id (messages a scenario sends carry
 * it as `properties.instance_id` in message_opened / message_clicked); any other value is compared literally.
 */
export function resolveMatch(match: unknown, data: Record<string, unknown>, instanceId?: string): Record<string, unknown> | undefined {
  if (!match || typeof match !== 'object') return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(match as Record<string, unknown>)) {
    if (typeof v === 'string' && v.startsWith('data.')) {
      const p = parsePath(v.slice(5));
      out[k] = p ? lookup(data, p) : undefined;
    } else if (v === 'instance.id') out[k] = instanceId;
    else out[k] = v;
  }
  return out;
}

/** An event path of a `match` key: `properties.x.y` or `name`; a bare `x` means `properties.x`. */
export function eventPath(key: string): string[] | null {
  const p = parsePath(key);
  if (!p) return null;
  if (p[0] === 'properties' || (p.length === 1 && p[0] === 'name')) return p;
  return ['properties', ...p];
}

/** True when the event is the one a waiting instance awaits (name, `where` and every `match` entry). */
export function eventMatchesAwait(awaiting: Awaiting | null | undefined, event: ScenarioEvent): boolean {
  if (!awaiting || !ruleMatches(awaiting, event)) return false;
  for (const [key, expected] of Object.entries(awaiting.match ?? {})) {
    if (expected === undefined || expected === null) return false;
    const p = eventPath(key);
    if (!p || !sameValue(lookup({ name: event.name, properties: event.properties ?? {} }, p), expected)) return false;
  }
  return true;
}

/** True when the event ends instances of the scenario (settings.exit_on). */
export function exitOnMatches(settings: ScenarioSettings, event: ScenarioEvent): boolean {
  return (settings.exit_on ?? []).some((r) => ruleMatches(r, event));
}

/** True when the event reaches the scenario's goal within the window counted from the instance start. */
export function goalMatches(settings: ScenarioSettings, event: ScenarioEvent, enteredAt: Date, now: Date): boolean {
  const goal = settings.goal;
  if (!goal || !ruleMatches(goal, event)) return false;
  const at = event.at ?? now;
  if (at.getTime() < enteredAt.getTime()) return false;
  if (goal.within) {
    const end = addDuration(enteredAt, goal.within);
    if (at.getTime() > end.getTime() || now.getTime() > end.getTime()) return false;
  }
  return true;
}

/**
 * Whether a profile enters again: `once` never re-enters, `ignore` skips while an instance is running,
 * `restart` ends the running instance(s) and starts anew, `new_instance` runs side by side up to
 * `max_active_per_profile` (`max-active` when that many are running).
 */
export function reentryDecision(mode: ReentryMode, existing: { active: number; ever: boolean }, maxActive?: number): ReentryDecision {
  const ever = existing.ever || existing.active > 0;
  switch (mode) {
    case 'once':
      return ever ? 'reentry-once' : 'enter';
    case 'ignore':
      return existing.active > 0 ? 'reentry-ignore' : 'enter';
    case 'restart':
      return existing.active > 0 ? 'restart' : 'enter';
    case 'new_instance':
      return maxActive !== undefined && maxActive > 0 && existing.active >= maxActive ? 'max-active' : 'enter';
  }
}
