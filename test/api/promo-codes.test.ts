import { expect, it } from 'vitest';
import type { VirtualClock } from '../../src/domain/clock.js';
import { describeEachDatabase, type Harness } from '../helpers/harness.js';
import { expectProblem, makePool } from '../helpers/promo.js';

let seq = 0;
async function profile(h: Harness): Promise<{ id: string; email: string }> {
  const r = await h.post('/api/v1/profiles', { email: `buyer${++seq}-${Date.now()}@example.com` });
  expect(r.status).toBe(201);
  return r.body;
}

async function poolWithCodes(h: Harness, count: number, settings: Record<string, unknown> = {}) {
  const pool = await makePool(h, { generator: { template: '{symbol 8}' }, ...settings });
  if (count) expect((await h.post(`/api/v1/promo/pools/${pool.id}/generate`, { count })).body.generated).toBe(count);
  return pool;
}

const DAY = 86_400_000;

describeEachDatabase('promo code lifecycle', (h) => {
  it('issues the next free code, returns the same code again, and redeems it once', async () => {
    const pool = await poolWithCodes(h(), 3, { code_ttl: 'P30D' });
    const p = await profile(h());
    const issued = await h().post(`/api/v1/promo/pools/${pool.id}/issue`, { profile: { email: p.email.toUpperCase() } });
    expect(issued.status).toBe(200);
    const now = h().clock.now().getTime();
    expect(issued.body).toEqual({ code: expect.stringMatching(/^[A-Z0-9]{8}$/), pool_id: pool.id, expires_at: new Date(now + 30 * DAY).toISOString(), existing: false });
    const again = await h().post(`/api/v1/promo/pools/${pool.id}/issue`, { profile: { id: p.id } });
    expect(again.body).toMatchObject({ code: issued.body.code, existing: true });
    const code = issued.body.code;
    expect((await h().get(`/api/v1/promo/codes/${code}`)).body).toMatchObject({ code, pool_id: pool.id, status: 'issued', profile_id: p.id });

    const other = await profile(h());
    expectProblem(await h().post(`/api/v1/promo/codes/${code}/redeem`, { profile: { id: other.id } }), 422, 'code-not-issued-to-profile');
    const redeemed = await h().post(`/api/v1/promo/codes/${code}/redeem`, { profile: { id: p.id }, order_id: 'order-1' });
    expect(redeemed.status).toBe(200);
    expect(redeemed.body).toMatchObject({ code, status: 'redeemed' });
    expectProblem(await h().post(`/api/v1/promo/codes/${code}/redeem`, { profile: { id: p.id } }), 422, 'code-redeemed');
    expect((await h().get(`/api/v1/promo/codes/${code}`)).body).toMatchObject({ status: 'redeemed', order_id: 'order-1', redeemed_at: expect.any(String) });

    // a release for another order changes nothing; the right one undoes the redemption
    expectProblem(await h().post(`/api/v1/promo/codes/${code}/release`, { order_id: 'order-2' }), 422, 'code-not-redeemed');
    expect((await h().post(`/api/v1/promo/codes/${code}/release`, { order_id: 'order-1' })).body).toMatchObject({ status: 'issued' });
    expectProblem(await h().post(`/api/v1/promo/codes/${code}/release`, {}), 422, 'code-not-redeemed');
    expect((await h().post(`/api/v1/promo/codes/${code}/redeem`, { profile: { id: p.id } })).status).toBe(200);
    expect((await h().request('POST', `/api/v1/promo/codes/${code}/release`)).status).toBe(200);

    // a redeemed profile keeps its issued code; an available code is not the profile's
    const list = await h().get(`/api/v1/promo/pools/${pool.id}/codes?status=available`);
    expect(list.body.items).toHaveLength(2);
    expectProblem(await h().post(`/api/v1/promo/codes/${list.body.items[0].code}/redeem`, { profile: { id: p.id } }), 422, 'code-not-issued-to-profile');
    expectProblem(await h().post('/api/v1/promo/codes/NO-SUCH-CODE/redeem', { profile: { id: p.id } }), 404);
    expectProblem(await h().post(`/api/v1/promo/codes/${code}/redeem`, { profile: { email: 'nobody@example.com' } }), 404);
    expectProblem(await h().post(`/api/v1/promo/codes/${code}/redeem`, { profile: { email: 'not-an-email' } }), 400);
    expectProblem(await h().post(`/api/v1/promo/codes/${code}/redeem`, {}), 400);
    expectProblem(await h().get('/api/v1/promo/codes/NO-SUCH-CODE'), 404);
  });

  it('bounds issuing by the pool period and use by the code TTL', async () => {
    const clock = h().clock as VirtualClock;
    const start = clock.now().getTime();
    const pool = await poolWithCodes(h(), 4, {
      valid_from: new Date(start + DAY).toISOString(),
      valid_to: new Date(start + 3 * DAY).toISOString(),
      code_ttl: 'P5D',
    });
    const p = await profile(h());
    expectProblem(await h().post(`/api/v1/promo/pools/${pool.id}/issue`, { profile: { id: p.id } }), 422, 'pool-not-valid');
    clock.advance(2 * DAY);
    const issued = await h().post(`/api/v1/promo/pools/${pool.id}/issue`, { profile: { id: p.id } });
    expect(issued.status).toBe(200);
    clock.advance(2 * DAY); // the pool period is over, the code still works
    const late = await profile(h());
    expectProblem(await h().post(`/api/v1/promo/pools/${pool.id}/issue`, { profile: { id: late.id } }), 422, 'pool-not-valid');
    // …and the profile still gets its own code back
    expect((await h().post(`/api/v1/promo/pools/${pool.id}/issue`, { profile: { id: p.id } })).body.code).toBe(issued.body.code);
    clock.advance(4 * DAY); // past the TTL
    expectProblem(await h().post(`/api/v1/promo/codes/${issued.body.code}/redeem`, { profile: { id: p.id } }), 422, 'code-expired');
    expect((await h().get(`/api/v1/promo/codes/${issued.body.code}`)).body.status).toBe('expired');
    expectProblem(await h().post(`/api/v1/promo/codes/${issued.body.code}/detach`, {}), 422, 'code-expired');
    const expired = await h().get(`/api/v1/promo/pools/${pool.id}/codes?status=expired`);
    expect(expired.body.items.map((c: { code: string }) => c.code)).toEqual([issued.body.code]);
    expect((await h().get(`/api/v1/promo/pools/${pool.id}/codes?status=issued`)).body.items).toEqual([]);
    // the sweep marks it in storage and on the timeline, once
    expect(await h().ctx.work.drain('promo-expiry')).toBeGreaterThanOrEqual(1);
    expect(await h().ctx.work.drain('promo-expiry')).toBe(0);
    const stored = await h().ctx.db.selectFrom('promo_codes').select('status').where('code', '=', issued.body.code).executeTakeFirstOrThrow();
    expect(stored.status).toBe('expired');
    expect((await h().get(`/api/v1/promo/pools/${pool.id}/codes?status=expired`)).body.items).toHaveLength(1);
    const kinds = (await h().get(`/api/v1/profiles/${p.id}/timeline`)).body.items.map((e: { kind: string }) => e.kind);
    expect(kinds).toEqual(['promo_code_expired', 'promo_code_issued']);
    // an expired profile gets a fresh code while the pool period allows it (here it does not)
    expectProblem(await h().post(`/api/v1/promo/pools/${pool.id}/issue`, { profile: { id: p.id } }), 422, 'pool-not-valid');
  });

  it('detaches, deletes and pauses with the right refusals, and puts every step on the timeline', async () => {
    const pool = await poolWithCodes(h(), 3);
    const p = await profile(h());
    const { code } = (await h().post(`/api/v1/promo/pools/${pool.id}/issue`, { profile: { id: p.id } })).body;
    expect((await h().post(`/api/v1/promo/codes/${code}/detach`, {})).body).toMatchObject({ code, status: 'available' });
    expect((await h().get(`/api/v1/promo/codes/${code}`)).body).toMatchObject({ status: 'available', profile_id: null, issued_at: null });
    expectProblem(await h().post(`/api/v1/promo/codes/${code}/detach`, {}), 422, 'code-not-issued');

    const second = (await h().post(`/api/v1/promo/pools/${pool.id}/issue`, { profile: { id: p.id } })).body.code;
    await h().post(`/api/v1/promo/codes/${second}/redeem`, { profile: { id: p.id }, order_id: 'o-9' });
    expectProblem(await h().post(`/api/v1/promo/codes/${second}/detach`, {}), 422, 'code-redeemed');
    expectProblem(await h().request('DELETE', `/api/v1/promo/pools/${pool.id}/codes/${second}`), 422, 'code-redeemed');
    await h().post(`/api/v1/promo/codes/${second}/release`, {});
    expect((await h().request('DELETE', `/api/v1/promo/pools/${pool.id}/codes/${second}`)).status).toBe(204);
    expect((await h().get(`/api/v1/promo/codes/${second}`)).body.status).toBe('deleted');
    expectProblem(await h().post(`/api/v1/promo/codes/${second}/redeem`, { profile: { id: p.id } }), 422, 'code-deleted');
    expectProblem(await h().request('DELETE', `/api/v1/promo/pools/${pool.id}/codes/${second}`), 404);
    const otherPool = await makePool(h());
    expectProblem(await h().request('DELETE', `/api/v1/promo/pools/${otherPool.id}/codes/${code}`), 404);

    const third = (await h().post(`/api/v1/promo/pools/${pool.id}/issue`, { profile: { id: p.id } })).body.code;
    await h().post(`/api/v1/promo/pools/${pool.id}/pause`);
    expectProblem(await h().post(`/api/v1/promo/codes/${third}/redeem`, { profile: { id: p.id } }), 422, 'pool-not-valid');
    expectProblem(await h().post(`/api/v1/promo/pools/${pool.id}/issue`, { profile: { id: (await profile(h())).id } }), 422, 'pool-not-valid');
    await h().post(`/api/v1/promo/pools/${pool.id}/resume`);
    expect((await h().post(`/api/v1/promo/codes/${third}/redeem`, { profile: { id: p.id } })).status).toBe(200);

    const timeline = await h().get(`/api/v1/profiles/${p.id}/timeline`);
    const kinds = timeline.body.items.map((e: { kind: string }) => e.kind).reverse();
    expect(kinds).toEqual([
      'promo_code_issued', 'promo_code_detached', 'promo_code_issued', 'promo_code_redeemed', 'promo_code_released',
      'promo_code_deleted', 'promo_code_issued', 'promo_code_redeemed',
    ]);
    expect(timeline.body.items[0]).toMatchObject({ title: `promo code redeemed: ${third}`, data: { code: third, pool_id: pool.id } });
  });

  it('generates a code on issue when the pool allows it, and refuses when it does not', async () => {
    const strict = await poolWithCodes(h(), 0);
    expectProblem(await h().post(`/api/v1/promo/pools/${strict.id}/issue`, { profile: { id: (await profile(h())).id } }), 422, 'pool-exhausted');
    const open = await makePool(h(), { generator: { template: 'GIFT-{number 6}' }, scenario_can_create: true, code_ttl: 'P1D' });
    const p = await profile(h());
    const viaCampaign = await h().post(`/api/v1/promo/pools/${open.id}/issue`, { profile: { id: p.id }, via: 'campaign' });
    expectProblem(viaCampaign, 422, 'pool-exhausted');
    const r = await h().post(`/api/v1/promo/pools/${open.id}/issue`, { profile: { id: p.id }, via: 'scenario' });
    expect(r.status).toBe(200);
    expect(r.body.code).toMatch(/^GIFT-[0-9]{6}$/);
    expect((await h().get(`/api/v1/promo/codes/${r.body.code}`)).body).toMatchObject({ status: 'issued', profile_id: p.id });
    const capped = await makePool(h(), { generator: { template: 'C{number 1}' }, campaign_can_create: true, max_codes: 1 });
    expect((await h().post(`/api/v1/promo/pools/${capped.id}/issue`, { profile: { id: p.id } })).status).toBe(200);
    expectProblem(await h().post(`/api/v1/promo/pools/${capped.id}/issue`, { profile: { id: (await profile(h())).id } }), 422, 'pool-exhausted');
  });

  it('hands the first active shared code to every profile of a multi_profile pool', async () => {
    const pool = await makePool(h(), { generator: { template: 'TEAM-{number 4}' }, multi_profile: true, code_ttl: 'P10D' });
    await h().post(`/api/v1/promo/pools/${pool.id}/generate`, { count: 2 });
    const [a, b] = [await profile(h()), await profile(h())];
    const ca = (await h().post(`/api/v1/promo/pools/${pool.id}/issue`, { profile: { id: a.id } })).body;
    const cb = (await h().post(`/api/v1/promo/pools/${pool.id}/issue`, { profile: { id: b.id } })).body;
    expect(cb.code).toBe(ca.code);
    expect((await h().post(`/api/v1/promo/pools/${pool.id}/issue`, { profile: { id: a.id } })).body).toMatchObject({ code: ca.code, existing: true });
    expect((await h().post(`/api/v1/promo/codes/${ca.code}/redeem`, { profile: { id: a.id }, order_id: 'a-1' })).status).toBe(200);
    expect((await h().post(`/api/v1/promo/codes/${ca.code}/redeem`, { profile: { id: b.id } })).status).toBe(200);
    expectProblem(await h().post(`/api/v1/promo/codes/${ca.code}/redeem`, { profile: { id: a.id } }), 422, 'code-redeemed');
    const stranger = await profile(h());
    expectProblem(await h().post(`/api/v1/promo/codes/${ca.code}/redeem`, { profile: { id: stranger.id } }), 422, 'code-not-issued-to-profile');
    expectProblem(await h().post(`/api/v1/promo/codes/${ca.code}/release`, {}), 422, 'profile-required');
    expect((await h().post(`/api/v1/promo/codes/${ca.code}/release`, { order_id: 'a-1' })).status).toBe(200);
    expect((await h().post(`/api/v1/promo/codes/${ca.code}/redeem`, { profile: { id: a.id } })).status).toBe(200);
    expect((await h().get(`/api/v1/promo/codes/${ca.code}`)).body.status).toBe('issued');
  });

  it('50 parallel issues to 50 profiles on a pool of exactly 50 codes give 50 distinct codes; the 51st is refused', async () => {
    const pool = await poolWithCodes(h(), 50);
    const people = await Promise.all(Array.from({ length: 51 }, () => profile(h())));
    const results = await Promise.all(people.slice(0, 50).map((p) => h().post(`/api/v1/promo/pools/${pool.id}/issue`, { profile: { id: p.id } })));
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(200));
    expect(new Set(results.map((r) => r.body.code)).size).toBe(50);
    expectProblem(await h().post(`/api/v1/promo/pools/${pool.id}/issue`, { profile: { id: people[50].id } }), 422, 'pool-exhausted');
    const issued = await h().get(`/api/v1/promo/pools/${pool.id}/codes?status=issued&limit=100`);
    expect(new Set(issued.body.items.map((c: { profile_id: string }) => c.profile_id)).size).toBe(50);
  });

  it('one profile asking 10 times at once gets one code', async () => {
    const pool = await poolWithCodes(h(), 20);
    const p = await profile(h());
    const results = await Promise.all(Array.from({ length: 10 }, () => h().post(`/api/v1/promo/pools/${pool.id}/issue`, { profile: { id: p.id } })));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(new Set(results.map((r) => r.body.code)).size).toBe(1);
  });

  it('20 parallel redeems of one code: exactly one succeeds', async () => {
    const pool = await poolWithCodes(h(), 1);
    const p = await profile(h());
    const { code } = (await h().post(`/api/v1/promo/pools/${pool.id}/issue`, { profile: { id: p.id } })).body;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => h().post(`/api/v1/promo/codes/${code}/redeem`, { profile: { id: p.id }, order_id: `order-${i}` })),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    const refused = results.filter((r) => r.status !== 200);
    expect(refused).toHaveLength(19);
    for (const r of refused) expectProblem(r, 422, 'code-redeemed');
    const events = (await h().get(`/api/v1/profiles/${p.id}/timeline`)).body.items.filter((e: { kind: string }) => e.kind === 'promo_code_redeemed');
    expect(events).toHaveLength(1);
  });

  it('pages through codes with a cursor and refuses a bad one', async () => {
    const pool = await poolWithCodes(h(), 7);
    const first = await h().get(`/api/v1/promo/pools/${pool.id}/codes?limit=4`);
    const rest = await h().get(`/api/v1/promo/pools/${pool.id}/codes?limit=4&cursor=${first.body.next_cursor}`);
    expect(rest.body.next_cursor).toBeNull();
    expect(new Set([...first.body.items, ...rest.body.items].map((c: { code: string }) => c.code)).size).toBe(7);
    expectProblem(await h().get(`/api/v1/promo/pools/${pool.id}/codes?cursor=zzz`), 400);
    expectProblem(await h().get(`/api/v1/promo/pools/${pool.id}/codes?status=lost`), 400);
    expectProblem(await h().get('/api/v1/promo/pools/00000000-0000-0000-0000-000000000000/codes'), 404);
  });
});
