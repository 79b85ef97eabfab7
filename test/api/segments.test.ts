import { expect, it } from 'vitest';
import type { VirtualClock } from '../../src/domain/clock.js';
import { segmentMembership } from '../../src/engine/segments.js';
import { describeEachDatabase, type Harness } from '../helpers/harness.js';
import { segmentEvents, waitFor } from '../helpers/segments.js';

const api = '/api/v1';

async function profile(h: Harness, body: Record<string, unknown>): Promise<string> {
  const r = await h.post(`${api}/profiles`, body);
  expect([200, 201]).toContain(r.status);
  return r.body.id;
}

describeEachDatabase('segments API', (h) => {
  let ann: string;
  let bob: string;
  let cid: string;

  it('creates dynamic segments, counts and lists their profiles', async () => {
    ann = await profile(h(), { email: 'ann@example.com', fields: { city: 'Berlin', age: 34, birthday: '1990-03-04' }, subscriptions: { email: 'subscribed' } });
    bob = await profile(h(), { email: 'bob@example.com', fields: { city: 'Paris', age: 51 }, subscriptions: { email: 'unsubscribed' } });
    cid = await profile(h(), { external_id: 'cid', fields: { city: 'Berlin', age: 19 } });
    const r = await h().post(`${api}/segments`, {
      name: 'Berlin adults on email',
      type: 'dynamic',
      conditions: { all: [{ field: 'fields.city', op: 'eq', value: 'Berlin' }, { field: 'fields.age', op: 'gte', value: 21 }, { subscription: { channel: 'email', status: 'subscribed' } }] },
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ type: 'dynamic', name: 'Berlin adults on email', time_relative: false });
    expect((await h().get(`${api}/segments/${r.body.id}/count`)).body).toEqual({ count: 1 });
    const list = await h().get(`${api}/segments/${r.body.id}/profiles`);
    expect(list.body.items.map((p: { id: string }) => p.id)).toEqual([ann]);

    const berlin = await h().post(`${api}/segments`, { name: 'Berlin', type: 'dynamic', conditions: { field: 'fields.city', op: 'eq', value: 'Berlin' } });
    const p1 = await h().get(`${api}/segments/${berlin.body.id}/profiles?limit=1`);
    expect(p1.body.items).toHaveLength(1);
    const p2 = await h().get(`${api}/segments/${berlin.body.id}/profiles?limit=1&cursor=${p1.body.next_cursor}`);
    expect(p2.body.items).toHaveLength(1);
    expect(p2.body.next_cursor).toBeNull();
    expect([p1.body.items[0].id, p2.body.items[0].id].sort()).toEqual([ann, cid].sort());

    const birthday = await h().post(`${api}/segments`, { name: 'Birthday in 3 days', type: 'dynamic', conditions: { field: 'fields.birthday', op: 'eq', value: { in: 'P3D' }, ignore_year: true } });
    expect(birthday.body.time_relative).toBe(true);
    expect((await h().get(`${api}/segments/${birthday.body.id}/count`)).body.count).toBe(1);

    const got = await h().get(`${api}/segments/${r.body.id}`);
    expect(got.body.conditions.all).toHaveLength(3);
    const all = await h().get(`${api}/segments?limit=2`);
    expect(all.body.items).toHaveLength(2);
    expect(all.body.next_cursor).toEqual(expect.any(String));
  });

  it('answers a bad tree with 400 naming every bad part, and unavailable conditions with 422', async () => {
    const bad = await h().post(`${api}/segments`, {
      name: 'bad',
      type: 'dynamic',
      conditions: { all: [{ field: 'fields.city', op: 'like', value: 'B%' }, { event: 'buy', count: { gte: 'two' } }, { any: [] }, { subscription: { channel: 'email' } }] },
    });
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual([
      'conditions.all.0.op',
      'conditions.all.1.count.gte',
      'conditions.all.2.any',
      'conditions.all.3.subscription.status',
    ]);
    const schemaBad = await h().post(`${api}/segments`, { name: '', type: 'both', conditions: 'x', colour: 1 });
    expect(schemaBad.status).toBe(400);
    expect(schemaBad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['colour', 'conditions', 'name', 'type']);
    expect((await h().post(`${api}/segments`, { name: 'no tree', type: 'dynamic' })).body.errors[0].path).toBe('conditions');

    const orders = await h().post(`${api}/segments`, {
      name: 'buyers',
      type: 'dynamic',
      conditions: { all: [{ orders: { count: { gte: 'two' }, within: 'P30' } }, { rfm: { r: [6] } }, { loyalty: { program_id: 'club', member: true } }] },
    });
    expect(orders.status).toBe(400);
    expect(orders.body.errors.map((e: { path: string }) => e.path)).toEqual(['conditions.all.0.orders.count.gte', 'conditions.all.0.orders.within', 'conditions.all.1.rfm.r.0', 'conditions.all.2.loyalty.program_id']);
    const noProgram = await h().post(`${api}/segments`, { name: 'members', type: 'dynamic', conditions: { loyalty: { program_id: '00000000-0000-7000-8000-0000000000e9', member: true } } });
    expect(noProgram.status).toBe(422);
    expect(noProgram.body.type).toBe('/problems/loyalty-program-not-found');

    const missing = await h().post(`${api}/segments`, { name: 'ref', type: 'dynamic', conditions: { segment: '00000000-0000-7000-8000-000000000000' } });
    expect(missing.status).toBe(422);
    expect(missing.body.type).toBe('/problems/segment-not-found');
    expect((await h().get(`${api}/segments/00000000-0000-7000-8000-000000000000/count`)).status).toBe(404);
  });

  it('includes other segments, refuses cycles and deleting an included segment', async () => {
    const a = await h().post(`${api}/segments`, { name: 'A', type: 'dynamic', conditions: { field: 'fields.age', op: 'lt', value: 40 } });
    const b = await h().post(`${api}/segments`, { name: 'B', type: 'dynamic', conditions: { all: [{ segment: a.body.id }, { field: 'fields.city', op: 'eq', value: 'Berlin' }] } });
    expect(b.status).toBe(201);
    expect((await h().get(`${api}/segments/${b.body.id}/count`)).body.count).toBe(2);
    const cyc = await h().request('PATCH', `${api}/segments/${a.body.id}`, { body: { conditions: { not: { segment: b.body.id } } } });
    expect(cyc.status).toBe(422);
    expect(cyc.body.type).toBe('/problems/segment-cycle');
    const self = await h().request('PATCH', `${api}/segments/${a.body.id}`, { body: { conditions: { segment: a.body.id } } });
    expect(self.body.type).toBe('/problems/segment-cycle');
    const inUse = await h().request('DELETE', `${api}/segments/${a.body.id}`);
    expect(inUse.status).toBe(409);
    expect(inUse.body.type).toBe('/problems/segment-in-use');
    const renamed = await h().request('PATCH', `${api}/segments/${a.body.id}`, { body: { name: 'Under 40', conditions: { field: 'fields.age', op: 'lt', value: 30 } } });
    expect(renamed.body).toMatchObject({ name: 'Under 40' });
    expect((await h().get(`${api}/segments/${b.body.id}/count`)).body.count).toBe(1);
    expect((await h().request('DELETE', `${api}/segments/${b.body.id}`)).status).toBe(204);
    expect((await h().request('DELETE', `${api}/segments/${a.body.id}`)).status).toBe(204);
    expect((await h().get(`${api}/segments/${a.body.id}`)).status).toBe(404);
  });

  it('keeps static segments as lists: add and remove by JSON references and by CSV', async () => {
    const s = await h().post(`${api}/segments`, { name: 'VIP list', type: 'static' });
    expect(s.status).toBe(201);
    const add = await h().post(`${api}/segments/${s.body.id}/members`, {
      profiles: [{ email: 'ANN@example.com' }, { id: bob }, { email: 'nobody@example.com' }, { phone: 'x' }, 'junk', { id: bob }],
    });
    expect(add.status).toBe(200);
    expect(add.body).toMatchObject({ added: 2, unchanged: 0, failed: 3 });
    expect(add.body.errors.map((e: { index: number }) => e.index)).toEqual([2, 3, 4]);
    expect((await h().get(`${api}/segments/${s.body.id}/count`)).body).toEqual({ count: 2 });
    expect((await segmentEvents(h(), ann)).some((e) => e.title === 'segment_entered' && e.data.segment_id === s.body.id)).toBe(true);

    const csv = 'external_id,name\ncid,C\nunknown,U\n,empty\n';
    const viaCsv = await h().request('POST', `${api}/segments/${s.body.id}/members`, { raw: csv, headers: { 'content-type': 'text/csv' } });
    expect(viaCsv.status).toBe(200);
    expect(viaCsv.body).toMatchObject({ added: 1, failed: 2 });
    expect(viaCsv.body.errors.map((e: { row: number }) => e.row)).toEqual([3, 4]);
    expect((await h().get(`${api}/segments/${s.body.id}/count`)).body.count).toBe(3);

    const rm = await h().request('DELETE', `${api}/segments/${s.body.id}/members`, { body: { profiles: [{ id: bob }, { id: bob }] } });
    expect(rm.body).toMatchObject({ removed: 1, unchanged: 0, failed: 0 });
    const rmCsv = await h().request('DELETE', `${api}/segments/${s.body.id}/members`, { raw: 'email\nann@example.com\nbob@example.com\n', headers: { 'content-type': 'text/csv' } });
    expect(rmCsv.body).toMatchObject({ removed: 1, unchanged: 1 });
    const members = await h().get(`${api}/segments/${s.body.id}/profiles`);
    expect(members.body.items.map((p: { id: string }) => p.id)).toEqual([cid]);

    const tooMany = await h().post(`${api}/segments/${s.body.id}/members`, { profiles: Array.from({ length: 10_001 }, (_, i) => ({ external_id: `x${i}` })) });
    expect(tooMany.status).toBe(400);
    const noColumn = await h().request('POST', `${api}/segments/${s.body.id}/members`, { raw: 'name\nx\n', headers: { 'content-type': 'text/csv' } });
    expect(noColumn.status).toBe(400);

    const dyn = (await h().get(`${api}/segments?type=dynamic`)).body.items[0];
    const notStatic = await h().post(`${api}/segments/${dyn.id}/members`, { profiles: [{ id: ann }] });
    expect(notStatic.status).toBe(422);
    expect(notStatic.body.type).toBe('/problems/segment-not-static');

    // a static segment created with conditions is a snapshot of who matches now
    const snap = await h().post(`${api}/segments`, { name: 'Berlin snapshot', type: 'static', conditions: { field: 'fields.city', op: 'eq', value: 'Berlin' } });
    expect((await h().get(`${api}/segments/${snap.body.id}/count`)).body.count).toBe(2);
    await h().request('PATCH', `${api}/profiles/${cid}`, { body: { fields: { city: 'Rome' } } });
    expect((await h().get(`${api}/segments/${snap.body.id}/count`)).body.count).toBe(2);
  });

  it('records segment_entered within a second of the event that makes a profile qualify, and segment_exited when it stops', async () => {
    const dan = await profile(h(), { email: 'dan@example.com', fields: { city: 'Oslo' } });
    const s = await h().post(`${api}/segments`, { name: 'Two buys', type: 'dynamic', conditions: { event: 'buy', count: { gte: 2 }, within: 'P30D' } });
    const other = await h().post(`${api}/segments`, { name: 'Oslo', type: 'dynamic', conditions: { field: 'fields.city', op: 'eq', value: 'Oslo' } });
    expect((await h().post(`${api}/events`, { profile: { id: dan }, name: 'buy' })).status).toBe(202);
    await segmentMembership(h().ctx).idle();
    expect((await segmentEvents(h(), dan)).filter((e) => e.data.segment_id === s.body.id)).toEqual([]);

    const started = Date.now();
    expect((await h().post(`${api}/events`, { profile: { id: dan }, name: 'buy' })).status).toBe(202);
    const entered = await waitFor(async () => (await segmentEvents(h(), dan)).find((e) => e.title === 'segment_entered' && e.data.segment_id === s.body.id), 1000);
    expect(entered).toBeDefined();
    expect(Date.now() - started).toBeLessThan(1000);
    // the Oslo segment's baseline already held dan: no entry for it
    expect((await segmentEvents(h(), dan)).some((e) => e.data.segment_id === other.body.id)).toBe(false);

    // a profile change moves dan out of Oslo
    await h().request('PATCH', `${api}/profiles/${dan}`, { body: { fields: { city: 'Bergen' } } });
    const exited = await waitFor(async () => (await segmentEvents(h(), dan)).find((e) => e.title === 'segment_exited' && e.data.segment_id === other.body.id), 1000);
    expect(exited).toBeDefined();

    // time alone: 31 days later the buys fall out of the window; the scheduled refresh records the exit
    (h().clock as VirtualClock).advance(31 * 86_400_000);
    await h().ctx.work.drain('segment-refresh');
    const left = (await segmentEvents(h(), dan)).find((e) => e.title === 'segment_exited' && e.data.segment_id === s.body.id);
    expect(left).toBeDefined();
    expect((await h().get(`${api}/segments/${s.body.id}/count`)).body.count).toBe(0);
  });

  it('describes the segment endpoints in the OpenAPI document', async () => {
    const doc = await h().get('/api/openapi.json', null);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/api/v1/segments', '/api/v1/segments/{id}', '/api/v1/segments/{id}/count', '/api/v1/segments/{id}/profiles', '/api/v1/segments/{id}/members']),
    );
  });
});
