import fc from 'fast-check';
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { factsNeeded } from '../../src/domain/segments/facts-needed.js';
import { segmentLanguage, type SegmentRef } from '../../src/domain/segments/leaves.js';
import type { Executor } from '../../src/store/db.js';
import { newId } from '../../src/store/ids.js';
import { computeRfm } from '../../src/store/rfm.js';
import { evaluateForProfiles, insertSegment, loadEvaluationState, loadFacts, matchingIds, membershipCondition, referencedSegments, segmentSql } from '../../src/store/segments.js';
import { describeEachDatabase } from '../helpers/harness.js';
import { dataArb, eventLeafArb, NOW, PROGRAM_IDS, treeArb, type GenEvent, type GenMember, type GenOrder, type GenProfile } from '../helpers/segment-data.js';

const DAY = 86_400_000;
/** Recent activity next to a tree: the compiler then evaluates long order aggregates per profile. */
const narrowingLeaf = eventLeafArb.filter((l) => {
  const c = l.count as Record<string, number> | undefined;
  return l.within !== undefined && (!c || c.gte > 0 || 'gt' in c);
});
type Data = { profiles: GenProfile[]; events: GenEvent[]; orders: GenOrder[]; members: GenMember[] };

const orderTime = (o: GenOrder) => new Date(NOW.getTime() - o.days_ago * DAY + (o.hour - 9) * 3_600_000);

async function load(ex: Executor, data: Data) {
  for (const t of ['segment_members', 'segments', 'events', 'market_orders', 'loyalty_members', 'loyalty_programs', 'rfm_scores', 'profiles'])
    await sql`DELETE FROM ${sql.table(t)}`.execute(ex);
  const ids = data.profiles.map(() => newId());
  await sql`
    INSERT INTO profiles (id, email, email_norm, external_id, fields, subscriptions, created_at, updated_at)
    SELECT id, email, email, external_id, fields, subscriptions, created_at, created_at
    FROM unnest(${ids}::uuid[], ${data.profiles.map((p) => p.email)}::text[], ${data.profiles.map((p) => p.external_id)}::text[],
      ${data.profiles.map((p) => JSON.stringify(p.fields))}::jsonb[], ${data.profiles.map((p) => JSON.stringify(p.subscriptions))}::jsonb[],
      ${data.profiles.map((p) => new Date(NOW.getTime() - p.created_days_ago * DAY - 3_600_000).toISOString())}::timestamptz[])
      AS t(id, email, external_id, fields, subscriptions, created_at)`.execute(ex);
  if (data.events.length)
    await sql`
      INSERT INTO events (id, profile_id, name, properties, occurred_at, received_at)
      SELECT id, profile_id, name, properties, occurred_at, occurred_at
      FROM unnest(${data.events.map(() => newId())}::uuid[], ${data.events.map((e) => ids[e.profile])}::uuid[], ${data.events.map((e) => e.name)}::text[],
        ${data.events.map((e) => JSON.stringify(e.properties))}::jsonb[],
        ${data.events.map((e) => new Date(NOW.getTime() - e.days_ago * DAY + (e.days_ago % 7) * 3_600_000).toISOString())}::timestamptz[])
        AS t(id, profile_id, name, properties, occurred_at)`.execute(ex);
  if (data.orders.length)
    await sql`
      INSERT INTO market_orders (id, profile_id, status, total, refunded_total, created_at, updated_at)
      SELECT id, profile_id, status, total, refunded, created_at, created_at
      FROM unnest(${data.orders.map((_, i) => `o-${i}`)}::text[], ${data.orders.map((o) => ids[o.profile])}::uuid[], ${data.orders.map((o) => o.status)}::text[],
        ${data.orders.map((o) => o.total)}::bigint[], ${data.orders.map((o) => o.refunded_total)}::bigint[], ${data.orders.map((o) => orderTime(o).toISOString())}::timestamptz[])
        AS t(id, profile_id, status, total, refunded, created_at)`.execute(ex);
  for (const id of PROGRAM_IDS)
    await sql`
      INSERT INTO loyalty_programs (id, name, currency, point_value, points_rounding, redeem_max_share, tier_window, expiry_notice, created_at, updated_at)
      VALUES (${id}, ${`program ${id.slice(-2)}`}, 'EUR', 1, 'floor', '0.5', 'P365D', 'P14D', ${NOW}, ${NOW})`.execute(ex);
  if (data.members.length)
    await sql`
      INSERT INTO loyalty_members (id, program_id, profile_id, tier, balance, pending, joined_at, updated_at)
      SELECT id, program_id, profile_id, tier, balance, 0, ${NOW}, ${NOW}
      FROM unnest(${data.members.map(() => newId())}::uuid[], ${data.members.map((m) => PROGRAM_IDS[m.program])}::uuid[], ${data.members.map((m) => ids[m.profile])}::uuid[],
        ${data.members.map((m) => m.tier)}::text[], ${data.members.map((m) => m.balance)}::int[]) AS t(id, program_id, profile_id, tier, balance)`.execute(ex);
  // a profile that was erased is in no segment
  await sql`UPDATE profiles SET erased_at = ${NOW} WHERE id = ${ids[ids.length - 1]}`.execute(ex);
  return ids;
}

/** PostgreSQL's ntile(5) over rows 0..n-1: the first n mod 5 buckets hold one row more. */
function ntile5(i: number, n: number): number {
  const small = Math.floor(n / 5);
  const big = (n % 5) * (small + 1);
  return i < big ? Math.floor(i / (small + 1)) + 1 : (n % 5) + Math.floor((i - big) / small) + 1;
}

/** The RFM scores the definition gives, computed here from the generated orders. */
function expectedRfm(data: Data, ids: string[]): Map<string, { r: number; f: number; m: number }> {
  const from = NOW.getTime() - 365 * DAY;
  const per = new Map<string, { last: number; n: number; spent: number }>();
  for (const o of data.orders) {
    const t = orderTime(o).getTime();
    if (t <= from || t > NOW.getTime() || o.status === 'canceled' || o.status === 'refunded') continue;
    const id = ids[o.profile];
    const a = per.get(id) ?? { last: 0, n: 0, spent: 0 };
    per.set(id, { last: Math.max(a.last, t), n: a.n + 1, spent: a.spent + o.total - o.refunded_total });
  }
  const rows = [...per.entries()];
  const rank = (key: (a: { last: number; n: number; spent: number }) => number) => {
    const sorted = [...rows].sort((a, b) => key(a[1]) - key(b[1]) || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return new Map(sorted.map(([id], i) => [id, ntile5(i, sorted.length)]));
  };
  const r = rank((a) => a.last);
  const f = rank((a) => a.n);
  const m = rank((a) => a.spent);
  return new Map(rows.map(([id]) => [id, { r: r.get(id)!, f: f.get(id)!, m: m.get(id)! }]));
}

async function makeSegments(ex: Executor, ids: string[], dynamicTree: unknown) {
  const base = { description: null, refs: [], dependencies: [], time_relative: false, refresh_at: null };
  const s1 = await insertSegment(ex, { ...base, name: 'static one', type: 'static', conditions: null }, NOW);
  const s2 = await insertSegment(ex, { ...base, name: 'static two', type: 'static', conditions: null }, NOW);
  const d = await insertSegment(ex, { ...base, name: 'dynamic', type: 'dynamic', conditions: dynamicTree as never }, NOW);
  const members = ids.flatMap((id, i) => [...(i % 3 === 0 ? [[s1.id, id]] : []), ...(i % 2 === 0 ? [[s2.id, id]] : [])]);
  if (members.length)
    await sql`INSERT INTO segment_members (segment_id, profile_id, since) SELECT s, p, ${NOW} FROM unnest(${members.map((m) => m[0])}::uuid[], ${members.map((m) => m[1])}::uuid[]) AS t(s, p)`.execute(ex);
  return [s1.id, s2.id, d.id];
}

describeEachDatabase('segment SQL equals in-memory evaluation', (h) => {
  it('for random trees over random profiles, events, subscriptions, orders, loyalty members, RFM scores and segment memberships', async () => {
    const ex = h().ctx.db;
    const segIdsPlaceholder = ['00000000-0000-7000-8000-00000000000a', '00000000-0000-7000-8000-00000000000b', '00000000-0000-7000-8000-00000000000c'];
    const kinds = new Map<string, { total: number; mixed: number }>();
    let mixed = 0;
    let total = 0;
    await fc.assert(
      fc.asyncProperty(
        dataArb(24, 90, 70, 24),
        treeArb([], { commerce: true }),
        fc.array(
          fc.tuple(treeArb(segIdsPlaceholder, { commerce: true }), fc.boolean(), narrowingLeaf).map(([t, wrap, narrow]) => (wrap ? { all: [narrow, t] } : t)),
          { minLength: 25, maxLength: 25 },
        ),
        async (data, dynTree, trees) => {
          const ids = await load(ex, data);
          await ex.transaction().execute((tx) => computeRfm(tx, NOW));
          // the scores SQL computed are the ones the definition gives
          const stored = await sql<{ profile_id: string; r: number; f: number; m: number }>`SELECT profile_id, r, f, m FROM rfm_scores`.execute(ex);
          expect(new Map(stored.rows.map((s) => [s.profile_id, { r: Number(s.r), f: Number(s.f), m: Number(s.m) }]))).toEqual(expectedRfm(data, ids));

          const segIds = await makeSegments(ex, ids, dynTree);
          const facts = await loadFacts(ex, null);
          const live = ids.slice(0, -1);
          const isStatic = (id: string) => id === segIds[0] || id === segIds[1];
          for (const raw of trees) {
            const tree = JSON.parse(JSON.stringify(raw).replaceAll(segIdsPlaceholder[0], segIds[0]).replaceAll(segIdsPlaceholder[1], segIds[1]).replaceAll(segIdsPlaceholder[2], segIds[2]));
            expect(segmentLanguage.validate(tree).errors).toEqual([]);
            const segments = await referencedSegments(ex, tree);
            const lookup = (id: string): SegmentRef | undefined => segments.get(id);
            const expected = live.filter((id) => segmentLanguage.evaluate(tree, { now: NOW, facts: facts.get(id)!, segment: lookup })).sort();
            const env = { now: NOW, scope: null, segments };
            // the full query
            const got = await matchingIds(ex, segmentSql.compile(tree, env));
            expect({ tree, ids: got }).toEqual({ tree, ids: expected });
            // the one-query load event-driven membership uses, narrowed to what this tree reads
            const probe = '00000000-0000-7000-8000-0000000000ff';
            const needs = factsNeeded([probe], new Map([...segments, [probe, { type: 'dynamic', conditions: tree }]]), NOW);
            const state = await loadEvaluationState(ex, ids, needs, isStatic);
            const viaState = ids.filter((id) => {
              const f = state.get(id)!.facts;
              return f !== null && segmentLanguage.evaluate(tree, { now: NOW, facts: f, segment: lookup });
            });
            expect({ tree, ids: viaState.sort() }).toEqual({ tree, ids: expected });
            // the narrow per-profile query
            const narrow = await evaluateForProfiles(ex, [segmentSql.compile(tree, { ...env, scope: ids })], ids);
            expect({ tree, ids: ids.filter((id) => narrow.get(id)![0]).sort() }).toEqual({ tree, ids: expected });
            total++;
            const split = expected.length > 0 && expected.length < live.length;
            if (split) mixed++;
            for (const { kind } of segmentLanguage.leaves(tree)) {
              const k = kinds.get(kind!.key) ?? { total: 0, mixed: 0 };
              kinds.set(kind!.key, { total: k.total + 1, mixed: k.mixed + (split ? 1 : 0) });
            }
          }
          // a static segment's own membership condition
          const st = await matchingIds(ex, membershipCondition({ id: segIds[0], type: 'static', conditions: null }, { now: NOW, scope: null, segments: new Map() }));
          expect(st).toEqual(live.filter((_, i) => i % 3 === 0).sort());
        },
      ),
      { numRuns: 12 },
    );
    // the trees are not all trivially true or false: most split the profiles, and every leaf kind was exercised
    expect(mixed / total).toBeGreaterThan(0.15);
    for (const key of ['field', 'event', 'subscription', 'orders', 'loyalty', 'rfm', 'segment']) expect(kinds.get(key)?.mixed ?? 0, key).toBeGreaterThan(5);
  }, 240_000);
});
