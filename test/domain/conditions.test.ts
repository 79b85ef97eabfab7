import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConditionLanguage, fieldLeaf, matches, parseComparison, resolveComparison, type ConditionNode, type Comparison, type LeafKind } from '../../src/domain/conditions/index.js';
import { segmentLanguage, type ProfileFacts, type SegmentEvalContext, type SegmentRef } from '../../src/domain/segments/leaves.js';
import { findCycle } from '../../src/domain/segments/graph.js';
import { NOW, treeArb } from '../helpers/segment-data.js';

const profile = (over: Partial<ProfileFacts['profile']> = {}): ProfileFacts['profile'] => ({
  id: '00000000-0000-7000-8000-000000000001',
  email: 'ann@example.com',
  phone: null,
  external_id: 'c-1',
  fields: {},
  subscriptions: {},
  created_at: new Date('2026-02-20T10:00:00Z'),
  updated_at: new Date('2026-02-20T10:00:00Z'),
  ...over,
});

function ctx(p: Partial<ProfileFacts['profile']>, events: ProfileFacts['events'] = [], opts: { now?: Date; static?: string[]; segments?: Record<string, SegmentRef> } = {}): SegmentEvalContext {
  return {
    now: opts.now ?? NOW,
    facts: { profile: profile(p), events, staticSegments: new Set(opts.static ?? []) },
    segment: (id) => opts.segments?.[id],
  };
}

const evalTree = (tree: unknown, c: SegmentEvalContext) => {
  const v = segmentLanguage.validate(tree);
  expect(v).toEqual({ errors: [], unavailable: [] });
  return segmentLanguage.evaluate(tree as ConditionNode, c);
};

describe('condition tree validation', () => {
  it('lists every fault of a bad tree with its path', () => {
    const v = segmentLanguage.validate({
      all: [
        { field: 'fields.city', op: 'equals', value: 'Paris' },
        { field: 'nickname', op: 'eq', value: 'x' },
        { any: [] },
        { not: { event: '', count: { gte: -1 }, within: 'soon', extra: 1 } },
        { subscription: { channel: 'fax', status: 'maybe' } },
        { field: 'fields.age', op: 'between', value: [1] },
        { field: 'fields.age', op: 'gt', value: 'ten' },
        { segment: 'not-a-uuid' },
        { colour: 'red' },
        'text',
      ],
      any: [],
    });
    expect(v.unavailable).toEqual([]);
    expect(v.errors.map((e) => e.path)).toEqual([
      'conditions.any',
      'conditions.all.0.op',
      'conditions.all.1.field',
      'conditions.all.2.any',
      'conditions.all.3.not.extra',
      'conditions.all.3.not.event',
      'conditions.all.3.not.count.gte',
      'conditions.all.3.not.within',
      'conditions.all.4.subscription.channel',
      'conditions.all.4.subscription.status',
      'conditions.all.5.value',
      'conditions.all.6.value',
      'conditions.all.7.segment',
      'conditions.all.8',
      'conditions.all.9',
    ]);
    for (const e of v.errors) expect(e.message.length).toBeGreaterThan(5);
  });

  it('reports leaves of kinds a language lists as unavailable rather than ignoring them', () => {
    const language = new ConditionLanguage<SegmentEvalContext>([], { orders: 'orders conditions are not available here', rfm: 'rfm conditions are not available here' });
    const v = language.validate({ any: [{ orders: { count: { gte: 1 } } }, { rfm: { r: [5] } }, { colour: 'red' }] });
    expect(v.errors.map((e) => e.path)).toEqual(['conditions.any.2']);
    expect(v.unavailable.map((u) => u.path)).toEqual(['conditions.any.0', 'conditions.any.1']);
    expect(v.unavailable[0].message).toMatch(/not available/);
  });

  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.anything(), (x) => {
        const v = segmentLanguage.validate(x);
        expect(Array.isArray(v.errors)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses trees nested too deep', () => {
    let t: unknown = { field: 'email', op: 'exists' };
    for (let i = 0; i < 40; i++) t = { not: t };
    expect(segmentLanguage.validate(t).errors[0].message).toMatch(/deeper/);
  });
});

describe('comparisons', () => {
  const cmp = (op: string, value: unknown, ignoreYear?: boolean) => {
    const c = parseComparison(op, value, ignoreYear);
    if (Array.isArray(c)) throw new Error(JSON.stringify(c));
    return resolveComparison(c as Comparison, NOW);
  };
  it('compares by the type of the condition value', () => {
    expect(matches(cmp('eq', 5), 5)).toBe(true);
    expect(matches(cmp('eq', 5), '5')).toBe(false);
    expect(matches(cmp('neq', 5), undefined)).toBe(true);
    expect(matches(cmp('in', ['a', 1]), 1)).toBe(true);
    expect(matches(cmp('in', ['a', 1]), '1')).toBe(false);
    expect(matches(cmp('gt', 5), 6)).toBe(true);
    expect(matches(cmp('gt', 5), '6')).toBe(false);
    expect(matches(cmp('contains', 'ari'), 'Paris')).toBe(true);
    expect(matches(cmp('contains', 'vip'), ['new', 'vip'])).toBe(true);
    expect(matches(cmp('contains', 'vi'), ['new', 'vip'])).toBe(false);
    expect(matches(cmp('between', [1, 3]), 3)).toBe(true);
    expect(matches(cmp('exists', true), null)).toBe(false);
    expect(matches(cmp('exists', false), undefined)).toBe(true);
  });
  it('compares dates by day, absolute or relative to now', () => {
    expect(matches(cmp('lt', '2000-01-01'), '1999-12-31T23:00:00Z')).toBe(true);
    expect(matches(cmp('gte', { ago: 'P7D' }), '2026-02-22')).toBe(true);
    expect(matches(cmp('gte', { ago: 'P7D' }), '2026-02-21')).toBe(false);
    expect(matches(cmp('eq', { in: 'P3D' }), '2026-03-04')).toBe(true);
  });
  it('finds birthdays in 3 days whatever the year, and ranges over the new year', () => {
    expect(matches(cmp('eq', { in: 'P3D' }, true), '1990-03-04')).toBe(true);
    expect(matches(cmp('eq', { in: 'P3D' }, true), '1990-03-05')).toBe(false);
    const newYear = parseComparison('between', [{ in: 'P0D' }, { in: 'P7D' }], true) as Comparison;
    const r = resolveComparison(newYear, new Date('2026-12-28T10:00:00Z'));
    expect(matches(r, '1985-12-30')).toBe(true);
    expect(matches(r, '1985-01-03')).toBe(true);
    expect(matches(r, '1985-01-05')).toBe(false);
    expect(matches(r, '1985-12-27')).toBe(false);
  });
});

describe('segment evaluation in memory', () => {
  const at = (daysAgo: number) => new Date(NOW.getTime() - daysAgo * 86_400_000);
  it('evaluates fields, system fields, subscriptions and events', () => {
    const c = ctx(
      { fields: { city: 'Paris', birthday: '1990-03-04', address: { zip: 75001 } }, subscriptions: { email: 'subscribed' } },
      [
        { name: 'buy', properties: { amount: 120, category: 'shoes' }, occurred_at: at(3) },
        { name: 'buy', properties: { amount: 20, category: 'hats' }, occurred_at: at(10) },
        { name: 'buy', properties: { amount: 300 }, occurred_at: at(40) },
      ],
    );
    expect(evalTree({ all: [{ field: 'fields.city', op: 'eq', value: 'Paris' }, { subscription: { channel: 'email', status: 'subscribed' } }] }, c)).toBe(true);
    expect(evalTree({ field: 'fields.address.zip', op: 'between', value: [75000, 75999] }, c)).toBe(true);
    expect(evalTree({ field: 'email', op: 'contains', value: '@example' }, c)).toBe(true);
    expect(evalTree({ field: 'created_at', op: 'gte', value: { ago: 'P14D' } }, c)).toBe(true);
    expect(evalTree({ field: 'fields.birthday', op: 'eq', value: { in: 'P3D' }, ignore_year: true }, c)).toBe(true);
    expect(evalTree({ event: 'buy', within: 'P30D', count: { gte: 2 } }, c)).toBe(true);
    expect(evalTree({ event: 'buy', within: 'P7D', count: { gte: 2 } }, c)).toBe(false);
    expect(evalTree({ event: 'buy', where: { amount: { gte: 100 } }, count: { eq: 2 } }, c)).toBe(true);
    expect(evalTree({ event: 'buy', where: { 'properties.category': ['hats', 'caps'] } }, c)).toBe(true);
    expect(evalTree({ event: 'refund', count: { eq: 0 } }, c)).toBe(true);
    expect(evalTree({ not: { event: 'refund' } }, c)).toBe(true);
    expect(evalTree({ subscription: { channel: 'sms', status: ['subscribed', 'pending'] } }, c)).toBe(false);
  });

  it('follows segment references: static by membership, dynamic by their tree', () => {
    const segments: Record<string, SegmentRef> = {
      '00000000-0000-7000-8000-0000000000aa': { type: 'static', conditions: null },
      '00000000-0000-7000-8000-0000000000bb': { type: 'dynamic', conditions: { field: 'fields.city', op: 'eq', value: 'Rome' } },
    };
    const c = ctx({ fields: { city: 'Rome' } }, [], { static: ['00000000-0000-7000-8000-0000000000aa'], segments });
    expect(evalTree({ segment: '00000000-0000-7000-8000-0000000000aa' }, c)).toBe(true);
    expect(evalTree({ segment: '00000000-0000-7000-8000-0000000000bb' }, c)).toBe(true);
    expect(evalTree({ segment: '00000000-0000-7000-8000-0000000000cc' }, c)).toBe(false);
  });

  it('tracks what a tree depends on and whether time alone changes it', () => {
    const t = { all: [{ field: 'fields.city', op: 'eq', value: 'x' }, { any: [{ event: 'buy', within: 'P7D' }, { segment: '00000000-0000-7000-8000-0000000000aa' }] }] } as ConditionNode;
    expect([...segmentLanguage.dependencies(t)].sort()).toEqual(['event:buy', 'profile', 'segment:00000000-0000-7000-8000-0000000000aa']);
    expect(segmentLanguage.timeRelative(t)).toBe(true);
    expect(segmentLanguage.timeRelative({ event: 'buy' })).toBe(false);
    expect(segmentLanguage.timeRelative({ field: 'fields.b', op: 'eq', value: { in: 'P3D' }, ignore_year: true })).toBe(true);
  });

  it('obeys the laws of all/any/not on random trees', () => {
    const c = ctx({ fields: { city: 'Paris', age: 40, tags: ['vip'], birthday: '1990-03-04' }, subscriptions: { email: 'subscribed' } }, [
      { name: 'buy', properties: { amount: 50, category: 'shoes' }, occurred_at: at(2) },
      { name: 'view', properties: {}, occurred_at: at(20) },
    ]);
    fc.assert(
      fc.property(treeArb(), treeArb(), (a, b) => {
        expect(segmentLanguage.validate(a).errors).toEqual([]);
        const ea = segmentLanguage.evaluate(a, c);
        const eb = segmentLanguage.evaluate(b, c);
        expect(segmentLanguage.evaluate({ not: { not: a } }, c)).toBe(ea);
        expect(segmentLanguage.evaluate({ all: [a, b] }, c)).toBe(ea && eb);
        expect(segmentLanguage.evaluate({ not: { any: [a, b] } }, c)).toBe(segmentLanguage.evaluate({ all: [{ not: a }, { not: b }] }, c));
        expect(segmentLanguage.evaluate({ any: [a] }, c)).toBe(ea);
      }),
      { numRuns: 300 },
    );
  });
});

describe('pluggable leaves', () => {
  it('lets another module add its own leaves and field sources to the same tree language', () => {
    interface Order {
      subtotal: number;
      data: Record<string, unknown>;
    }
    const subtotal: LeafKind<Order> = {
      key: 'subtotal',
      validate: (leaf) => (typeof (leaf.subtotal as { gte?: unknown })?.gte === 'number' ? [] : [{ path: 'subtotal.gte', message: 'must be a number' }]),
      evaluate: (leaf, o) => o.subtotal >= (leaf.subtotal as { gte: number }).gte,
    };
    const lang = new ConditionLanguage<Order>([subtotal, fieldLeaf([{ name: 'data', nested: true, dependency: 'data', get: (o, p) => (o.data as Record<string, unknown>)[p[0]] }], () => NOW)], { orders: 'later' });
    const tree = { all: [{ subtotal: { gte: 100 } }, { field: 'data.channel', op: 'eq', value: 'app' }] };
    expect(lang.validate(tree).errors).toEqual([]);
    expect(lang.evaluate(tree, { subtotal: 120, data: { channel: 'app' } })).toBe(true);
    expect(lang.evaluate(tree, { subtotal: 80, data: { channel: 'app' } })).toBe(false);
    expect(lang.validate({ subtotal: { gte: 'x' } }).errors).toEqual([{ path: 'conditions.subtotal.gte', message: 'must be a number' }]);
    expect(lang.validate({ orders: {} }).unavailable).toHaveLength(1);
  });
});

describe('segment reference cycles', () => {
  it('finds a cycle through any chain of references', () => {
    const g: Record<string, string[]> = { a: ['b'], b: ['c'], c: ['a'], d: ['a'], e: [] };
    expect(findCycle('a', (id) => g[id] ?? [])).toEqual(['a', 'b', 'c', 'a']);
    expect(findCycle('d', (id) => g[id] ?? [])).toEqual(['a', 'b', 'c', 'a']);
    expect(findCycle('e', (id) => g[id] ?? [])).toBeNull();
  });
  it('agrees with a brute-force reachability check on random graphs', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 5 })), { maxLength: 10 }), (edges) => {
        const refs = (id: string) => edges.filter(([a]) => String(a) === id).map(([, b]) => String(b));
        const cycle = findCycle('0', refs);
        // brute force: does some node reachable from 0 (or 0 itself) reach itself?
        const reach = (from: string) => {
          const seen = new Set<string>();
          const st = [...refs(from)];
          while (st.length) {
            const x = st.pop()!;
            if (!seen.has(x)) {
              seen.add(x);
              st.push(...refs(x));
            }
          }
          return seen;
        };
        const fromStart = new Set(['0', ...reach('0')]);
        const expected = [...fromStart].some((n) => reach(n).has(n));
        expect(cycle !== null).toBe(expected);
        if (cycle) for (let i = 0; i + 1 < cycle.length; i++) expect(refs(cycle[i])).toContain(cycle[i + 1]);
      }),
    );
  });
});
