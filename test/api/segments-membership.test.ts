import fc from 'fast-check';
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { segmentMembership } from '../../src/engine/segments.js';
import { ingestEvents } from '../../src/engine/ingest.js';
import { matchingIds, membershipCondition, referencedSegments } from '../../src/store/segments.js';
import { describeEachDatabase } from '../helpers/harness.js';
import { EVENT_NAMES, fieldsArb, treeArb } from '../helpers/segment-data.js';

const api = '/api/v1';

describeEachDatabase('event-driven membership', (h) => {
  it('keeps stored members equal to the live query through random events, profile changes, new profiles and erasure', async () => {
    const ex = h().ctx.db;
    const engine = segmentMembership(h().ctx);
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(treeArb(), { minLength: 3, maxLength: 3 }),
        fc.array(
          fc.oneof(
            fc.record({ kind: fc.constant('event' as const), who: fc.integer({ min: 0, max: 9 }), name: fc.constantFrom(...EVENT_NAMES), amount: fc.integer({ min: 0, max: 200 }) }),
            fc.record({ kind: fc.constant('patch' as const), who: fc.integer({ min: 0, max: 7 }), fields: fieldsArb, sub: fc.constantFrom('subscribed', 'unsubscribed', 'pending') }),
            fc.record({ kind: fc.constant('erase' as const), who: fc.integer({ min: 0, max: 7 }) }),
          ),
          { minLength: 5, maxLength: 25 },
        ),
        async (trees, steps) => {
          run++;
          await sql`DELETE FROM segment_members`.execute(ex);
          await sql`DELETE FROM segments`.execute(ex);
          const ids: string[] = [];
          for (let i = 0; i < 8; i++) ids.push((await h().post(`${api}/profiles`, { external_id: `r${run}-${i}`, fields: { city: i % 2 ? 'Berlin' : 'Paris', age: 20 + i * 5 } })).body.id);
          const segs: string[] = [];
          for (const [i, conditions] of trees.entries()) {
            const r = await h().post(`${api}/segments`, { name: `s${i}`, type: 'dynamic', conditions });
            expect(r.status).toBe(201);
            segs.push(r.body.id);
          }
          const erased = new Set<number>();
          for (const s of steps) {
            if (s.kind === 'event') {
              // profiles 8 and 9 are new: the event creates them
              await ingestEvents(h().ctx, [{ profile: { external_id: `r${run}-${s.who}` }, name: s.name, properties: { amount: s.amount, category: 'shoes' } }]);
            } else if (s.kind === 'patch' && !erased.has(s.who)) {
              const r = await h().request('PATCH', `${api}/profiles/${ids[s.who]}`, { body: { fields: s.fields, subscriptions: { email: s.sub } } });
              expect(r.status).toBe(200);
            } else if (s.kind === 'erase' && !erased.has(s.who)) {
              erased.add(s.who);
              expect((await h().request('DELETE', `${api}/profiles/${ids[s.who]}`)).status).toBe(204);
            }
          }
          await engine.idle();
          for (const id of segs) {
            const seg = (await h().get(`${api}/segments/${id}`)).body;
            const live = await matchingIds(ex, membershipCondition({ id, type: 'dynamic', conditions: seg.conditions }, { now: h().clock.now(), scope: null, segments: await referencedSegments(ex, seg.conditions) }));
            const stored = (await sql<{ profile_id: string }>`SELECT profile_id FROM segment_members WHERE segment_id = ${id} ORDER BY profile_id`.execute(ex)).rows.map((r) => r.profile_id);
            expect({ tree: seg.conditions, stored }).toEqual({ tree: seg.conditions, stored: live });
          }
        },
      ),
      { numRuns: 8 },
    );
  }, 180_000);

  it('accepts ?async=true for segment creation and reports the segment through the job', async () => {
    const r = await h().post(`${api}/segments?async=true`, { name: 'async', type: 'static', conditions: { field: 'fields.city', op: 'exists' } });
    expect(r.status).toBe(202);
    let job: { status: string; result?: { id: string } } | undefined;
    for (let i = 0; i < 100 && job?.status !== 'done'; i++) {
      await new Promise((res) => setTimeout(res, 20));
      job = (await h().get(`${api}/jobs/${r.body.job_id}`)).body;
    }
    expect(job).toMatchObject({ status: 'done', result: { type: 'static', name: 'async' } });
    const bad = await h().post(`${api}/segments?async=true`, { name: 'bad', type: 'dynamic', conditions: { field: 'x', op: 'eq', value: 1 } });
    expect(bad.status).toBe(400);
  });
});
