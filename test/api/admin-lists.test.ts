import { expect, it } from 'vitest';
import type { VirtualClock } from '../../src/domain/clock.js';
import { describeEachDatabase } from '../helpers/harness.js';
import { expectProblem } from '../helpers/promo.js';

const program = { name: 'Club', currency: 'EUR', point_value: 0.01, points_rounding: 'floor', redeem_max_share: 0.5 };

describeEachDatabase('admin lists and partial updates', (h) => {
  it('PATCH /loyalty/programs/{pid} changes the given settings, keeps the rest, and names every bad field', async () => {
    const p = (await h().post('/api/v1/loyalty/programs', { ...program, welcome_points: 50, tiers: [{ name: 'Gold', min_spend: 100, accrual_multiplier: 2 }] })).body;
    const r = await h().request('PATCH', `/api/v1/loyalty/programs/${p.id}`, { body: { name: 'Club+', redeem_max_share: 0.3, points_ttl: null } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({
      id: p.id, name: 'Club+', redeem_max_share: 0.3, points_ttl: null, welcome_points: 50, point_value: 0.01, currency: 'EUR',
      tiers: [{ name: 'Gold', min_spend: 100, accrual_multiplier: 2 }],
    });
    expect((await h().get(`/api/v1/loyalty/programs/${p.id}`)).body).toEqual(r.body);
    const bad = await h().request('PATCH', `/api/v1/loyalty/programs/${p.id}`, { body: { point_value: 0.001, points_ttl: 'soon', tiers: [{ name: 'A', min_spend: 1 }, { name: 'A', min_spend: 2 }] } });
    expectProblem(bad, 400);
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(['point_value', 'points_ttl', 'tiers.1.name']);
    const schema = await h().request('PATCH', `/api/v1/loyalty/programs/${p.id}`, { body: { points_rounding: 'up', colour: 'red' } });
    expectProblem(schema, 400);
    expect(schema.body.errors.map((e: { path: string }) => e.path)).toEqual(expect.arrayContaining(['points_rounding', 'colour']));
    expectProblem(await h().request('PATCH', `/api/v1/loyalty/programs/${p.id}`, { body: {} }), 400);
    expectProblem(await h().request('PATCH', '/api/v1/loyalty/programs/00000000-0000-0000-0000-000000000000', { body: { name: 'x' } }), 404);
    expect((await h().get(`/api/v1/loyalty/programs/${p.id}`)).body.name).toBe('Club+');
  });

  it('GET /loyalty/programs/{pid}/members pages through the members with their balances', async () => {
    const p = (await h().post('/api/v1/loyalty/programs', { ...program, welcome_points: 5 })).body;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const email = `member${i}-${Date.now()}@example.com`;
      await h().post('/api/v1/profiles', { email });
      ids.push((await h().post(`/api/v1/loyalty/programs/${p.id}/members`, { profile: { email } })).body.id);
    }
    await h().post(`/api/v1/loyalty/programs/${p.id}/accrue`, { member_id: ids[2], points: 40, reason: 'gift' });
    const first = await h().get(`/api/v1/loyalty/programs/${p.id}/members?limit=3`);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.items).toHaveLength(3);
    const rest = await h().get(`/api/v1/loyalty/programs/${p.id}/members?limit=3&cursor=${first.body.next_cursor}`);
    expect(rest.body.next_cursor).toBeNull();
    const all = [...first.body.items, ...rest.body.items];
    expect(all.map((m: { id: string }) => m.id)).toEqual(ids);
    expect(all.map((m: { balance: number }) => m.balance)).toEqual([5, 5, 45, 5, 5]);
    expect(all[0]).toMatchObject({ program_id: p.id, pending: 0, tier: null, profile_id: expect.any(String), joined_at: expect.any(String) });
    expectProblem(await h().get(`/api/v1/loyalty/programs/${p.id}/members?cursor=zzz`), 400);
    expectProblem(await h().get('/api/v1/loyalty/programs/00000000-0000-0000-0000-000000000000/members'), 404);
  });

  it('GET /market/orders without a profile lists every order newest first, optionally by status', async () => {
    const clock = h().clock as VirtualClock;
    const tag = `o${Date.now()}`;
    for (let i = 0; i < 2; i++) await h().post('/api/v1/profiles', { email: `${tag}-${i}@example.com` });
    for (let i = 0; i < 4; i++) {
      const put = await h().request('PUT', `/api/v1/market/orders/${tag}-${i}`, {
        body: { profile: { email: `${tag}-${i % 2}@example.com` }, items: [{ product_id: 'x', quantity: 1, price: 10 + i }] },
      });
      expect(put.status, JSON.stringify(put.body)).toBeLessThan(300);
      clock.advance(1000);
    }
    await h().post(`/api/v1/market/orders/${tag}-1/status`, { status: 'paid' });
    await h().post(`/api/v1/market/orders/${tag}-3/status`, { status: 'paid' });
    const first = await h().get('/api/v1/market/orders?limit=2');
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const rest = await h().get(`/api/v1/market/orders?limit=1000&cursor=${first.body.next_cursor}`);
    const ids = [...first.body.items, ...rest.body.items].map((o: { id: string }) => o.id).filter((id: string) => id.startsWith(tag));
    expect(ids).toEqual([3, 2, 1, 0].map((i) => `${tag}-${i}`));
    const paid = (await h().get('/api/v1/market/orders?status=paid&limit=1000')).body.items.map((o: { id: string }) => o.id).filter((id: string) => id.startsWith(tag));
    expect(paid).toEqual([`${tag}-3`, `${tag}-1`]);
    const mine = (await h().get(`/api/v1/market/orders?profile=${tag}-0@example.com&status=new`)).body.items.map((o: { id: string }) => o.id);
    expect(mine).toEqual([`${tag}-2`, `${tag}-0`]);
    expectProblem(await h().get('/api/v1/market/orders?status=lost'), 400);
  });

  it('POST /segments/count counts unsaved conditions and names bad parts like segment creation does', async () => {
    const tag = `c${Date.now()}`;
    for (const city of ['Oslo', 'Oslo', 'Rome']) await h().post('/api/v1/profiles', { email: `${tag}-${Math.random()}@example.com`, fields: { city: `${city}-${tag}` } });
    const r = await h().post('/api/v1/segments/count', { conditions: { field: 'fields.city', op: 'eq', value: `Oslo-${tag}` } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toEqual({ count: 2 });
    const any = await h().post('/api/v1/segments/count', { conditions: { any: [{ field: 'fields.city', op: 'eq', value: `Oslo-${tag}` }, { field: 'fields.city', op: 'eq', value: `Rome-${tag}` }] } });
    expect(any.body).toEqual({ count: 3 });
    const bad = await h().post('/api/v1/segments/count', { conditions: { all: [{ field: 'fields.city', op: 'near', value: 1 }, { event: '' }] } });
    expectProblem(bad, 400);
    const created = await h().post('/api/v1/segments', { name: 'x', type: 'dynamic', conditions: { all: [{ field: 'fields.city', op: 'near', value: 1 }, { event: '' }] } });
    expect(bad.body.errors).toEqual(created.body.errors);
    expect(bad.body.errors.length).toBeGreaterThanOrEqual(2);
    expectProblem(await h().post('/api/v1/segments/count', {}), 400);
    expectProblem(await h().post('/api/v1/segments/count', { conditions: { segment: '00000000-0000-0000-0000-000000000000' } }), 422, 'segment-not-found');
    const doc = (await h().get('/api/openapi.json', null)).body;
    expect(doc.paths['/api/v1/segments/count'].post).toBeDefined();
    expect(doc.paths['/api/v1/loyalty/programs/{pid}'].patch).toBeDefined();
    expect(doc.paths['/api/v1/loyalty/programs/{pid}/members'].get).toBeDefined();
    expect(doc.paths['/api/v1/market/orders'].get.parameters.map((x: { name: string }) => x.name)).toEqual(expect.arrayContaining(['profile', 'status']));
  });
});
