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

/** Orders, amounts in minor units; `days_ago` below 0 is an order dated in the future. */
export interface GenOrder {
  profile: number;
  status: string;
  total: number;
  refunded_total: number;
  days_ago: number;
  hour: number;
}
export interface GenMember {
  profile: number;
  program: number;
  balance: number;
  tier: string | null;
}

/** Loyalty programs the random trees name; the tests create them with these ids. */
export const PROGRAM_IDS = ['00000000-0000-7000-8000-0000000000e1', '00000000-0000-7000-8000-0000000000e2'];
export const TIERS = ['Silver', 'Gold', 'Platinum'];
export const ORDER_STATUSES = ['new', 'paid', 'delivered', 'canceled', 'part_refunded', 'refunded'];

export const orderArb = (profiles: number) =>
  fc
    .record({
      profile: fc.integer({ min: 0, max: profiles - 1 }),
      status: fc.constantFrom(...ORDER_STATUSES),
      total: fc.oneof(fc.integer({ min: 0, max: 30_000 }), fc.constantFrom(0, 5000, 10_000)),
      refunded: fc.integer({ min: 0, max: 100 }),
      days_ago: fc.oneof(fc.integer({ min: -1, max: 400 }), fc.integer({ min: 0, max: 40 })),
      hour: fc.integer({ min: 0, max: 23 }),
    })
    .map(({ refunded, ...o }): GenOrder => ({ ...o, refunded_total: o.status === 'part_refunded' || o.status === 'refunded' ? Math.floor((o.total * refunded) / 100) : 0 }));

const memberArb = (profiles: number) =>
  fc.record({
    profile: fc.integer({ min: 0, max: profiles - 1 }),
    program: fc.integer({ min: 0, max: PROGRAM_IDS.length - 1 }),
    balance: fc.oneof(fc.integer({ min: 0, max: 2000 }), fc.constantFrom(0, 500, 1000)),
    tier: fc.option(fc.constantFrom(...TIERS), { nil: null }),
  });

export const dataArb = (profiles: number, maxEvents: number, maxOrders = 0, maxMembers = 0) =>
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
        { minLength: Math.floor(maxEvents / 2), maxLength: maxEvents, size: 'max' },
      ),
      fc.array(orderArb(profiles), { minLength: Math.floor(maxOrders / 2), maxLength: maxOrders, size: 'max' }),
      fc.uniqueArray(memberArb(profiles), { minLength: Math.floor(maxMembers / 3), maxLength: maxMembers, size: 'max', selector: (m) => `${m.profile}|${m.program}` }),
    )
    .map(([ps, events, orders, members]) => ({
      profiles: ps.map((p, i): GenProfile => ({ ...p, email: p.email ? `${i}.${p.email}` : null, external_id: `p${i}` })),
      events: events as GenEvent[],
      orders: orders as GenOrder[],
      members: members as GenMember[],
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

export const eventLeafArb = fc.record(
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

const amountBound = fc.oneof(
  fc.record({ gte: fc.integer({ min: 0, max: 400 }) }),
  fc.record({ lt: fc.integer({ min: 0, max: 40_000 }).map((n) => n / 100) }),
  fc.record({ eq: fc.constant(0) }),
  fc.record({ lte: fc.integer({ min: 0, max: 300 }) }),
  fc.record({ gt: fc.integer({ min: 0, max: 30_000 }).map((n) => n / 100) }),
);
const countBound = fc.oneof(
  fc.record({ gte: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ eq: fc.integer({ min: 0, max: 2 }) }),
  fc.record({ lte: fc.integer({ min: 0, max: 2 }) }),
  fc.record({ gt: fc.integer({ min: 0, max: 2 }) }),
);

export const ordersLeafArb = fc.record({
  orders: fc.record({ count: countBound, total_spent: amountBound, within: fc.constantFrom('P7D', 'P30D', 'P90D', 'P1Y') }, { requiredKeys: [] }),
});

export const loyaltyLeafArb = fc.record({
  loyalty: fc.oneof(
    fc.record({ program_id: fc.constantFrom(...PROGRAM_IDS), member: fc.boolean() }),
    fc.record({ program_id: fc.constantFrom(...PROGRAM_IDS), balance: countBound.map((b) => Object.fromEntries(Object.entries(b).map(([k, v]) => [k, v * 500]))) }),
    fc.record({ program_id: fc.constantFrom(...PROGRAM_IDS), tier: fc.oneof(fc.constantFrom(...TIERS), fc.subarray(TIERS, { minLength: 1 })) }),
    fc.record({ program_id: fc.constantFrom(...PROGRAM_IDS), member: fc.constant(true), balance: fc.record({ gte: fc.integer({ min: 0, max: 1500 }) }), tier: fc.constantFrom(...TIERS) }),
  ),
});

const scores = fc.subarray([1, 2, 3, 4, 5], { minLength: 1, maxLength: 4 });
export const rfmLeafArb = fc.record({ rfm: fc.record({ r: scores, f: scores, m: scores }, { requiredKeys: [] }) }).filter((l) => Object.keys(l.rfm).length > 0);

/** Random trees; with `commerce`, also over orders, loyalty (programs of PROGRAM_IDS) and RFM. */
export function treeArb(segmentIds: string[] = [], opts: { commerce?: boolean } = {}): fc.Arbitrary<ConditionNode> {
  const leaves: fc.WeightedArbitrary<ConditionNode>[] = [
    { arbitrary: fieldLeafArb, weight: 5 },
    { arbitrary: eventLeafArb, weight: 3 },
    { arbitrary: subscriptionLeafArb, weight: 1 },
  ];
  if (segmentIds.length) leaves.push({ arbitrary: fc.constantFrom(...segmentIds).map((segment) => ({ segment })), weight: 1 });
  if (opts.commerce)
    leaves.push({ arbitrary: ordersLeafArb, weight: 3 }, { arbitrary: loyaltyLeafArb, weight: 2 }, { arbitrary: rfmLeafArb, weight: 2 });
  const leaf: fc.Arbitrary<ConditionNode> = fc.oneof(...leaves);
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
