import { expect, it } from 'vitest';
import type { VirtualClock } from '../../src/domain/clock.js';
import { describeEachDatabase, type Harness } from '../helpers/harness.js';
import { expectProblem, makePool } from '../helpers/promo.js';

let seq = 0;
async function profiles(h: Harness, n: number): Promise<{ id: string; email: string }[]> {
  return Promise.all(
    Array.from({ length: n }, async () => {
      const r = await h.post('/api/v1/profiles', { email: `limit${++seq}-${Date.now()}@example.com` });
      expect(r.status).toBe(201);
      return r.body;
    }),
  );
}

describeEachDatabase('promo pool limits and totals', (h) => {
  it('50 parallel issues on a generate-on-issue pool with max_codes 50 give 50 distinct codes; the 51st is pool-exhausted', async () => {
    const pool = await makePool(h(), { generator: { template: 'CAP-{symbol 8}' }, scenario_can_create: true, max_codes: 50 });
    const people = await profiles(h(), 51);
    const results = await Promise.all(people.slice(0, 50).map((p) => h().post(`/api/v1/promo/pools/${pool.id}/issue`, { profile: { id: p.id } })));
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(200));
    expect(new Set(results.map((r) => r.body.code)).size).toBe(50);
    const refused = await h().post(`/api/v1/promo/pools/${pool.id}/issue`, { profile: { id: people[50].id } });
    expectProblem(refused, 422, 'pool-exhausted');
    expect(refused.body.detail).toContain('max_codes');
    const view = (await h().get(`/api/v1/promo/pools/${pool.id}`)).body;
    expect(view.counts).toEqual({ available: 0, issued: 50, redeemed: 0, expired: 0, deleted: 0 });
    const stored = await h().ctx.db.selectFrom('promo_codes').select((eb) => eb.fn.countAll<number>().as('n')).where('pool_id', '=', pool.id).executeTakeFirstOrThrow();
    expect(Number(stored.n)).toBe(50);
  });

  it('parallel generations never pass max_codes together, and a refused one leaves the counter where it was', async () => {
    const pool = await makePool(h(), { generator: { template: 'PG-{symbol 8}' }, max_codes: 100 });
    const results = await Promise.all(Array.from({ length: 6 }, () => h().post(`/api/v1/promo/pools/${pool.id}/generate`, { count: 30 })));
    const ok = results.filter((r) => r.status === 200);
    expect(ok).toHaveLength(3);
    for (const r of results.filter((x) => x.status !== 200)) expectProblem(r, 422, 'pool-exhausted');
    expect((await h().get(`/api/v1/promo/pools/${pool.id}`)).body.counts.available).toBe(90);
    expect((await h().post(`/api/v1/promo/pools/${pool.id}/generate`, { count: 10 })).body).toEqual({ generated: 10, total: 100 });
    expectProblem(await h().post(`/api/v1/promo/pools/${pool.id}/generate`, { count: 1 }), 422, 'pool-exhausted');
  });

  it('an import stops at max_codes: the rows past it are reported and not stored', async () => {
    const pool = await makePool(h(), { max_codes: 3 });
    const csv = ['code', 'IM-1', 'IM-2', 'IM-1', 'IM-3', 'IM-4', 'IM-5'].join('\n');
    const r = await h().request('POST', `/api/v1/promo/pools/${pool.id}/import`, { raw: csv, headers: { 'content-type': 'text/csv' } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toEqual({
      added: 3,
      duplicates: 1,
      invalid: 2,
      errors: [
        { row: 6, message: 'the pool holds max_codes (3) codes' },
        { row: 7, message: 'the pool holds max_codes (3) codes' },
      ],
    });
    const codes = (await h().get(`/api/v1/promo/pools/${pool.id}/codes`)).body.items.map((c: { code: string }) => c.code).sort();
    expect(codes).toEqual(['IM-1', 'IM-2', 'IM-3']);
    const again = await h().request('POST', `/api/v1/promo/pools/${pool.id}/import`, { raw: 'code\nIM-9\n', headers: { 'content-type': 'text/csv' } });
    expect(again.body).toMatchObject({ added: 0, invalid: 1 });
  });

  it('reports per-status totals in the pool view and the list', async () => {
    const pool = await makePool(h(), { generator: { template: 'ST-{symbol 8}' }, code_ttl: 'P1D' });
    expect(pool.counts).toEqual({ available: 0, issued: 0, redeemed: 0, expired: 0, deleted: 0 });
    await h().post(`/api/v1/promo/pools/${pool.id}/generate`, { count: 6 });
    const [a, b, c] = await profiles(h(), 3);
    const ca = (await h().post(`/api/v1/promo/pools/${pool.id}/issue`, { profile: { id: a.id } })).body.code;
    await h().post(`/api/v1/promo/pools/${pool.id}/issue`, { profile: { id: b.id } });
    expect((await h().post(`/api/v1/promo/codes/${ca}/redeem`, { profile: { id: a.id } })).status).toBe(200);
    const free = (await h().get(`/api/v1/promo/pools/${pool.id}/codes?status=available`)).body.items[0].code;
    expect((await h().request('DELETE', `/api/v1/promo/pools/${pool.id}/codes/${free}`)).status).toBe(204);
    const view = (await h().get(`/api/v1/promo/pools/${pool.id}`)).body;
    expect(view.counts).toEqual({ available: 3, issued: 1, redeemed: 1, expired: 0, deleted: 1 });
    (h().clock as VirtualClock).advance(2 * 86_400_000);
    await h().post(`/api/v1/promo/pools/${pool.id}/issue`, { profile: { id: c.id } });
    const later = (await h().get(`/api/v1/promo/pools/${pool.id}`)).body.counts;
    expect(later).toEqual({ available: 2, issued: 1, redeemed: 1, expired: 1, deleted: 1 });
    const listed = (await h().get('/api/v1/promo/pools?limit=1000')).body.items.find((p: { id: string }) => p.id === pool.id);
    expect(listed.counts).toEqual(later);
    const doc = (await h().get('/api/openapi.json', null)).body;
    expect(Object.keys(doc.paths['/api/v1/promo/pools/{id}'].get.responses['200'].content['application/json'].schema.properties.counts.properties)).toEqual([
      'available', 'issued', 'redeemed', 'expired', 'deleted',
    ]);
  });
});
