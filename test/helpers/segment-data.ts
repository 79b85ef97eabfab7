import fc from 'fast-check';
import type { ConditionNode } from '../../src/domain/conditions/tree.js';

/**
 * Random profiles, events and condition trees over small shared alphabets, so that random trees often
 * match some profiles and not others. Used by the domain property tests and the SQL differential tests.
 */
export const NOW = new Date('2026-03-01T09:00:00.000Z');
const DAY = 86_400_000;

export const CITIES = ['Berlin', 'Paris', 'Rome', 'berlin', 'Ber'];
export const TAGS = ['vip', 'new', 'b2b'];
export const EVENT_NAMES = ['view', 'buy', 'cart'];
const dateAround = (days: number) => new Date(NOW.getTime() + days * DAY).toISOString().slice(0, 10);

const fieldValue = fc.oneof(
  fc.constantFrom(...CITIES),
  fc.integer({ min: -5, max: 120 }),
  fc.constantFrom(true, false),
  fc.constant(null),
  fc.integer({ min: -400, max: 400 }).map(dateAround),
  fc.integer({ min: -400, max: 400 }).map((d) => `${dateAround(d)}T12:30:00Z`),
  fc.subarray(TAGS),
  fc.constant({ nested: 'x' }),
);

export const fieldsArb = fc.record(
  {
    city: fc.oneof(fc.constantFrom(...CITIES), fieldValue),
    age: fc.oneof(fc.integer({ min: 10, max: 90 }), fieldValue),
    birthday: fc.oneof(fc.integer({ min: -40 * 365, max: -10 * 365 }).map(dateAround), fc.integer({ min: -10, max: 10 }).map((d) => dateAround(d - 30 * 365))),
    tags: fc.oneof(fc.subarray(TAGS), fieldValue),
    address: fc.record({ city: fc.constantFrom(...CITIES), zip: fc.integer({ min: 1000, max: 1010 }) }, { requiredKeys: [] }),
    vip: fc.boolean(),
  },
  { requiredKeys: [] },
);

export interface GenProfile {
  email: string | null;
  external_id: string;
  fields: Record<string, unknown>;
  subscriptions: Record<string, string>;
  created_days_ago: number;
}
export interface GenEvent {
  profile: number;
  name: string;
  properties: Record<string, unknown>;
  days_ago: number;
}

const subsArb = fc.record(
  { email: fc.constantFrom('subscribed', 'unsubscribed', 'pending', 'suppressed'), sms: fc.constantFrom('subscribed', 'unsubscribed') },
  { requiredKeys: [] },
);

export const dataArb = (profiles: number, maxEvents: number) =>
  fc
    .tuple(
      fc.array(
        fc.record({
          email: fc.option(fc.constantFrom('a@x.io', 'b@y.io', 'c@x.io'), { nil: null }),
          fields: fieldsArb,
          subscriptions: subsArb,
          created_days_ago: fc.integer({ min: 0, max: 60 }),
        }),
        { minLength: profiles, maxLength: profiles },
      ),
      fc.array(
        fc.record({
          profile: fc.integer({ min: 0, max: profiles - 1 }),
          name: fc.constantFrom(...EVENT_NAMES),
          properties: fc.record({ amount: fc.oneof(fc.integer({ min: 0, max: 200 }), fc.constant('12')), category: fc.constantFrom('shoes', 'hats') }, { requiredKeys: [] }),
          days_ago: fc.integer({ min: -2, max: 90 }),
        }),
        { maxLength: maxEvents },
      ),
    )
    .map(([ps, events]) => ({
      profiles: ps.map((p, i): GenProfile => ({ ...p, email: p.email ? `${i}.${p.email}` : null, external_id: `p${i}` })),
      events: events as GenEvent[],
    }));

const rel = fc.oneof(
  fc.integer({ min: -400, max: 400 }).map(dateAround),
  fc.integer({ min: 0, max: 40 }).map((d) => ({ ago: `P${d}D` })),
  fc.integer({ min: 0, max: 40 }).map((d) => ({ in: `P${d}D` })),
);
const scalar = fc.oneof(fc.constantFrom(...CITIES, ...TAGS), fc.integer({ min: 0, max: 100 }), fc.boolean());
const fieldName = fc.constantFrom('fields.city', 'fields.age', 'fields.birthday', 'fields.tags', 'fields.address.city', 'fields.address.zip', 'fields.vip', 'fields.missing', 'email', 'created_at');

const fieldLeafArb = fc.oneof(
  fc.record({ field: fieldName, op: fc.constantFrom('eq', 'neq'), value: scalar }),
  fc.record({ field: fieldName, op: fc.constantFrom('eq', 'neq'), value: rel, ignore_year: fc.boolean() }),
  fc.record({ field: fieldName, op: fc.constant('in'), value: fc.array(scalar, { minLength: 1, maxLength: 3 }) }),
  fc.record({ field: fieldName, op: fc.constant('contains'), value: fc.oneof(scalar, fc.constantFrom('er', 'x.io', '')) }),
  fc.record({ field: fieldName, op: fc.constantFrom('gt', 'gte', 'lt', 'lte'), value: fc.integer({ min: 0, max: 100 }) }),
  fc.record({ field: fieldName, op: fc.constantFrom('gt', 'gte', 'lt', 'lte'), value: rel, ignore_year: fc.boolean() }),
  fc.record({ field: fieldName, op: fc.constant('between'), value: fc.tuple(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 20, max: 100 })) }),
  fc.record({ field: fieldName, op: fc.constant('between'), value: fc.tuple(rel, rel), ignore_year: fc.boolean() }),
  fc.record({ field: fieldName, op: fc.constant('exists'), value: fc.boolean() }),
);

const whereArb = fc.record(
  {
    amount: fc.oneof(fc.integer({ min: 0, max: 200 }), fc.record({ gte: fc.integer({ min: 0, max: 200 }) }), fc.record({ lt: fc.integer({ min: 0, max: 200 }) })),
    category: fc.oneof(fc.constantFrom('shoes', 'hats'), fc.constant(['shoes', 'socks'])),
  },
  { requiredKeys: [] },
);

const eventLeafArb = fc.record(
  {
    event: fc.constantFrom(...EVENT_NAMES),
    where: whereArb,
    count: fc.oneof(
      fc.record({ gte: fc.integer({ min: 0, max: 3 }) }),
      fc.record({ eq: fc.integer({ min: 0, max: 2 }) }),
      fc.record({ lte: fc.integer({ min: 0, max: 2 }) }),
      fc.record({ lt: fc.integer({ min: 0, max: 2 }) }),
      fc.record({ gt: fc.integer({ min: 0, max: 2 }) }),
    ),
    within: fc.constantFrom('P7D', 'P30D', 'PT12H', 'P1M'),
  },
  { requiredKeys: ['event'] },
);

const subscriptionLeafArb = fc.record({
  subscription: fc.record({
    channel: fc.constantFrom('email', 'sms', 'push'),
    status: fc.oneof(fc.constantFrom('subscribed', 'unsubscribed', 'pending'), fc.constant(['subscribed', 'pending'])),
  }),
});

export function treeArb(segmentIds: string[] = []): fc.Arbitrary<ConditionNode> {
  const leaf: fc.Arbitrary<ConditionNode> = segmentIds.length
    ? fc.oneof({ arbitrary: fieldLeafArb, weight: 5 }, { arbitrary: eventLeafArb, weight: 3 }, { arbitrary: subscriptionLeafArb, weight: 1 }, {
        arbitrary: fc.constantFrom(...segmentIds).map((segment) => ({ segment })),
        weight: 1,
      })
    : fc.oneof({ arbitrary: fieldLeafArb, weight: 5 }, { arbitrary: eventLeafArb, weight: 3 }, { arbitrary: subscriptionLeafArb, weight: 1 });
  const { tree } = fc.letrec<{ tree: ConditionNode }>((tie) => ({
    tree: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.array(tie('tree'), { minLength: 1, maxLength: 3 }).map((all) => ({ all })),
      fc.array(tie('tree'), { minLength: 1, maxLength: 3 }).map((any) => ({ any })),
      tie('tree').map((not) => ({ not })),
    ),
  }));
  return tree;
}
