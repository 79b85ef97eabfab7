import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ConditionNode } from '../../src/domain/conditions/tree.js';
import { factsNeeded } from '../../src/domain/segments/facts-needed.js';
import { changesOfEvent, dependencyIndex } from '../../src/domain/segments/index-of-dependencies.js';
import { segmentLanguage, type ProfileFacts, type SegmentEvalContext } from '../../src/domain/segments/leaves.js';
import { loyaltyPrograms } from '../../src/domain/segments/loyalty-leaf.js';
import type { OrderFact } from '../../src/domain/segments/orders-leaf.js';
import { loyaltyLeafArb, NOW, ordersLeafArb, PROGRAM_IDS, rfmLeafArb } from '../helpers/segment-data.js';

const DAY = 86_400_000;
const P1 = PROGRAM_IDS[0];
const P2 = PROGRAM_IDS[1];

function facts(over: Partial<ProfileFacts> = {}): ProfileFacts {
  return {
    profile: {
      id: '00000000-0000-7000-8000-000000000001',
      email: 'ann@example.com',
      phone: null,
      external_id: null,
      fields: {},
      subscriptions: {},
      created_at: NOW,
      updated_at: NOW,
    },
    events: [],
    staticSegments: new Set(),
    ...over,
  };
}
const order = (days: number, total: number, status = 'paid', refunded = 0): OrderFact => ({ status, total, refunded_total: refunded, created_at: new Date(NOW.getTime() - days * DAY) });
const ctx = (f: ProfileFacts): SegmentEvalContext => ({ now: NOW, facts: f, segment: () => undefined });

function holds(tree: unknown, f: ProfileFacts): boolean {
  const v = segmentLanguage.validate(tree);
  expect(v).toEqual({ errors: [], unavailable: [] });
  return segmentLanguage.evaluate(tree as ConditionNode, ctx(f));
}

describe('orders, loyalty and rfm conditions: validation', () => {
  it('names every fault with its path', () => {
    const v = segmentLanguage.validate({
      all: [
        { orders: { count: { gte: -1 }, total_spent: { gte: 10.005 }, within: 'a month', colour: 1 } },
        { orders: { total_spent: { between: 1 } }, extra: true },
        { orders: 'many' },
        { loyalty: { program_id: 'club', balance: { gte: 1.5 }, tier: [] } },
        { loyalty: { program_id: P1 } },
        { loyalty: { program_id: P1, member: false, tier: 'Gold' } },
        { loyalty: { program_id: P1, member: 'yes', points: 3 } },
        { rfm: { r: [0, 6], f: [], x: [1] } },
        { rfm: {} },
        { rfm: { m: [2.5] } },
      ],
    });
    expect(v.unavailable).toEqual([]);
    expect(v.errors.map((e) => e.path)).toEqual([
      'conditions.all.0.orders.colour',
      'conditions.all.0.orders.count.gte',
      'conditions.all.0.orders.total_spent.gte',
      'conditions.all.0.orders.within',
      'conditions.all.1.extra',
      'conditions.all.1.orders.total_spent',
      'conditions.all.2.orders',
      'conditions.all.3.loyalty.program_id',
      'conditions.all.3.loyalty.balance.gte',
      'conditions.all.3.loyalty.tier',
      'conditions.all.4.loyalty',
      'conditions.all.5.loyalty.member',
      'conditions.all.6.loyalty.points',
      'conditions.all.6.loyalty.member',
      'conditions.all.7.rfm.x',
      'conditions.all.7.rfm.r.0',
      'conditions.all.7.rfm.r.1',
      'conditions.all.7.rfm.f',
      'conditions.all.8.rfm',
      'conditions.all.9.rfm.m.0',
    ]);
    for (const e of v.errors) expect(e.message.length).toBeGreaterThan(5);
  });

  it('accepts every generated orders, loyalty and rfm leaf', () => {
    fc.assert(
      fc.property(fc.oneof(ordersLeafArb, loyaltyLeafArb, rfmLeafArb), (leaf) => {
        expect(segmentLanguage.validate(leaf)).toEqual({ errors: [], unavailable: [] });
      }),
    );
  });
});

describe('orders conditions', () => {
  const f = facts({ orders: [order(2, 5000), order(10, 3000, 'part_refunded', 1000), order(40, 9999), order(5, 100_000, 'canceled'), order(3, 7000, 'refunded', 7000)] });

  it('counts orders that are not canceled nor fully refunded, and their money net of refunds in major units', () => {
    expect(holds({ orders: {} }, f)).toBe(true);
    expect(holds({ orders: {} }, facts())).toBe(false);
    expect(holds({ orders: { count: { eq: 3 } } }, f)).toBe(true);
    expect(holds({ orders: { total_spent: { eq: 169.99 } } }, f)).toBe(true);
    expect(holds({ orders: { total_spent: { gt: 169.99 } } }, f)).toBe(false);
    expect(holds({ orders: { count: { gte: 2 }, within: 'P30D' } }, f)).toBe(true);
    expect(holds({ orders: { total_spent: { gte: 70 }, within: 'P30D' } }, f)).toBe(true);
    expect(holds({ orders: { total_spent: { gte: 70.01 }, within: 'P30D' } }, f)).toBe(false);
    expect(holds({ orders: { count: { gte: 2 }, total_spent: { lt: 50 }, within: 'P7D' } }, f)).toBe(false);
  });

  it('lets profiles without orders satisfy bounds that zero satisfies', () => {
    expect(holds({ orders: { count: { eq: 0 } } }, facts())).toBe(true);
    expect(holds({ orders: { total_spent: { lt: 10 } } }, facts())).toBe(true);
    expect(holds({ orders: { count: { lte: 1 }, within: 'P1D' } }, f)).toBe(true);
  });

  it('is refreshed on schedule only when it has a window', () => {
    expect(segmentLanguage.timeRelative({ orders: { count: { gte: 1 } } })).toBe(false);
    expect(segmentLanguage.timeRelative({ orders: { within: 'P90D' } })).toBe(true);
    expect([...segmentLanguage.dependencies({ orders: {} })]).toEqual(['orders']);
  });
});

describe('loyalty conditions', () => {
  const f = facts({ loyalty: [{ program_id: P1, balance: 800, tier: 'Gold' }] });

  it('tests membership, balance and tier of one program', () => {
    expect(holds({ loyalty: { program_id: P1, member: true } }, f)).toBe(true);
    expect(holds({ loyalty: { program_id: P2, member: true } }, f)).toBe(false);
    expect(holds({ loyalty: { program_id: P2, member: false } }, f)).toBe(true);
    expect(holds({ loyalty: { program_id: P1.toUpperCase(), member: false } }, f)).toBe(false);
    expect(holds({ loyalty: { program_id: P1, balance: { gte: 800 } } }, f)).toBe(true);
    expect(holds({ loyalty: { program_id: P1, balance: { gt: 800 } } }, f)).toBe(false);
    expect(holds({ loyalty: { program_id: P1, tier: ['Silver', 'Gold'] } }, f)).toBe(true);
    expect(holds({ loyalty: { program_id: P1, tier: 'Silver' } }, f)).toBe(false);
    expect(holds({ loyalty: { program_id: P1, balance: { lt: 900 }, tier: 'Gold' } }, f)).toBe(true);
  });

  it('holds balance and tier conditions only for members', () => {
    expect(holds({ loyalty: { program_id: P2, balance: { eq: 0 } } }, f)).toBe(false);
    expect(holds({ loyalty: { program_id: P2, balance: { lt: 10 } } }, facts())).toBe(false);
  });

  it('depends on loyalty changes; balance conditions are also refreshed on schedule (points expire)', () => {
    expect([...segmentLanguage.dependencies({ loyalty: { program_id: P1, member: true } })]).toEqual(['loyalty']);
    expect(segmentLanguage.timeRelative({ loyalty: { program_id: P1, member: true } })).toBe(false);
    expect(segmentLanguage.timeRelative({ loyalty: { program_id: P1, balance: { gte: 1 } } })).toBe(true);
    const tree = { any: [{ loyalty: { program_id: P1, member: true } }, { not: { loyalty: { program_id: P2.toUpperCase(), tier: 'Gold' } } }] } as ConditionNode;
    expect(loyaltyPrograms(segmentLanguage.leaves(tree)).sort()).toEqual([P1, P2]);
  });
});

describe('rfm conditions', () => {
  it('match the listed scores of each named dimension; no score matches nothing', () => {
    const f = facts({ rfm: { r: 5, f: 2, m: 4 } });
    expect(holds({ rfm: { r: [4, 5] } }, f)).toBe(true);
    expect(holds({ rfm: { r: [5], f: [1, 2], m: [4] } }, f)).toBe(true);
    expect(holds({ rfm: { r: [5], f: [3] } }, f)).toBe(false);
    expect(holds({ rfm: { m: [1, 2, 3, 4, 5] } }, facts())).toBe(false);
    expect(holds({ not: { rfm: { m: [1, 2, 3, 4, 5] } } }, facts({ rfm: null }))).toBe(true);
    expect([...segmentLanguage.dependencies({ rfm: { r: [1] } })]).toEqual(['rfm']);
    expect(segmentLanguage.timeRelative({ rfm: { r: [1] } })).toBe(false);
  });
});

describe('change tracking', () => {
  it('maps order and ledger events to the conditions they can change, and indexes segments by them', () => {
    expect(changesOfEvent('order_finalized')).toEqual(['event:order_finalized', 'orders', 'loyalty']);
    expect(changesOfEvent('points_redeemed')).toEqual(['event:points_redeemed', 'loyalty']);
    expect(changesOfEvent('site_visit')).toEqual(['event:site_visit']);
    const graph = new Map([
      ['a', { type: 'dynamic' as const, conditions: { orders: { count: { gte: 2 } } } as ConditionNode }],
      ['b', { type: 'dynamic' as const, conditions: { all: [{ segment: '00000000-0000-7000-8000-00000000000a' }, { rfm: { r: [5] } }] } as ConditionNode }],
      ['00000000-0000-7000-8000-00000000000a', { type: 'dynamic' as const, conditions: { loyalty: { program_id: P1, member: true } } as ConditionNode }],
    ]);
    const index = dependencyIndex(graph);
    expect([...index.get('orders')!]).toEqual(['a']);
    expect([...index.get('rfm')!]).toEqual(['b']);
    expect([...index.get('loyalty')!].sort()).toEqual(['00000000-0000-7000-8000-00000000000a', 'b']);
  });

  it('loads only what the segments read, since the oldest window', () => {
    const trees = new Map([
      ['a', { type: 'dynamic' as const, conditions: { all: [{ orders: { within: 'P30D' } }, { event: 'buy', within: 'P7D' }] } as ConditionNode }],
      ['b', { type: 'dynamic' as const, conditions: { any: [{ orders: { within: 'P90D' } }, { rfm: { f: [1] } }] } as ConditionNode }],
      ['c', { type: 'dynamic' as const, conditions: { all: [{ orders: { count: { eq: 0 } } }, { loyalty: { program_id: P1, member: true } }] } as ConditionNode }],
    ]);
    expect(factsNeeded(['a', 'b'], trees, NOW)).toEqual({
      eventNames: ['buy'],
      eventsSince: new Date(NOW.getTime() - 7 * DAY),
      orders: true,
      ordersSince: new Date(NOW.getTime() - 90 * DAY),
      loyalty: false,
      rfm: true,
    });
    expect(factsNeeded(['c'], trees, NOW)).toMatchObject({ eventNames: [], orders: true, ordersSince: null, loyalty: true, rfm: false });
  });
});
