import { expect, it } from 'vitest';
import type { VirtualClock } from '../../src/domain/clock.js';
import { describeEachDatabase, type Harness } from '../helpers/harness.js';

const DAY = 86_400_000;
const base = '/api/v1/loyalty/programs';

async function program(h: Harness, extra: Record<string, unknown> = {}) {
  const r = await h.post(base, { name: 'Club', currency: 'eur', point_value: 0.1, points_rounding: 'floor', redeem_max_share: 0.5, ...extra });
  expect(r.status).toBe(201);
  return r.body as { id: string };
}

async function member(h: Harness, pid: string, email: string) {
  await h.post('/api/v1/profiles', { email });
  const r = await h.post(`${base}/${pid}/members`, { profile: { email } });
  expect([200, 201]).toContain(r.status);
  return r.body as { id: string; profile_id: string; balance: number };
}

async function historySum(h: Harness, pid: string, ref: string) {
  const r = await h.get(`${base}/${pid}/members/${encodeURIComponent(ref)}/history?limit=1000`);
  expect(r.status).toBe(200);
  return { items: r.body.items as { kind: string; points: number; balance_after: number }[], sum: r.body.items.reduce((s: number, e: { points: number }) => s + e.points, 0) };
}

/** Drains a task; the process's own work loop may be running the same batch, so wait for its result too. */
async function settle<T>(h: Harness, task: string, read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  for (let i = 0; i < 50; i++) {
    await h.ctx.work.drain(task);
    const v = await read();
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 40));
  }
  return read();
}

describeEachDatabase('loyalty', (h) => {
  it('creates a program with every setting and refuses bad ones, naming each field', async () => {
    const r = await h().post(base, {
      name: 'Gold club',
      currency: 'usd',
      welcome_points: 100,
      point_value: 0.01,
      points_rounding: 'round',
      points_ttl: 'P180D',
      accrual_hold: 'P14D',
      redeem_max_share: 0.3,
      tiers: [
        { name: 'gold', min_spend: 1000, accrual_multiplier: 1.5 },
        { name: 'silver', min_spend: 100.5 },
      ],
      tier_window: 'P90D',
      expiry_notice: 'P3D',
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      currency: 'USD',
      welcome_points: 100,
      point_value: 0.01,
      points_rounding: 'round',
      points_ttl: 'P180D',
      accrual_hold: 'P14D',
      redeem_max_share: 0.3,
      tier_window: 'P90D',
      expiry_notice: 'P3D',
      tiers: [
        { name: 'silver', min_spend: 100.5, accrual_multiplier: 1 },
        { name: 'gold', min_spend: 1000, accrual_multiplier: 1.5 },
      ],
    });
    expect((await h().get(`${base}/${r.body.id}`)).body.id).toBe(r.body.id);
    const defaults = await program(h());
    expect(defaults).toMatchObject({ points_ttl: 'P365D', tier_window: 'P365D', expiry_notice: 'P7D', welcome_points: 0, accrual_hold: null });

    const bad = await h().post(base, { name: 'x', currency: 'EURO', point_value: 0.001, points_rounding: 'up', redeem_max_share: 2, extra: 1 });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['currency', 'extra', 'points_rounding', 'redeem_max_share']);
    const bad2 = await h().post(base, { name: 'x', currency: 'EUR', point_value: 0.001, points_rounding: 'floor', redeem_max_share: 0.5, points_ttl: 'soon', tiers: [{ name: 'a', min_spend: 1 }, { name: 'a', min_spend: 2 }] });
    expect(bad2.status).toBe(400);
    expect(bad2.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['point_value', 'points_ttl', 'tiers.1.name']);
    expect((await h().get(`${base}/00000000-0000-0000-0000-000000000000`)).status).toBe(404);
    const doc = (await h().get('/api/openapi.json', null)).body;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/loyalty/programs/{pid}/accrue',
        '/api/v1/loyalty/programs/{pid}/members/{ref}/history',
        '/api/v1/loyalty/programs/{pid}/report',
        '/api/v1/market/orders/{id}/refund',
        '/api/v1/market/products/import',
      ]),
    );
  });

  it('registers members once per profile with welcome points, and finds them by every reference', async () => {
    const p = await program(h(), { welcome_points: 50 });
    await h().post('/api/v1/profiles', { email: 'Ann@Example.com', phone: '+14155550101' });
    const first = await h().post(`${base}/${p.id}/members`, { profile: { email: 'ann@example.com' } });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ balance: 50, pending: 0, tier: null });
    const again = await h().post(`${base}/${p.id}/members`, { profile: { phone: '+1 415 555 0101' } });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    expect(again.body.balance).toBe(50);
    for (const ref of [first.body.id, first.body.profile_id, 'ANN@example.com', '+14155550101']) {
      const r = await h().get(`${base}/${p.id}/members/${encodeURIComponent(ref)}`);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ id: first.body.id, balance: 50, pending: 0 });
      expect(r.body.expiring).toEqual([{ points: 50, expires_at: expect.any(String) }]);
    }
    expect((await h().get(`${base}/${p.id}/members/nobody@example.com`)).status).toBe(404);
    expect((await h().post(`${base}/${p.id}/members`, { profile: { email: 'ghost@example.com' } })).status).toBe(404);
    const timeline = await h().get(`/api/v1/profiles/${first.body.profile_id}/timeline`);
    expect(timeline.body.items.some((e: { kind: string; data: { points: number } }) => e.kind === 'ledger' && e.data.points === 50)).toBe(true);
    const events = timeline.body.items.filter((e: { kind: string; title: string }) => e.kind === 'event' && e.title === 'points_accrued');
    expect(events).toHaveLength(1);
  });

  it('accrues and redeems with signed history, insufficient-points, external_id idempotency', async () => {
    const p = await program(h());
    const m = await member(h(), p.id, 'bob@example.com');
    const acc = await h().post(`${base}/${p.id}/accrue`, { member_id: m.id, points: 300, reason: 'purchase', external_id: 'acc-1' });
    expect(acc.status).toBe(201);
    expect(acc.body).toMatchObject({ status: 'done', balance: 300 });
    const dup = await h().post(`${base}/${p.id}/accrue`, { member_id: m.id, points: 300, reason: 'purchase', external_id: 'acc-1' });
    expect(dup.status).toBe(200);
    expect(dup.body.id).toBe(acc.body.id);
    const other = await h().post(`${base}/${p.id}/accrue`, { member_id: m.id, points: 301, reason: 'purchase', external_id: 'acc-1' });
    expect(other.status).toBe(409);
    const red = await h().post(`${base}/${p.id}/redeem`, { profile: { email: 'bob@example.com' }, points: 120, reason: 'discount' });
    expect(red.status).toBe(201);
    expect(red.body).toMatchObject({ status: 'done', balance: 180 });
    const tooMuch = await h().post(`${base}/${p.id}/redeem`, { member_id: m.id, points: 181, reason: 'discount' });
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.body.type).toBe('/problems/insufficient-points');
    const both = await h().post(`${base}/${p.id}/redeem`, { member_id: m.id, profile: { email: 'bob@example.com' }, points: 1, reason: 'x' });
    expect(both.status).toBe(400);
    const unknown = await h().post(`${base}/${p.id}/accrue`, { member_id: '00000000-0000-7000-8000-000000000000', points: 1, reason: 'x' });
    expect(unknown.status).toBe(404);
    const badPoints = await h().post(`${base}/${p.id}/accrue`, { member_id: m.id, points: 1.5, reason: '', hold: 'soon' });
    expect(badPoints.status).toBe(400);
    expect(badPoints.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['points', 'reason']);
    expect((await h().post(`${base}/${p.id}/accrue`, { member_id: m.id, points: 1, reason: 'x', hold: 'soon' })).status).toBe(400);
    const hist = await historySum(h(), p.id, m.id);
    expect(hist.sum).toBe(180);
    expect(hist.items.map((e) => [e.kind, e.points, e.balance_after])).toEqual([
      ['redemption', -120, 180],
      ['accrual', 300, 300],
    ]);
    const cancel = await h().post(`${base}/${p.id}/transactions/${red.body.id}/cancel`);
    expect(cancel.status).toBe(200);
    expect(cancel.body).toMatchObject({ status: 'canceled', balance: 300 });
    expect((await h().post(`${base}/${p.id}/transactions/${red.body.id}/cancel`)).status).toBe(422);
    expect((await historySum(h(), p.id, m.id)).sum).toBe(300);
  });

  it('holds: a held redemption reserves points until commit or rollback; a held accrual is pending', async () => {
    const p = await program(h());
    const m = await member(h(), p.id, 'cid@example.com');
    await h().post(`${base}/${p.id}/accrue`, { member_id: m.id, points: 100, reason: 'seed' });
    const held = await h().post(`${base}/${p.id}/redeem`, { member_id: m.id, points: 80, reason: 'cart', hold: 'PT15M' });
    expect(held.body).toMatchObject({ status: 'held', balance: 20 });
    expect((await h().post(`${base}/${p.id}/redeem`, { member_id: m.id, points: 30, reason: 'x' })).status).toBe(422);
    const rb = await h().post(`${base}/${p.id}/transactions/${held.body.id}/rollback`);
    expect(rb.body).toMatchObject({ status: 'rolled_back', balance: 100 });
    expect((await h().post(`${base}/${p.id}/transactions/${held.body.id}/commit`)).status).toBe(422);

    const held2 = await h().post(`${base}/${p.id}/redeem`, { member_id: m.id, points: 40, reason: 'cart', hold: 'PT15M' });
    const c = await h().post(`${base}/${p.id}/transactions/${held2.body.id}/commit`);
    expect(c.body).toMatchObject({ status: 'done', balance: 60 });

    const acc = await h().post(`${base}/${p.id}/accrue`, { member_id: m.id, points: 25, reason: 'pending', hold: 'PT15M' });
    expect(acc.body).toMatchObject({ status: 'held', balance: 60, pending: 25 });
    const ac = await h().post(`${base}/${p.id}/transactions/${acc.body.id}/commit`);
    expect(ac.body).toMatchObject({ status: 'done', balance: 85, pending: 0 });

    // A hold that runs out is rolled back by the worker.
    const held3 = await h().post(`${base}/${p.id}/redeem`, { member_id: m.id, points: 85, reason: 'cart', hold: 'PT15M' });
    expect(held3.body.balance).toBe(0);
    (h().clock as VirtualClock).advance(16 * 60_000);
    const status = async () => (await h().get(`${base}/${p.id}/transactions/${held3.body.id}`)).body.status;
    expect(await settle(h(), 'loyalty-hold-timeouts', status, (s) => s === 'rolled_back')).toBe('rolled_back');
    expect((await h().get(`${base}/${p.id}/members/${m.id}`)).body.balance).toBe(85);
    expect((await historySum(h(), p.id, m.id)).sum).toBe(85);
  });

  it('redeems the lots that expire first; the worker burns expired lots and sends notices before', async () => {
    const clock = h().clock as VirtualClock;
    const p = await program(h(), { points_ttl: 'P30D', expiry_notice: 'P7D' });
    const m = await member(h(), p.id, 'dee@example.com');
    const now = clock.now().getTime();
    await h().post(`${base}/${p.id}/accrue`, { member_id: m.id, points: 100, reason: 'late', expires_at: new Date(now + 20 * DAY).toISOString() });
    await h().post(`${base}/${p.id}/accrue`, { member_id: m.id, points: 100, reason: 'early', expires_at: new Date(now + 10 * DAY).toISOString() });
    await h().post(`${base}/${p.id}/accrue`, { member_id: m.id, points: 100, reason: 'default ttl' });
    await h().post(`${base}/${p.id}/redeem`, { member_id: m.id, points: 150, reason: 'spend' });
    const got = await h().get(`${base}/${p.id}/members/${m.id}`);
    expect(got.body.expiring).toEqual([
      { points: 50, expires_at: new Date(now + 20 * DAY).toISOString() },
      { points: 100, expires_at: new Date(now + 30 * DAY).toISOString() },
    ]);
    clock.advance(14 * DAY);
    const noticesNow = async () =>
      (await h().get(`/api/v1/profiles/${m.profile_id}/timeline?limit=200`)).body.items.filter((e: { title: string }) => e.title === 'points_expiring');
    const notices = await settle(h(), 'loyalty-expiry-notices', noticesNow, (n) => n.length > 0);
    expect(notices.map((n: { data: { points: number } }) => n.data.points)).toEqual([50]);
    clock.advance(7 * DAY);
    const balance = async () => (await h().get(`${base}/${p.id}/members/${m.id}`)).body.balance;
    expect(await settle(h(), 'loyalty-expire-lots', balance, (b) => b === 100)).toBe(100);
    const hist = await historySum(h(), p.id, m.id);
    expect(hist.sum).toBe(100);
    expect(hist.items[0]).toMatchObject({ kind: 'expiration', points: -50, balance_after: 100 });
  });

  it('recomputes tiers over the rolling window and emits tier_changed', async () => {
    const clock = h().clock as VirtualClock;
    const p = await program(h(), { tiers: [{ name: 'silver', min_spend: 100 }, { name: 'gold', min_spend: 500, accrual_multiplier: 2 }], tier_window: 'P30D' });
    const m = await member(h(), p.id, 'eve@example.com');
    const put = await h().request('PUT', '/api/v1/market/orders/tier-1', {
      body: { profile: { email: 'eve@example.com' }, items: [{ product_id: 'p1', quantity: 2, price: 300 }], status: 'paid' },
    });
    expect(put.status).toBe(201);
    const tier = async () => (await h().get(`${base}/${p.id}/members/${m.id}`)).body.tier;
    expect(await settle(h(), 'loyalty-tiers', tier, (t) => t === 'gold')).toBe('gold');
    clock.advance(31 * DAY);
    expect(await settle(h(), 'loyalty-tiers', tier, (t) => t === null)).toBe(null);
    const tl = await h().get(`/api/v1/profiles/${m.profile_id}/timeline?limit=200`);
    const changes = tl.body.items.filter((e: { title: string }) => e.title === 'tier_changed').map((e: { data: { from: string; to: string } }) => [e.data.from, e.data.to]);
    expect(changes).toEqual([
      ['gold', null],
      [null, 'gold'],
    ]);
  });

  it('reports a period by SQL aggregates', async () => {
    const p = await program(h(), { tiers: [{ name: 'basic', min_spend: 0 }] });
    const from = h().clock.now().toISOString();
    const m = await member(h(), p.id, 'fay@example.com');
    await h().post(`${base}/${p.id}/accrue`, { member_id: m.id, points: 70, reason: 'a' });
    const r1 = await h().post(`${base}/${p.id}/redeem`, { member_id: m.id, points: 30, reason: 'b' });
    await h().post(`${base}/${p.id}/transactions/${r1.body.id}/cancel`);
    await h().request('PUT', '/api/v1/market/orders/rep-1', {
      body: { profile: { email: 'fay@example.com' }, program_id: p.id, items: [{ product_id: 'p1', quantity: 1, price: 19.99, discount: 2.5 }], applied_promotions: [{ id: 'promo-1', name: 'Spring', discount: 2.5, points: 0 }] },
    });
    await settle(h(), 'loyalty-tiers', async () => (await h().get(`${base}/${p.id}/members/${m.id}`)).body.tier, (t) => t === 'basic');
    (h().clock as VirtualClock).advance(1000);
    const r = await h().get(`${base}/${p.id}/report?from=${from}&to=${h().clock.now().toISOString()}`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      members: 1,
      new_members: 1,
      points: { accrued: 70, redeemed: 30, expired: 0, reversed: 30 },
      orders: 1,
      revenue: 17.49,
      discount_total: 2.5,
      promotions: [{ id: 'promo-1', name: 'Spring', applied: 1, discount: 2.5, points: 0 }],
      tiers: [{ name: 'basic', members: 1 }],
    });
    expect((await h().get(`${base}/${p.id}/report?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z`)).status).toBe(400);
  });

  // Under concurrency: every change to a member's points runs under its row lock.
  it('20 parallel redeems of 100 on a balance of 1000: exactly 10 succeed and the balance is 0', async () => {
    const p = (await h().post(base, { name: 'C', currency: 'EUR', point_value: 1, points_rounding: 'floor', redeem_max_share: 1 })).body;
    await h().post('/api/v1/profiles', { email: 'race@example.com' });
    const m = (await h().post(`${base}/${p.id}/members`, { profile: { email: 'race@example.com' } })).body;
    // Ten lots with different expiries, so that concurrent redemptions contend for the same lots.
    for (let i = 0; i < 10; i++) await h().post(`${base}/${p.id}/accrue`, { member_id: m.id, points: 100, reason: `lot ${i}` });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => h().post(`${base}/${p.id}/redeem`, { member_id: m.id, points: 100, reason: `race ${i}` })),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(10);
    const refused = results.filter((r) => r.status !== 201);
    expect(refused).toHaveLength(10);
    for (const r of refused) expect(r.body.type).toBe('/problems/insufficient-points');
    const got = await h().get(`${base}/${p.id}/members/${m.id}`);
    expect(got.body.balance).toBe(0);
    const hist = await h().get(`${base}/${p.id}/members/${m.id}/history?limit=1000`);
    expect(hist.body.items.reduce((s: number, e: { points: number }) => s + e.points, 0)).toBe(0);
    expect(hist.body.items.every((e: { balance_after: number }) => e.balance_after >= 0)).toBe(true);
  });

  it('50 parallel accruals lose none', async () => {
    const p = (await h().post(base, { name: 'C2', currency: 'EUR', point_value: 1, points_rounding: 'floor', redeem_max_share: 1 })).body;
    await h().post('/api/v1/profiles', { email: 'many@example.com' });
    const m = (await h().post(`${base}/${p.id}/members`, { profile: { email: 'many@example.com' } })).body;
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => h().post(`${base}/${p.id}/accrue`, { member_id: m.id, points: i + 1, reason: `parallel ${i}` })),
    );
    expect(results.every((r) => r.status === 201)).toBe(true);
    const expected = (50 * 51) / 2;
    expect((await h().get(`${base}/${p.id}/members/${m.id}`)).body.balance).toBe(expected);
    const hist = await h().get(`${base}/${p.id}/members/${m.id}/history?limit=1000`);
    expect(hist.body.items).toHaveLength(50);
    const balances = hist.body.items.map((e: { balance_after: number }) => e.balance_after).sort((a: number, b: number) => a - b);
    expect(balances.at(-1)).toBe(expected);
    expect(new Set(balances).size).toBe(50); // serialised: every entry saw a different balance
  });

  it('parallel idempotent accruals with one external_id credit once', async () => {
    const p = (await h().post(base, { name: 'C3', currency: 'EUR', point_value: 1, points_rounding: 'floor', redeem_max_share: 1 })).body;
    await h().post('/api/v1/profiles', { email: 'once@example.com' });
    const m = (await h().post(`${base}/${p.id}/members`, { profile: { email: 'once@example.com' } })).body;
    const results = await Promise.all(
      Array.from({ length: 10 }, () => h().post(`${base}/${p.id}/accrue`, { member_id: m.id, points: 10, reason: 'once', external_id: 'ext-1' })),
    );
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    expect((await h().get(`${base}/${p.id}/members/${m.id}`)).body.balance).toBe(10);
  });
});
