import fc from 'fast-check';
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { segmentLanguage, type SegmentRef } from '../../src/domain/segments/leaves.js';
import type { Executor } from '../../src/store/db.js';
import { newId } from '../../src/store/ids.js';
import { evaluateForProfiles, insertSegment, loadEvaluationState, loadFacts, matchingIds, membershipCondition, referencedSegments, segmentSql } from '../../src/store/segments.js';
import { describeEachDatabase } from '../helpers/harness.js';
import { dataArb, EVENT_NAMES, NOW, treeArb, type GenEvent, type GenProfile } from '../helpers/segment-data.js';

const DAY = 86_400_000;

async function load(ex: Executor, data: { profiles: GenProfile[]; events: GenEvent[] }) {
  await sql`DELETE FROM segment_members`.execute(ex);
  await sql`DELETE FROM segments`.execute(ex);
  await sql`DELETE FROM events`.execute(ex);
  await sql`DELETE FROM profiles`.execute(ex);
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
  // a profile that was erased is in no segment
  await sql`UPDATE profiles SET erased_at = ${NOW} WHERE id = ${ids[ids.length - 1]}`.execute(ex);
  return ids;
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
  it('for random trees over random profiles, events, subscriptions and segment memberships', async () => {
    const ex = h().ctx.db;
    const segIdsPlaceholder = ['00000000-0000-7000-8000-00000000000a', '00000000-0000-7000-8000-00000000000b', '00000000-0000-7000-8000-00000000000c'];
    let mixed = 0;
    let total = 0;
    await fc.assert(
      fc.asyncProperty(dataArb(24, 90), treeArb(), fc.array(treeArb(segIdsPlaceholder), { minLength: 25, maxLength: 25 }), async (data, dynTree, trees) => {
        const ids = await load(ex, data);
        const segIds = await makeSegments(ex, ids, dynTree);
        const facts = await loadFacts(ex, null);
        // the one-query load event-driven membership uses gives the same facts
        const state = await loadEvaluationState(ex, ids, EVENT_NAMES, (id) => id === segIds[0] || id === segIds[1]);
        const live = ids.slice(0, -1);
        for (const raw of trees) {
          const tree = JSON.parse(JSON.stringify(raw).replaceAll(segIdsPlaceholder[0], segIds[0]).replaceAll(segIdsPlaceholder[1], segIds[1]).replaceAll(segIdsPlaceholder[2], segIds[2]));
          expect(segmentLanguage.validate(tree).errors).toEqual([]);
          const segments = await referencedSegments(ex, tree);
          const lookup = (id: string): SegmentRef | undefined => segments.get(id);
          const expected = live.filter((id) => segmentLanguage.evaluate(tree, { now: NOW, facts: facts.get(id)!, segment: lookup })).sort();
          const env = { now: NOW, scope: null, segments };
          const got = await matchingIds(ex, segmentSql.compile(tree, env));
          expect({ tree, ids: got }).toEqual({ tree, ids: expected });
          const viaState = ids.filter((id) => {
            const f = state.get(id)!.facts;
            return f !== null && segmentLanguage.evaluate(tree, { now: NOW, facts: f, segment: lookup });
          });
          expect({ tree, ids: viaState.sort() }).toEqual({ tree, ids: expected });
          total++;
          if (expected.length > 0 && expected.length < live.length) mixed++;
          const narrow = await evaluateForProfiles(ex, [segmentSql.compile(tree, { ...env, scope: ids })], ids);
          expect({ tree, ids: ids.filter((id) => narrow.get(id)![0]).sort() }).toEqual({ tree, ids: expected });
        }
        // a static segment's own membership condition
        const st = await matchingIds(ex, membershipCondition({ id: segIds[0], type: 'static', conditions: null }, { now: NOW, scope: null, segments: new Map() }));
        expect(st).toEqual(live.filter((_, i) => i % 3 === 0).sort());
      }),
      { numRuns: 6 },
    );
    // the trees are not all trivially true or false: most split the profiles
    expect(mixed / total).toBeGreaterThan(0.15);
  }, 120_000);
});
