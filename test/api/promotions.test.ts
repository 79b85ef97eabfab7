import { expect, it } from 'vitest';
import type { VirtualClock } from '../../src/domain/clock.js';
import { describeEachDatabase, type Harness } from '../helpers/harness.js';
import { expectProblem, makePool } from '../helpers/promo.js';

const programs = '/api/v1/loyalty/programs';
let seq = 0;

async function program(h: Harness, extra: Record<string, unknown> = {}) {
  const r = await h.post(programs, { name: `Club ${++seq}`, currency: 'EUR', point_value: 0.01, points_rounding: 'floor', redeem_max_share: 0.5, ...extra });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as { id: string; timezone: string };
}

describeEachDatabase('promotions', (h) => {
  it('creates a promotion with every field, reads it back, and lists by status and type with a cursor', async () => {
    const p = await program(h());
    const pool = await makePool(h(), { generator: { template: 'PR-{number 6}' } });
    const body = {
      name: 'Spring shoes',
      type: 'discount',
      priority: 250,
      combinable: false,
      starts_at: '2026-03-01T00:00:00Z',
      ends_at: '2026-04-01T00:00:00Z',
      status: 'active',
      conditions: { all: [{ subtotal: { gte: 50 } }, { not: { tier: 'Gold' } }, { weekday: ['sat', 'sun'] }, { field: 'fields.city', op: 'eq', value: 'Berlin' }] },
      applies_to: { categories: ['shoes'], product_ids: ['p-1'] },
      promo_code_pool_id: pool.id,
      benefit: { kind: 'percent', value: 12.5, max_discount: 20 },
      limits: { per_member: 1, total_uses: 1000 },
    };
    const created = await h().post(`${programs}/${p.id}/promotions`, body);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({
      ...body,
      program_id: p.id,
      starts_at: '2026-03-01T00:00:00.000Z',
      ends_at: '2026-04-01T00:00:00.000Z',
      applies_to: { categories: ['shoes'], product_ids: ['p-1'], skus: [] },
      limits: { per_member: 1, total_uses: 1000, budget_points: null },
      usage: { uses: 0, points: 0 },
    });
    expect((await h().get(`${programs}/${p.id}/promotions/${created.body.id}`)).body).toEqual(created.body);
    const ids = [created.body.id];
    for (const [i, type] of ['points', 'trigger', 'points'].entries()) {
      const r = await h().post(`${programs}/${p.id}/promotions`, { name: `P${i}`, type, status: i === 2 ? 'paused' : 'active', benefit: { kind: 'points_fixed', value: 10 } });
      expect(r.status).toBe(201);
      ids.push(r.body.id);
    }
    const page1 = await h().get(`${programs}/${p.id}/promotions?limit=2`);
    expect(page1.body.items.map((x: { id: string }) => x.id)).toEqual(ids.slice(0, 2));
    const page2 = await h().get(`${programs}/${p.id}/promotions?limit=2&cursor=${page1.body.next_cursor}`);
    expect(page2.body).toMatchObject({ next_cursor: null });
    expect(page2.body.items.map((x: { id: string }) => x.id)).toEqual(ids.slice(2));
    expect((await h().get(`${programs}/${p.id}/promotions?type=points&status=active`)).body.items.map((x: { id: string }) => x.id)).toEqual([ids[1]]);
    expectProblem(await h().get(`${programs}/${p.id}/promotions?cursor=zzz`), 400);
  });

  it('refuses bad promotions naming every bad field; an unknown pool is 422; unknown ids are 404', async () => {
    const p = await program(h());
    const bad = await h().post(`${programs}/${p.id}/promotions`, {
      name: 'Bad',
      type: 'points',
      starts_at: '2026-05-01T00:00:00Z',
      ends_at: '2026-04-01T00:00:00Z',
      conditions: { all: [{ subtotal: { gte: 10.005 } }, { weekday: ['someday'] }, { colour: 'red' }, { hour: [25] }] },
      applies_to: { brands: ['x'] },
      benefit: { kind: 'percent', value: 10, max_discount: 5 },
      limits: { budget_points: 0 },
    });
    expectProblem(bad, 400, 'invalid-request');
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(
      [
        'ends_at',
        'conditions.all.0.subtotal.gte',
        'conditions.all.1.weekday.0',
        'conditions.all.2',
        'conditions.all.3.hour.0',
        'applies_to.brands',
        'benefit.kind',
        'benefit.max_discount',
        'limits.budget_points',
      ].sort(),
    );
    const schema = await h().post(`${programs}/${p.id}/promotions`, { name: 'x', type: 'gift', benefit: { kind: 'percent' } });
    expectProblem(schema, 400);
    expect(schema.body.errors.map((e: { path: string }) => e.path)).toEqual(expect.arrayContaining(['type', 'benefit.value']));
    const pool = await h().post(`${programs}/${p.id}/promotions`, { name: 'x', type: 'discount', benefit: { kind: 'percent', value: 5 }, promo_code_pool_id: '00000000-0000-7000-8000-000000000001' });
    expectProblem(pool, 422, 'pool-not-found');
    expectProblem(await h().post(`${programs}/00000000-0000-7000-8000-000000000009/promotions`, { name: 'x', type: 'discount', benefit: { kind: 'percent', value: 5 } }), 404);
    expectProblem(await h().get(`${programs}/${p.id}/promotions/00000000-0000-7000-8000-000000000009`), 404);
    expect((await h().get('/readyz')).status).toBe(200);
  });

  it('PATCH replaces fields, merges benefit and limits, and re-checks the whole; pause and resume', async () => {
    const p = await program(h());
    const created = (await h().post(`${programs}/${p.id}/promotions`, { name: 'Fixed', type: 'discount', benefit: { kind: 'fixed', value: 5, max_discount: 4 }, limits: { total_uses: 10, per_member: 2 } })).body;
    const patched = await h().request('PATCH', `${programs}/${p.id}/promotions/${created.id}`, { body: { name: 'Fixed 7.50', benefit: { value: 7.5 }, limits: { per_member: null } } });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body).toMatchObject({ name: 'Fixed 7.50', benefit: { kind: 'fixed', value: 7.5, max_discount: 4 }, limits: { total_uses: 10, per_member: null, budget_points: null } });
    const clash = await h().request('PATCH', `${programs}/${p.id}/promotions/${created.id}`, { body: { type: 'points' } });
    expectProblem(clash, 400);
    expect(clash.body.errors.map((e: { path: string }) => e.path)).toEqual(['benefit.kind', 'benefit.max_discount']);
    expectProblem(await h().request('PATCH', `${programs}/${p.id}/promotions/${created.id}`, { body: {} }), 400);
    const paused = await h().post(`${programs}/${p.id}/promotions/${created.id}/pause`);
    expect(paused.body.status).toBe('paused');
    expect((await h().post(`${programs}/${p.id}/promotions/${created.id}/pause`)).body.status).toBe('paused');
    expect((await h().post(`${programs}/${p.id}/promotions/${created.id}/resume`)).body.status).toBe('active');
    expect((await h().request('PATCH', `${programs}/${p.id}/promotions/${created.id}`, { body: { limits: null } })).body.limits).toEqual({ per_member: null, total_uses: null, budget_points: null });
  });

  it('partner products: put (create, then replace), get, list, delete; bad terms name their fields', async () => {
    const p = await program(h());
    const put = await h().request('PUT', `${programs}/${p.id}/partner-products/sku-9`, { body: { cashback_percent: 7.5, discount_percent: 10, starts_at: '2026-01-01T00:00:00Z' } });
    expect(put.status, JSON.stringify(put.body)).toBe(201);
    expect(put.body).toMatchObject({ program_id: p.id, product_id: 'sku-9', cashback_percent: 7.5, discount_percent: 10, starts_at: '2026-01-01T00:00:00.000Z', ends_at: null });
    const again = await h().request('PUT', `${programs}/${p.id}/partner-products/sku-9`, { body: { cashback_percent: 3 } });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ cashback_percent: 3, discount_percent: null, starts_at: null });
    await h().request('PUT', `${programs}/${p.id}/partner-products/sku-1`, { body: { discount_percent: 5 } });
    expect((await h().get(`${programs}/${p.id}/partner-products`)).body.items.map((x: { product_id: string }) => x.product_id)).toEqual(['sku-1', 'sku-9']);
    const bad = await h().request('PUT', `${programs}/${p.id}/partner-products/sku-2`, { body: { discount_percent: 150, cashback_percent: 0 } });
    expectProblem(bad, 400);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['cashback_percent', 'discount_percent']);
    expectProblem(await h().request('PUT', `${programs}/${p.id}/partner-products/sku-2`, { body: {} }), 400);
    expect((await h().request('DELETE', `${programs}/${p.id}/partner-products/sku-9`)).status).toBe(204);
    expectProblem(await h().get(`${programs}/${p.id}/partner-products/sku-9`), 404);
    expectProblem(await h().request('DELETE', `${programs}/${p.id}/partner-products/sku-9`), 404);
  });

  it('trigger promotions decide or bound the points of accrue and redeem, and count against their limits', async () => {
    const p = await program(h());
    await h().post('/api/v1/profiles', { email: 'trig@example.com', fields: { app: true } });
    const m = (await h().post(`${programs}/${p.id}/members`, { profile: { email: 'trig@example.com' } })).body;
    const install = (
      await h().post(`${programs}/${p.id}/promotions`, {
        name: 'App install',
        type: 'trigger',
        conditions: { field: 'fields.app', op: 'eq', value: true },
        benefit: { kind: 'points_fixed', value: 150 },
        limits: { per_member: 1, budget_points: 1000 },
      })
    ).body;
    const accrue = (body: Record<string, unknown>) => h().post(`${programs}/${p.id}/accrue`, { member_id: m.id, reason: 'app installed', ...body });
    expectProblem(await accrue({ promotion_id: install.id, points: 200 }), 422, 'points-above-promotion');
    const first = await accrue({ promotion_id: install.id });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body).toMatchObject({ points: 150, status: 'done', balance: 150 });
    expectProblem(await accrue({ promotion_id: install.id }), 422, 'limit-reached');
    expect((await h().get(`${programs}/${p.id}/promotions/${install.id}`)).body.usage).toEqual({ uses: 1, points: 150 });
    const hist = (await h().get(`${programs}/${p.id}/members/${m.id}/history`)).body.items;
    expect(hist[0]).toMatchObject({ kind: 'accrual', points: 150, promotion_id: install.id });
    // A multiplier: double points on what the call names, within the period.
    const clock = h().clock as VirtualClock;
    const now = clock.now().getTime();
    const double = (
      await h().post(`${programs}/${p.id}/promotions`, { name: 'Double', type: 'trigger', ends_at: new Date(now + 86_400_000).toISOString(), benefit: { kind: 'points_multiplier', value: 2 } })
    ).body;
    expect((await accrue({ promotion_id: double.id, points: 35 })).body).toMatchObject({ points: 70, balance: 220 });
    expectProblem(await accrue({ promotion_id: double.id }), 422, 'points-required');
    expectProblem(await accrue({}), 400);
    // Redeem bounded by a promotion: at most 100 points for the gift.
    const gift = (await h().post(`${programs}/${p.id}/promotions`, { name: 'Gift', type: 'trigger', benefit: { kind: 'points_fixed', value: 100 } })).body;
    expectProblem(await h().post(`${programs}/${p.id}/redeem`, { member_id: m.id, reason: 'gift', points: 120, promotion_id: gift.id }), 422, 'points-above-promotion');
    expect((await h().post(`${programs}/${p.id}/redeem`, { member_id: m.id, reason: 'gift', promotion_id: gift.id })).body).toMatchObject({ points: 100, balance: 120 });
    // Not a trigger promotion, unknown, paused, ended: refused, nothing written.
    const disc = (await h().post(`${programs}/${p.id}/promotions`, { name: 'D', type: 'discount', benefit: { kind: 'percent', value: 5 } })).body;
    expectProblem(await accrue({ promotion_id: disc.id, points: 5 }), 422, 'promotion-not-trigger');
    expectProblem(await accrue({ promotion_id: '00000000-0000-7000-8000-000000000009', points: 5 }), 422, 'promotion-not-found');
    await h().post(`${programs}/${p.id}/promotions/${gift.id}/pause`);
    expectProblem(await h().post(`${programs}/${p.id}/redeem`, { member_id: m.id, reason: 'gift', promotion_id: gift.id }), 422, 'promotion-paused');
    clock.advance(2 * 86_400_000);
    expectProblem(await accrue({ promotion_id: double.id, points: 10 }), 422, 'ended');
    expect((await h().get(`${programs}/${p.id}/members/${m.id}`)).body.balance).toBe(120);
    // Idempotent with external_id: the second call answers the first and counts nothing.
    const once = (await h().post(`${programs}/${p.id}/promotions`, { name: 'Once', type: 'trigger', benefit: { kind: 'points_fixed', value: 5 }, limits: { total_uses: 1 } })).body;
    expect((await accrue({ promotion_id: once.id, external_id: 'ext-1' })).status).toBe(201);
    expect((await accrue({ promotion_id: once.id, external_id: 'ext-1' })).status).toBe(200);
    expect((await h().get(`${programs}/${p.id}/promotions/${once.id}`)).body.usage).toEqual({ uses: 1, points: 5 });
  });

  it('programs keep a time zone for order conditions', async () => {
    expect((await program(h())).timezone).toBe('UTC');
    expect((await program(h(), { timezone: 'Europe/Berlin' })).timezone).toBe('Europe/Berlin');
    const bad = await h().post(programs, { name: 'TZ', currency: 'EUR', point_value: 0.01, points_rounding: 'floor', redeem_max_share: 0.5, timezone: 'Mars/Olympus' });
    expectProblem(bad, 400);
    expect(bad.body.errors).toEqual([{ path: 'timezone', message: expect.any(String) }]);
  });
});
