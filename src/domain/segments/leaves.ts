import { lookup } from '../conditions/compare.js';
import { countHolds, parseCountBound, type CountBound } from '../conditions/count.js';
import { fieldLeaf, type FieldSource } from '../conditions/field.js';
import { ConditionLanguage, isPlainObject, type ConditionNode, type Fault, type LeafKind, type LeafNode } from '../conditions/tree.js';
import { parseWhere, whereMatches, type PropertyFilter } from '../conditions/where.js';
import { isUuid } from '../profiles/ref.js';
import { CHANNELS, SUBSCRIPTION_STATUSES } from '../profiles/subscriptions.js';
import { cached, faultsOf, parseWithin, windowStart } from './leaf-support.js';
import { loyaltyKind, type LoyaltyFact } from './loyalty-leaf.js';
import { ordersKind, type OrderFact } from './orders-leaf.js';
import { rfmKind, type RfmFact } from './rfm-leaf.js';

export { windowStart };

/** What the in-memory evaluator knows about one profile. */
export interface ProfileFacts {
  profile: {
    id: string;
    email: string | null;
    phone: string | null;
    external_id: string | null;
    fields: Record<string, unknown>;
    subscriptions: Record<string, string>;
    created_at: Date;
    updated_at: Date;
  };
  /** The profile's events (at least those of the names the tree asks about). */
  events: { name: string; properties: Record<string, unknown>; occurred_at: Date }[];
  /** Static segments the profile is a member of. */
  staticSegments: ReadonlySet<string>;
  /** The profile's orders (needed by `{orders}` conditions; absent means none). */
  orders?: OrderFact[];
  /** The profile's loyalty memberships (needed by `{loyalty}`; absent means none). */
  loyalty?: LoyaltyFact[];
  /** The profile's stored RFM scores (needed by `{rfm}`; absent or null means no score). */
  rfm?: RfmFact | null;
}

export interface SegmentRef {
  type: 'dynamic' | 'static';
  conditions: ConditionNode | null;
}

export interface SegmentEvalContext {
  now: Date;
  facts: ProfileFacts;
  /** Looks a referenced segment up (its tree for a dynamic one). */
  segment(id: string): SegmentRef | undefined;
}

/** Profile columns a `{field: …}` leaf may name besides `fields.<name>`. */
export const SYSTEM_FIELDS = ['email', 'phone', 'external_id', 'created_at', 'updated_at'] as const;
export type SystemField = (typeof SYSTEM_FIELDS)[number];

export const profileFieldSources: FieldSource<SegmentEvalContext>[] = [
  { name: 'fields', nested: true, dependency: 'profile', get: (ctx, path) => lookup(ctx.facts.profile.fields, path) },
  ...SYSTEM_FIELDS.map(
    (name): FieldSource<SegmentEvalContext> => ({
      name,
      nested: false,
      dependency: 'profile',
      get: (ctx) => {
        const v = ctx.facts.profile[name];
        return v instanceof Date ? v.toISOString() : v;
      },
    }),
  ),
];

export interface EventCondition {
  name: string;
  where: PropertyFilter[];
  count: CountBound;
  within: string | null;
}

const EVENT_KEYS = new Set(['event', 'where', 'count', 'within']);
export const DEFAULT_COUNT: CountBound = { op: 'gte', value: 1 };

export function parseEventLeaf(leaf: LeafNode): EventCondition | Fault[] {
  const faults: Fault[] = [];
  for (const k of Object.keys(leaf)) if (!EVENT_KEYS.has(k)) faults.push({ path: k, message: 'is not a known field of an event condition (event, where, count, within)' });
  if (typeof leaf.event !== 'string' || leaf.event.length < 1 || leaf.event.length > 200)
    faults.push({ path: 'event', message: 'must be an event name of 1 to 200 characters' });
  let where: PropertyFilter[] = [];
  if (leaf.where !== undefined) {
    const w = parseWhere(leaf.where);
    if (w.length && 'message' in w[0]) faults.push(...(w as Fault[]));
    else where = w as PropertyFilter[];
  }
  let count = DEFAULT_COUNT;
  if (leaf.count !== undefined) {
    const c = parseCountBound(leaf.count, 'count');
    if (Array.isArray(c)) faults.push(...c);
    else count = c;
  }
  const within = parseWithin(leaf.within, 'within', faults);
  return faults.length ? faults : { name: leaf.event as string, where, count, within };
}

export interface SubscriptionCondition {
  channel: string;
  statuses: string[];
}

export function parseSubscriptionLeaf(leaf: LeafNode): SubscriptionCondition | Fault[] {
  const faults: Fault[] = [];
  for (const k of Object.keys(leaf)) if (k !== 'subscription') faults.push({ path: k, message: 'is not allowed in a subscription condition' });
  const s = leaf.subscription;
  if (!isPlainObject(s)) return [...faults, { path: 'subscription', message: 'must be {channel, status}' }];
  for (const k of Object.keys(s)) if (k !== 'channel' && k !== 'status') faults.push({ path: `subscription.${k}`, message: 'is not a known field (channel, status)' });
  if (typeof s.channel !== 'string' || !(CHANNELS as readonly string[]).includes(s.channel))
    faults.push({ path: 'subscription.channel', message: `must be one of ${CHANNELS.join(', ')}` });
  const statuses = Array.isArray(s.status) ? s.status : [s.status];
  if (!statuses.length || !statuses.every((x) => typeof x === 'string' && (SUBSCRIPTION_STATUSES as readonly string[]).includes(x)))
    faults.push({ path: 'subscription.status', message: `must be one of ${SUBSCRIPTION_STATUSES.join(', ')} (or an array of them)` });
  return faults.length ? faults : { channel: s.channel as string, statuses: [...new Set(statuses as string[])] };
}

export function parseSegmentLeaf(leaf: LeafNode): string | Fault[] {
  const faults: Fault[] = [];
  for (const k of Object.keys(leaf)) if (k !== 'segment') faults.push({ path: k, message: 'is not allowed in a segment condition' });
  if (typeof leaf.segment !== 'string' || !isUuid(leaf.segment)) faults.push({ path: 'segment', message: 'must be a segment id (UUID)' });
  return faults.length ? faults : (leaf.segment as string).toLowerCase();
}

export const eventCondition = cached(parseEventLeaf);
export const subscriptionCondition = cached(parseSubscriptionLeaf);
export const segmentReference = cached(parseSegmentLeaf);

const eventKind: LeafKind<SegmentEvalContext> = {
  key: 'event',
  validate: (leaf) => faultsOf(parseEventLeaf(leaf)),
  evaluate(leaf, ctx) {
    const c = eventCondition(leaf);
    const from = c.within ? windowStart(c.within, ctx.now).getTime() : null;
    let n = 0;
    for (const e of ctx.facts.events) {
      if (e.name !== c.name) continue;
      if (from !== null && e.occurred_at.getTime() < from) continue;
      if (!whereMatches(c.where, e.properties, ctx.now)) continue;
      n++;
    }
    return countHolds(c.count, n);
  },
  dependencies: (leaf) => [`event:${eventCondition(leaf).name}`],
  timeRelative: (leaf) => {
    const c = eventCondition(leaf);
    return c.within !== null || c.where.some((w) => 'type' in w.comparison && w.comparison.type === 'date');
  },
};

const subscriptionKind: LeafKind<SegmentEvalContext> = {
  key: 'subscription',
  validate: (leaf) => faultsOf(parseSubscriptionLeaf(leaf)),
  evaluate(leaf, ctx) {
    const c = subscriptionCondition(leaf);
    const status = ctx.facts.profile.subscriptions[c.channel];
    return typeof status === 'string' && c.statuses.includes(status);
  },
  dependencies: () => ['profile'],
};

const MAX_REFERENCE_DEPTH = 16;

function segmentKind(language: () => ConditionLanguage<SegmentEvalContext>): LeafKind<SegmentEvalContext> {
  let depth = 0;
  return {
    key: 'segment',
    validate: (leaf) => faultsOf(parseSegmentLeaf(leaf)),
    evaluate(leaf, ctx) {
      const id = segmentReference(leaf);
      const seg = ctx.segment(id);
      if (!seg) return false;
      if (seg.type === 'static' || !seg.conditions) return ctx.facts.staticSegments.has(id);
      if (depth >= MAX_REFERENCE_DEPTH) throw new Error('segment references nest too deep');
      depth++;
      try {
        return language().evaluate(seg.conditions, ctx);
      } finally {
        depth--;
      }
    },
    dependencies: (leaf) => [`segment:${segmentReference(leaf)}`],
  };
}

/** Leaf kinds whose data lives in modules this installation does not have (none: every kind of API.md is here). */
export const UNAVAILABLE_LEAVES: Record<string, string> = {};

/** The segment condition language: profile fields, events, subscriptions, orders, loyalty, RFM and segment references. */
export const segmentLanguage: ConditionLanguage<SegmentEvalContext> = new ConditionLanguage<SegmentEvalContext>(
  [fieldLeaf(profileFieldSources, (ctx) => ctx.now), eventKind, subscriptionKind, ordersKind, loyaltyKind, rfmKind, segmentKind(() => segmentLanguage)],
  UNAVAILABLE_LEAVES,
);

/** The segment ids a tree names directly. */
export function referencedSegments(tree: ConditionNode): string[] {
  const out = new Set<string>();
  for (const { leaf, kind } of segmentLanguage.leaves(tree)) if (kind?.key === 'segment') out.add(segmentReference(leaf));
  return [...out];
}
