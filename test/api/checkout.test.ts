import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { describeEachDatabase, type Harness } from '../helpers/harness.js';
import { expectProblem, makePool } from '../helpers/promo.js';

const programs = '/api/v1/loyalty/programs';
let seq = 0;

/** A program (1 point = 0.01, floor, half the order payable in points), a catalogue, a member with `points`. */
async function shop(h: Harness, opts: { points?: number; program?: Record<string, unknown> } = {}) {
  const n = ++seq;
  const program = (await h.post(programs, { name: `Shop ${n}`, currency: 'EUR', point_value: 0.01, points_rounding: 'floor', redeem_max_share: 0.5, ...opts.program })).body;
  for (const [id, price, categories] of [
    [`shoe-${n}`, 10, ['shoes']],
    [`shirt-${n}`, 25, ['shirts']],
    [`sock-${n}`, 3.33, ['socks']],
  ] as const)
    expect((await h.request('PUT', `/api/v1/market/products/${id}`, { body: { name: id, price, categories, available: true } })).status).toBe(201);
  const email = `buyer-${n}@example.com`;
  const profile = (await h.post('/api/v1/profiles', { email, fields: { city: 'Berlin' } })).body;
  const member = (await h.post(`${programs}/${program.id}/members`, { profile: { email } })).body;
  if (opts.points) expect((await h.post(`${programs}/${program.id}/accrue`, { member_id: member.id, points: opts.points, reason: 'seed' })).status).toBe(201);
  const promo = async (body: Record<string, unknown>) => {
    const r = await h.post(`${programs}/${program.id}/promotions`, { name: 'P', ...body });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body as { id: string };
  };
  return { n, program, profile, member, email, shoe: `shoe-${n}`, shirt: `shirt-${n}`, sock: `sock-${n}`, promo };
}

const balanceOf = async (h: Harness, pid: string, mid: string) => (await h.get(`${programs}/${pid}/members/${mid}`)).body as { balance: number; pending: number };

/** Row counts of every table a checkout could write. */
async function counts(h: Harness) {
  const tables = ['market_orders', 'market_order_items', 'market_checkouts', 'loyalty_entries', 'loyalty_transactions', 'loyalty_lots', 'events', 'promo_code_events', 'loyalty_promotion_members'];
  const out: Record<string, unknown> = {};
  for (const t of tables) out[t] = (await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(t)}`.execute(h.ctx.db)).rows[0].n;
  out.codes = (await sql<{ s: string }>`SELECT coalesce(string_agg(code || status, ',' ORDER BY code), '') AS s FROM promo_codes`.execute(h.ctx.db)).rows[0].s;
  out.counters = (await sql<{ s: string }>`SELECT coalesce(string_agg(id || ':' || uses || ':' || points_given, ',' ORDER BY id), '') AS s FROM loyalty_promotions`.execute(h.ctx.db)).rows[0].s;
  out.members = (await sql<{ s: string }>`SELECT coalesce(string_agg(id || ':' || balance || ':' || pending, ',' ORDER BY id), '') AS s FROM loyalty_members`.execute(h.ctx.db)).rows[0].s;
  return out;
}

describeEachDatabase('checkout', (h) => {
  it('preorder prices the cart with discounts, points and accrual, explains itself, and writes nothing', async () => {
    const s = await shop(h(), { points: 1000 });
    const d10 = await s.promo({ type: 'discount', priority: 200, benefit: { kind: 'percent', value: 10 }, applies_to: { categories: ['shoes'] } });
    const pts = await s.promo({ type: 'points', benefit: { kind: 'points_percent', value: 5 } });
    const big = await s.promo({ type: 'discount', conditions: { subtotal: { gte: 100 } }, benefit: { kind: 'fixed', value: 5 } });
    const body = { program_id: s.program.id, profile: { email: s.email }, items: [{ product_id: s.shoe, quantity: 2 }, { product_id: s.shirt, quantity: 1 }], redeem_points: 500, promo_codes: ['NO-SUCH-CODE'] };
    const before = await counts(h());
    const r = await h().post('/api/v1/market/preorder?explain=true', body);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    // Shoes 2 × 10.00 = 20.00 − 10% = 18.00; shirt 25.00. Total after discounts 43.00; 500 points = 5.00 spread
    // 5.00·18/43 = 2.093 → 2.09 on shoes, 2.906 → 2.90 + 0.01 remainder = 2.91 on the shirt.
    expect(r.body).toMatchObject({
      currency: 'EUR',
      subtotal: 45,
      discount_total: 2,
      points_redeemed: 500,
      points_redeemed_value: 5,
      total: 38,
      redeem_max_points: 1000,
      items: [
        { product_id: s.shoe, quantity: 2, price: 10, discount: 2, points_redeemed_value: 2.09, total: 15.91, points_accrued: 79, promotions: [d10.id, pts.id] },
        { product_id: s.shirt, quantity: 1, price: 25, discount: 0, points_redeemed_value: 2.91, total: 22.09, points_accrued: 110, promotions: [pts.id] },
      ],
      applied_promotions: [
        { id: d10.id, type: 'discount', discount: 2, points: 0 },
        { id: pts.id, type: 'points', discount: 0, points: 189 },
      ],
    });
    expect(r.body.rejected).toEqual([
      { promotion_id: big.id, reason: 'condition-not-met', detail: expect.any(String) },
      { code: 'NO-SUCH-CODE', reason: 'code-unknown', detail: expect.any(String) },
    ]);
    expect(r.body.calculation_id).toMatch(/^calc_/);
    expect(r.body.explain.map((e: { step: string }) => e.step)).toEqual(expect.arrayContaining(['eligibility', 'discount', 'redeem', 'accrual']));
    expect(r.body.explain.find((e: { promotion_id: string; step: string }) => e.promotion_id === d10.id && e.step === 'discount')).toMatchObject({ line: 0, outcome: 'applied', amount_before: 20, amount_after: 18 });
    // Same request, same answer; nothing written.
    const again = await h().post('/api/v1/market/preorder', body);
    expect(again.body.calculation_id).toBe(r.body.calculation_id);
    expect(again.body.explain).toBeUndefined();
    expect(await counts(h())).toEqual(before);
  });

  it('a change to the catalogue or to the promotions is seen by the next preorder', async () => {
    const s = await shop(h());
    const body = { program_id: s.program.id, profile: { email: s.email }, items: [{ product_id: s.shoe, quantity: 1 }, { product_id: `new-${s.n}`, quantity: 1, price: 2 }] };
    expect((await h().post('/api/v1/market/preorder', body)).body).toMatchObject({ subtotal: 12, total: 12 });
    await h().request('PUT', `/api/v1/market/products/${s.shoe}`, { body: { name: 'shoe', price: 12.5, categories: ['sale'], available: true } });
    await h().request('PUT', `/api/v1/market/products/new-${s.n}`, { body: { name: 'new', price: 7, categories: ['sale'], available: true } });
    // The request's price wins over the catalogue's.
    expect((await h().post('/api/v1/market/preorder', body)).body).toMatchObject({ subtotal: 14.5, total: 14.5 });
    const sale = await s.promo({ type: 'discount', benefit: { kind: 'percent', value: 50 }, applies_to: { categories: ['sale'] } });
    expect((await h().post('/api/v1/market/preorder', body)).body).toMatchObject({ subtotal: 14.5, discount_total: 7.25, total: 7.25 });
    await h().post(`${programs}/${s.program.id}/promotions/${sale.id}/pause`);
    expect((await h().post('/api/v1/market/preorder', body)).body).toMatchObject({ discount_total: 0 });
    await h().post(`${programs}/${s.program.id}/promotions/${sale.id}/resume`);
    // Written behind the API's back (another process): the versions in the database tell.
    await sql`UPDATE market_products SET price = 1000 WHERE id = ${s.shoe}`.execute(h().ctx.db);
    await sql`UPDATE loyalty_promotions SET benefit = jsonb_set(benefit, '{value}', '10') WHERE id = ${sale.id}`.execute(h().ctx.db);
    await sql`UPDATE loyalty_promotion_versions SET version = version + 1 WHERE program_id = ${s.program.id}`.execute(h().ctx.db);
    expect((await h().post('/api/v1/market/preorder', body)).body).toMatchObject({ subtotal: 12, discount_total: 1.2 });
  });

  it('preorder refuses what it cannot price and names every bad field', async () => {
    const s = await shop(h());
    const bad = await h().post('/api/v1/market/preorder', { program_id: s.program.id, profile: { email: s.email }, items: [{ product_id: s.shoe, quantity: 0 }, { product_id: 'x', quantity: 1, price: 1.001 }], redeem_points: -1 });
    expectProblem(bad, 400, 'invalid-request');
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(expect.arrayContaining(['items.0.quantity', 'redeem_points']));
    const unpriced = await h().post('/api/v1/market/preorder', { program_id: s.program.id, profile: { email: s.email }, items: [{ product_id: 'ghost', quantity: 1 }, { product_id: 'ghost2', quantity: 1, price: 4.5 }] });
    expectProblem(unpriced, 422, 'product-not-found');
    expect(unpriced.body.errors).toEqual([{ path: 'items.0.product_id', message: expect.any(String) }]);
    expectProblem(await h().post('/api/v1/market/preorder', { program_id: s.program.id, profile: { email: 'nobody@example.com' }, items: [{ product_id: s.shoe, quantity: 1 }] }), 404);
    expectProblem(await h().post('/api/v1/market/preorder', { program_id: '00000000-0000-7000-8000-000000000000', profile: { email: s.email }, items: [{ product_id: s.shoe, quantity: 1 }] }), 404);
    // A fractional price in minor units is a 400 naming it.
    const frac = await h().post('/api/v1/market/preorder', { program_id: s.program.id, profile: { email: s.email }, items: [{ product_id: 'x', quantity: 1, price: 1.001 }] });
    expectProblem(frac, 400);
    expect(frac.body.errors).toEqual([{ path: 'items.0.price', message: expect.any(String) }]);
    expect((await h().get('/healthz')).status).toBe(200);
  });

  it('commit records the order with per-line amounts, moves points, redeems the code, emits order_finalized; a repeat answers the first result', async () => {
    const s = await shop(h(), { points: 2000 });
    const pool = await makePool(h(), { generator: { template: 'CK-{number 6}' }, valid_from: '2026-01-01T00:00:00Z', valid_to: '2027-01-01T00:00:00Z' });
    await h().post(`/api/v1/promo/pools/${pool.id}/generate`, { count: 3 });
    const code = (await h().post(`/api/v1/promo/pools/${pool.id}/issue`, { profile: { email: s.email } })).body.code as string;
    const gated = await s.promo({ type: 'discount', benefit: { kind: 'fixed', value: 3 }, promo_code_pool_id: pool.id });
    const pts = await s.promo({ type: 'points', benefit: { kind: 'points_percent', value: 10 }, limits: { total_uses: 100, per_member: 5, budget_points: 100000 } });
    const body = { program_id: s.program.id, profile: { email: s.email }, items: [{ product_id: s.shirt, quantity: 2 }], promo_codes: [code], redeem_points: 'max', channel: 'web' };
    const pre = (await h().post('/api/v1/market/preorder', body)).body;
    // 50.00 − 3.00 = 47.00; max points: half of 47.00 = 23.50 → 2350 > 2000 balance → 2000 points = 20.00. Paid 27.00 → 10% = 270 points.
    expect(pre).toMatchObject({ subtotal: 50, discount_total: 3, points_redeemed: 2000, total: 27, points_accrued: 270, rejected: [] });
    const commit = await h().post('/api/v1/market/preorder_commit', { ...body, order_id: `ord-${s.n}`, calculation_id: pre.calculation_id });
    expect(commit.status, JSON.stringify(commit.body)).toBe(201);
    expect(commit.body).toMatchObject({ order_id: `ord-${s.n}`, status: 'new', accrual: 'done', calculation_id: pre.calculation_id, total: 27, points_accrued: 270 });
    expect(await balanceOf(h(), s.program.id, s.member.id)).toMatchObject({ balance: 270, pending: 0 });
    const order = (await h().get(`/api/v1/market/orders/ord-${s.n}`)).body;
    expect(order).toMatchObject({
      status: 'new',
      program_id: s.program.id,
      subtotal: 50,
      discount_total: 3,
      points_redeemed: 2000,
      total: 27,
      points_accrued: 270,
      items: [{ product_id: s.shirt, quantity: 2, price: 25, discount: 3, total: 27, points_accrued: 270, points_redeemed: 2000, promotions: [gated.id, pts.id] }],
      applied_promotions: [
        { id: gated.id, type: 'discount', discount: 3, points: 0 },
        { id: pts.id, type: 'points', discount: 0, points: 270 },
      ],
    });
    expect((await h().get(`/api/v1/promo/codes/${code}`)).body.status).toBe('redeemed');
    expect((await h().get(`${programs}/${s.program.id}/promotions/${pts.id}`)).body.usage).toEqual({ uses: 1, points: 270 });
    const timeline = (await h().get(`/api/v1/profiles/${s.profile.id}/timeline?limit=50`)).body.items;
    const finalized = timeline.find((e: { kind: string; title: string }) => e.title === 'order_finalized' || (e as { data?: { name?: string } }).data?.name === 'order_finalized');
    expect(finalized, JSON.stringify(timeline.map((e: { title: string }) => e.title))).toBeDefined();

    const before = await counts(h());
    const repeat = await h().post('/api/v1/market/preorder_commit', { ...body, order_id: `ord-${s.n}`, calculation_id: pre.calculation_id });
    expect(repeat.status).toBe(200);
    expect(repeat.body).toEqual(commit.body);
    expect(await counts(h())).toEqual(before);
    const other = await h().post('/api/v1/market/preorder_commit', { ...body, redeem_points: 0, order_id: `ord-${s.n}` });
    expectProblem(other, 409, 'order-id-reused');
    // The same cart again: the code is spent now, the points too; the old calculation_id no longer matches.
    const changed = await h().post('/api/v1/market/preorder_commit', { ...body, order_id: `ord-${s.n}-b`, calculation_id: pre.calculation_id });
    expectProblem(changed, 422, 'calculation-changed');
  });

  it('accrual waits in pending under accrual_hold; welcome points of a member joining with the order are not spent on it', async () => {
    const s = await shop(h(), { program: { accrual_hold: 'P14D', welcome_points: 100 } });
    await s.promo({ type: 'points', benefit: { kind: 'points_fixed', value: 40 } });
    const email = `new-${s.n}@example.com`;
    await h().post('/api/v1/profiles', { email });
    const body = { program_id: s.program.id, profile: { email }, items: [{ product_id: s.sock, quantity: 3 }], redeem_points: 'max' };
    const pre = (await h().post('/api/v1/market/preorder', body)).body;
    expect(pre).toMatchObject({ points_redeemed: 0, total: 9.99, points_accrued: 40, redeem_max_points: 0 });
    const c = await h().post('/api/v1/market/preorder_commit', { ...body, order_id: `hold-${s.n}`, calculation_id: pre.calculation_id });
    expect(c.status, JSON.stringify(c.body)).toBe(201);
    expect(c.body).toMatchObject({ accrual: 'pending', points_accrued: 40 });
    expect((await h().get(`${programs}/${s.program.id}/members/${email}`)).body).toMatchObject({ balance: 100, pending: 40 });
    // Canceled before the hold ends: the pending points go.
    await h().post(`/api/v1/market/orders/hold-${s.n}/status`, { status: 'canceled' });
    expect((await h().get(`${programs}/${s.program.id}/members/${email}`)).body).toMatchObject({ balance: 100, pending: 0 });
  });

  it('refund reverses the refunded units per line from the stored amounts; cancel reverses the rest and gives uses, budget and codes back', async () => {
    const s = await shop(h(), { points: 1000 });
    const pool = await makePool(h(), { generator: { template: 'RF-{number 6}' } });
    await h().post(`/api/v1/promo/pools/${pool.id}/generate`, { count: 2 });
    const code = (await h().post(`/api/v1/promo/pools/${pool.id}/issue`, { profile: { email: s.email } })).body.code as string;
    await s.promo({ type: 'discount', benefit: { kind: 'percent', value: 10 }, promo_code_pool_id: pool.id });
    const pts = await s.promo({ type: 'points', benefit: { kind: 'points_percent', value: 10 }, limits: { total_uses: 5, budget_points: 10000 } });
    const body = { program_id: s.program.id, profile: { email: s.email }, items: [{ product_id: s.shoe, quantity: 3 }, { product_id: s.shirt, quantity: 1 }], promo_codes: [code], redeem_points: 1000 };
    const c = await h().post('/api/v1/market/preorder_commit', { ...body, order_id: `rf-${s.n}` });
    expect(c.status, JSON.stringify(c.body)).toBe(201);
    // 30.00 + 25.00 = 55.00 − 10% → 27.00 + 22.50 = 49.50; 1000 points = 10.00: ⌊1000·2700/4950⌋ = 545, ⌊454.5⌋ = 454, +1 → 546 on shoes.
    // Paid: 2700 − 546 = 2154 → 215 points; 2250 − 454 = 1796 → 179 points.
    expect(c.body.items.map((l: { points_redeemed: number; total: number; points_accrued: number }) => [l.points_redeemed, l.total, l.points_accrued])).toEqual([
      [546, 21.54, 215],
      [454, 17.96, 179],
    ]);
    expect(await balanceOf(h(), s.program.id, s.member.id)).toMatchObject({ balance: 394 });
    expect((await h().get(`${programs}/${s.program.id}/promotions/${pts.id}`)).body.usage).toEqual({ uses: 1, points: 394 });
    // Refund 1 of 3 shoes: ⌊215/3⌋ = 71 accrued points out, ⌊546/3⌋ = 182 redeemed points back, 7.18 of money.
    const r1 = await h().post(`/api/v1/market/orders/rf-${s.n}/refund`, { items: [{ product_id: s.shoe, quantity: 1 }] });
    expect(r1.status, JSON.stringify(r1.body)).toBe(200);
    expect(r1.body).toMatchObject({ status: 'part_refunded', refunded_total: 7.18 });
    expect(await balanceOf(h(), s.program.id, s.member.id)).toMatchObject({ balance: 394 - 71 + 182 });
    expect((await h().get(`${programs}/${s.program.id}/promotions/${pts.id}`)).body.usage).toEqual({ uses: 1, points: 394 - 71 });
    // Cancel: everything left is reversed; the code, the use and the rest of the budget come back.
    const canceled = await h().post(`/api/v1/market/orders/rf-${s.n}/status`, { status: 'canceled' });
    expect(canceled.status).toBe(200);
    expect(await balanceOf(h(), s.program.id, s.member.id)).toMatchObject({ balance: 1000, pending: 0 });
    expect((await h().get(`${programs}/${s.program.id}/promotions/${pts.id}`)).body.usage).toEqual({ uses: 0, points: 0 });
    expect((await h().get(`/api/v1/promo/codes/${code}`)).body.status).toBe('issued');
    await h().post(`/api/v1/market/orders/rf-${s.n}/status`, { status: 'canceled' });
    expect((await h().get(`${programs}/${s.program.id}/promotions/${pts.id}`)).body.usage).toEqual({ uses: 0, points: 0 });
    // The code works again in a new order.
    const again = await h().post('/api/v1/market/preorder', body);
    expect(again.body.rejected).toEqual([]);
  });

  it('parallel commits against one balance never overdraw it: each recalculates under the member lock', async () => {
    const s = await shop(h(), { points: 1000 });
    const commits = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        h().post('/api/v1/market/preorder_commit', { program_id: s.program.id, profile: { email: s.email }, items: [{ product_id: s.shirt, quantity: 1 }], redeem_points: 300, order_id: `race-${s.n}-${i}` }),
      ),
    );
    expect(commits.map((c) => c.status)).toEqual(Array(10).fill(201));
    const redeemed = commits.map((c) => c.body.points_redeemed as number);
    // 300 + 300 + 300 + 100, then nothing: exactly the balance, never more.
    expect(redeemed.reduce((a, b) => a + b, 0)).toBe(1000);
    expect([...redeemed].sort((a, b) => b - a)).toEqual([300, 300, 300, 100, 0, 0, 0, 0, 0, 0]);
    expect(await balanceOf(h(), s.program.id, s.member.id)).toMatchObject({ balance: 0 });
    const hist = (await h().get(`${programs}/${s.program.id}/members/${s.member.id}/history?limit=100`)).body.items;
    expect(hist.reduce((a: number, e: { points: number }) => a + e.points, 0)).toBe(0);
  });

  it('a promotion with total_uses 10 under 50 parallel commits of 50 members applies exactly 10 times', async () => {
    const s = await shop(h());
    const ten = await s.promo({ type: 'discount', benefit: { kind: 'percent', value: 20 }, limits: { total_uses: 10 } });
    const buyers = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const email = `ten-${s.n}-${i}@example.com`;
        expect((await h().post('/api/v1/profiles', { email })).status).toBe(201);
        return email;
      }),
    );
    const commits = await Promise.all(
      buyers.map((email, i) =>
        h().post('/api/v1/market/preorder_commit', { program_id: s.program.id, profile: { email }, items: [{ product_id: s.shoe, quantity: 1 }], order_id: `ten-${s.n}-${i}` }),
      ),
    );
    expect(commits.map((c) => c.status)).toEqual(Array(50).fill(201));
    const applied = commits.filter((c) => c.body.applied_promotions.some((a: { id: string }) => a.id === ten.id));
    expect(applied.length).toBe(10);
    expect(applied.every((c) => c.body.total === 8)).toBe(true);
    const refused = commits.filter((c) => c.body.rejected.some((x: { promotion_id?: string; reason: string }) => x.promotion_id === ten.id && x.reason === 'limit-reached'));
    expect(refused.length).toBe(40);
    expect((await h().get(`${programs}/${s.program.id}/promotions/${ten.id}`)).body.usage).toEqual({ uses: 10, points: 0 });
    const orders = await sql<{ n: number }>`SELECT count(*)::int AS n FROM market_orders WHERE id LIKE ${`ten-${s.n}-%`} AND discount_total > 0`.execute(h().ctx.db);
    expect(orders.rows[0].n).toBe(10);
  });
});
