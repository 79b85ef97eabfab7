import { expect, it } from 'vitest';
import type { VirtualClock } from '../../src/domain/clock.js';
import { accrue, getProgram, memberOfProfile, redeem } from '../../src/store/loyalty.js';
import { insertOrder } from '../../src/store/market.js';
import { csvFeed, ymlFeed } from '../../src/imports/feed-generator.js';
import { describeEachDatabase, type Harness } from '../helpers/harness.js';

const base = '/api/v1/loyalty/programs';

/** Records an order the way a checkout does: the order with per-line amounts, and its points, in one transaction. */
async function checkoutLike(
  h: Harness,
  opts: { pid: string; profileId: string; orderId: string; lines: { product_id: string; quantity: number; price: number; total: number; points_accrued: number; points_redeemed: number }[]; releaseAt?: Date },
) {
  const now = h.clock.now();
  const program = (await getProgram(h.ctx.db, opts.pid))!;
  const member = (await memberOfProfile(h.ctx.db, opts.pid, opts.profileId))!;
  const accrued = opts.lines.reduce((s, l) => s + l.points_accrued, 0);
  const redeemed = opts.lines.reduce((s, l) => s + l.points_redeemed, 0);
  await h.ctx.db.transaction().execute(async (tx) => {
    await insertOrder(
      tx,
      {
        id: opts.orderId,
        profile_id: opts.profileId,
        program_id: opts.pid,
        status: 'new',
        channel: 'web',
        currency: 'EUR',
        subtotal: opts.lines.reduce((s, l) => s + l.price * l.quantity, 0),
        discount_total: 0,
        points_redeemed: redeemed,
        points_redeemed_value: redeemed,
        total: opts.lines.reduce((s, l) => s + l.total, 0),
        points_accrued: accrued,
        applied_promotions: [],
        request_hash: null,
        created_at: now,
        items: opts.lines.map((l) => ({ ...l, sku_id: null, discount: l.price * l.quantity - l.total, promotions: [] })),
      },
      now,
    );
    if (redeemed) await redeem(tx, { program, memberId: member.id, points: redeemed, reason: `order ${opts.orderId}`, orderId: opts.orderId, now });
    if (accrued) await accrue(tx, { program, memberId: member.id, points: accrued, reason: `order ${opts.orderId}`, orderId: opts.orderId, now, releaseAt: opts.releaseAt });
  });
}

async function text(stream: NodeJS.ReadableStream): Promise<string> {
  let s = '';
  for await (const c of stream) s += c.toString();
  return s;
}

describeEachDatabase('market', (h) => {
  it('keeps products with SKUs: put, get, list by category (with subcategories), delete', async () => {
    const put = await h().request('PUT', '/api/v1/market/products/sku-1', {
      body: { name: 'Tea', price: 4.99, old_price: 5.5, currency: 'eur', categories: ['drinks'], available: true, params: { size: 'L' }, skus: [{ id: 'tea-s', price: 3.99, quantity: 5 }, { id: 'tea-l', price: 5.99 }] },
    });
    expect(put.status).toBe(201);
    expect(put.body).toMatchObject({ id: 'sku-1', price: 4.99, old_price: 5.5, currency: 'EUR', skus: [{ id: 'tea-s', price: 3.99, quantity: 5 }, { id: 'tea-l', price: 5.99, quantity: null }] });
    const again = await h().request('PUT', '/api/v1/market/products/sku-1', { body: { name: 'Green tea', price: 0.29, categories: ['drinks'], available: false } });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ name: 'Green tea', price: 0.29, available: false, skus: [] });
    await h().request('PUT', '/api/v1/market/products/p-2', { body: { name: 'Cup', price: 10, categories: ['cups'], available: true } });
    const bad = await h().request('PUT', '/api/v1/market/products/p-3', { body: { name: '', price: 1.001, categories: [], available: 'yes', skus: [{ id: 'a', price: -1 }] } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(expect.arrayContaining(['name', 'available', 'skus.0.price']));
    expect((await h().get('/api/v1/market/products?category=drinks')).body.items.map((p: { id: string }) => p.id)).toEqual(['sku-1']);
    expect((await h().get('/api/v1/market/products/nope')).status).toBe(404);
    expect((await h().request('DELETE', '/api/v1/market/products/p-2')).status).toBe(204);
    expect((await h().get('/api/v1/market/products/p-2')).status).toBe(404);
  });

  it('records outside orders, lists them by profile, and keeps a channel', async () => {
    await h().post('/api/v1/profiles', { email: 'ord@example.com', external_id: 'c-77' });
    const put = await h().request('PUT', '/api/v1/market/orders/ext-1', {
      body: { profile: { email: 'ord@example.com' }, channel: 'store', items: [{ product_id: 'x', quantity: 3, price: 0.1 }, { product_id: 'y', quantity: 1, price: 5, discount: 1 }] },
    });
    expect(put.status).toBe(201);
    expect(put.body).toMatchObject({ status: 'new', channel: 'store', subtotal: 5.3, discount_total: 1, total: 4.3, points_accrued: 0, points_redeemed: 0 });
    (h().clock as VirtualClock).advance(1000);
    await h().request('PUT', '/api/v1/market/orders/ext-2', { body: { profile: { external_id: 'c-77' }, items: [{ product_id: 'x', quantity: 1, price: 1 }] } });
    const list = await h().get('/api/v1/market/orders?profile=ord@example.com&limit=1');
    expect(list.body.items.map((o: { id: string }) => o.id)).toEqual(['ext-2']);
    const next = await h().get(`/api/v1/market/orders?profile=c-77&limit=1&cursor=${list.body.next_cursor}`);
    expect(next.body.items.map((o: { id: string }) => o.id)).toEqual(['ext-1']);
    const st = await h().post('/api/v1/market/orders/ext-1/status', { status: 'paid' });
    expect(st.body.status).toBe('paid');
    expect((await h().post('/api/v1/market/orders/ext-1/status', { status: 'lost' })).status).toBe(400);
    expect((await h().post('/api/v1/market/orders/nope/status', { status: 'paid' })).status).toBe(404);
    const tl = await h().get(`/api/v1/profiles/${put.body.profile_id}/timeline`);
    expect(tl.body.items.filter((e: { kind: string }) => e.kind === 'order')).toHaveLength(2);
  });

  it("cancel reverses all of an order's points; the points go back to the lots they came from", async () => {
    const p = (await h().post(base, { name: 'M', currency: 'EUR', point_value: 0.01, points_rounding: 'floor', redeem_max_share: 1, points_ttl: 'P30D' })).body;
    const prof = (await h().post('/api/v1/profiles', { email: 'can@example.com' })).body;
    const m = (await h().post(`${base}/${p.id}/members`, { profile: { id: prof.id } })).body;
    await h().post(`${base}/${p.id}/accrue`, { member_id: m.id, points: 500, reason: 'seed' });
    await checkoutLike(h(), { pid: p.id, profileId: prof.id, orderId: 'co-1', lines: [{ product_id: 'a', quantity: 1, price: 1000, total: 800, points_accrued: 80, points_redeemed: 200 }] });
    expect((await h().get(`${base}/${p.id}/members/${m.id}`)).body.balance).toBe(380);
    expect((await h().request('PUT', '/api/v1/market/orders/co-1', { body: { profile: { id: prof.id }, items: [{ product_id: 'a', quantity: 1, price: 1 }] } })).status).toBe(409);
    const c = await h().post('/api/v1/market/orders/co-1/status', { status: 'canceled' });
    expect(c.status).toBe(200);
    expect(c.body.status).toBe('canceled');
    const got = (await h().get(`${base}/${p.id}/members/${m.id}`)).body;
    expect(got.balance).toBe(500);
    expect(got.expiring).toEqual([{ points: 500, expires_at: expect.any(String) }]);
    expect((await h().post('/api/v1/market/orders/co-1/status', { status: 'paid' })).status).toBe(422);
    const hist = (await h().get(`${base}/${p.id}/members/${m.id}/history`)).body.items;
    expect(hist.filter((e: { kind: string }) => e.kind === 'reversal').map((e: { points: number }) => e.points).sort()).toEqual([-80, 200]);
    expect(hist.reduce((s: number, e: { points: number }) => s + e.points, 0)).toBe(500);
  });

  it('refund reverses the refunded lines: accrual taken back, redeemed points returned in proportion', async () => {
    const clock = h().clock as VirtualClock;
    const p = (await h().post(base, { name: 'R', currency: 'EUR', point_value: 0.01, points_rounding: 'floor', redeem_max_share: 1, points_ttl: 'P30D' })).body;
    const prof = (await h().post('/api/v1/profiles', { email: 'ref@example.com' })).body;
    const m = (await h().post(`${base}/${p.id}/members`, { profile: { id: prof.id } })).body;
    const now = clock.now().getTime();
    await h().post(`${base}/${p.id}/accrue`, { member_id: m.id, points: 300, reason: 'early lot', expires_at: new Date(now + 5 * 86_400_000).toISOString() });
    await h().post(`${base}/${p.id}/accrue`, { member_id: m.id, points: 300, reason: 'late lot', expires_at: new Date(now + 9 * 86_400_000).toISOString() });
    // Redeems 400: 300 from the early lot, 100 from the late one.
    await checkoutLike(h(), {
      pid: p.id,
      profileId: prof.id,
      orderId: 'co-2',
      lines: [
        { product_id: 'a', quantity: 3, price: 1000, total: 2700, points_accrued: 30, points_redeemed: 300 },
        { product_id: 'b', quantity: 1, price: 1000, total: 900, points_accrued: 9, points_redeemed: 100 },
      ],
    });
    expect((await h().get(`${base}/${p.id}/members/${m.id}`)).body.balance).toBe(600 - 400 + 39);
    const r1 = await h().post('/api/v1/market/orders/co-2/refund', { items: [{ product_id: 'a', quantity: 1 }] });
    expect(r1.status).toBe(200);
    expect(r1.body).toMatchObject({ status: 'part_refunded', refunded_total: 9 });
    // Line a, 1 of 3 units: 10 accrued points back out, 100 redeemed points returned 3:1 to the lots they came from.
    const m1 = (await h().get(`${base}/${p.id}/members/${m.id}`)).body;
    expect(m1.balance).toBe(239 - 10 + 100);
    const exp = Object.fromEntries(m1.expiring.map((e: { points: number; expires_at: string }) => [e.expires_at, e.points]));
    expect(exp[new Date(now + 5 * 86_400_000).toISOString()]).toBe(75);
    expect(exp[new Date(now + 9 * 86_400_000).toISOString()]).toBe(225);
    expect((await h().post('/api/v1/market/orders/co-2/refund', { items: [{ product_id: 'a', quantity: 3 }] })).status).toBe(422);
    const r2 = await h().post('/api/v1/market/orders/co-2/refund', { items: [{ product_id: 'a', quantity: 2 }, { product_id: 'b', quantity: 1 }] });
    expect(r2.body.status).toBe('refunded');
    const m2 = (await h().get(`${base}/${p.id}/members/${m.id}`)).body;
    expect(m2.balance).toBe(600);
    expect(m2.expiring.map((e: { points: number }) => e.points)).toEqual([300, 300]);
    expect((await h().post('/api/v1/market/orders/co-2/refund', { items: [{ product_id: 'b', quantity: 1 }] })).status).toBe(422);
  });

  it('accrual hold: points stay pending, are released when the hold ends, and a cancel first drops them', async () => {
    const clock = h().clock as VirtualClock;
    const p = (await h().post(base, { name: 'H', currency: 'EUR', point_value: 0.01, points_rounding: 'floor', redeem_max_share: 1, accrual_hold: 'P14D' })).body;
    const prof = (await h().post('/api/v1/profiles', { email: 'hold@example.com' })).body;
    const m = (await h().post(`${base}/${p.id}/members`, { profile: { id: prof.id } })).body;
    const release = new Date(clock.now().getTime() + 14 * 86_400_000);
    const line = { product_id: 'a', quantity: 2, price: 1000, total: 2000, points_accrued: 40, points_redeemed: 0 };
    await checkoutLike(h(), { pid: p.id, profileId: prof.id, orderId: 'co-h1', lines: [line], releaseAt: release });
    // Without releaseAt, an order's accrual takes the program's accrual_hold.
    await checkoutLike(h(), { pid: p.id, profileId: prof.id, orderId: 'co-h2', lines: [line] });
    expect((await h().get(`${base}/${p.id}/members/${m.id}`)).body).toMatchObject({ balance: 0, pending: 80 });
    await h().post('/api/v1/market/orders/co-h1/refund', { items: [{ product_id: 'a', quantity: 1 }] });
    expect((await h().get(`${base}/${p.id}/members/${m.id}`)).body).toMatchObject({ balance: 0, pending: 60 });
    await h().post('/api/v1/market/orders/co-h2/status', { status: 'canceled' });
    expect((await h().get(`${base}/${p.id}/members/${m.id}`)).body).toMatchObject({ balance: 0, pending: 20 });
    clock.advance(14 * 86_400_000 + 1);
    for (let i = 0; i < 50; i++) {
      await h().ctx.work.drain('loyalty-release-accruals');
      if ((await h().get(`${base}/${p.id}/members/${m.id}`)).body.balance === 20) break;
      await new Promise((r) => setTimeout(r, 40));
    }
    expect((await h().get(`${base}/${p.id}/members/${m.id}`)).body).toMatchObject({ balance: 20, pending: 0 });
  });

  // Product import.
  it('imports a YML feed with categories and params; a bad offer is reported by line, the rest land', async () => {
    const feed = await text(ymlFeed(300, { bad: (i) => i === 42, categories: 10 }));
    const r = await h().request('POST', '/api/v1/market/products/import', { raw: feed, headers: { 'content-type': 'application/xml' } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ created: 299, updated: 0, failed: 1 });
    const lineOf42 = feed.split('\n').findIndex((l) => l.startsWith('<offer id="o42"')) + 1;
    expect(r.body.errors).toEqual([{ line: lineOf42, id: 'o42', message: expect.stringContaining('price') }]);
    const p = await h().get('/api/v1/market/products/o7');
    expect(p.body).toMatchObject({
      name: 'Product & thing 7',
      price: 7.99,
      old_price: 17,
      currency: 'RUB',
      categories: ['8'],
      available: false,
      vendor: 'Vendor 7',
      params: { Color: 'c7', Size: '2' },
      picture: 'https://shop.example/i/7.jpg',
    });
    // Category 3 has children 7 (parent (7%5)+1 = 3) — listing a parent includes its subcategories.
    const cat = await h().get('/api/v1/market/products?category=3&limit=1000');
    const cats = new Set(cat.body.items.map((x: { categories: string[] }) => x.categories[0]));
    expect(cats).toEqual(new Set(['3', '7']));

    const again = await h().request('POST', '/api/v1/market/products/import?mode=add', { raw: await text(ymlFeed(310, { categories: 10 })), headers: { 'content-type': 'application/xml' } });
    expect(again.body).toMatchObject({ created: 11, updated: 0, failed: 0, skipped: 299 });
    const upd = await h().request('POST', '/api/v1/market/products/import?mode=update', { raw: await text(ymlFeed(320, { categories: 10 })), headers: { 'content-type': 'application/xml' } });
    expect(upd.body).toMatchObject({ created: 0, updated: 310, failed: 0, skipped: 10 });
  });

  it('reports broken XML inside an offer and keeps the offers around it', async () => {
    const feed = `<?xml version="1.0"?>
<yml_catalog><shop><offers>
<offer id="a1"><name>One</name><price>1</price></offer>
<offer id="a2"><name>Two</name><price>2</price><vendor>x</vendr></offer>
<offer id="a3"><name>Three</name><price>3</price></offer>
</offers></shop></yml_catalog>`;
    const r = await h().request('POST', '/api/v1/market/products/import', { raw: feed, headers: { 'content-type': 'text/xml' } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ created: 2, failed: 1 });
    expect(r.body.errors[0]).toMatchObject({ line: 4, id: 'a2' });
    expect((await h().get('/api/v1/market/products/a1')).status).toBe(200);
    expect((await h().get('/api/v1/market/products/a3')).status).toBe(200);
  });

  it('imports CSV with per-row errors by line number, and runs as a job with ?async=true', async () => {
    const csv = await text(csvFeed(120, { bad: (i) => i === 5 || i === 99 }));
    const r = await h().request('POST', '/api/v1/market/products/import', { raw: csv, headers: { 'content-type': 'text/csv' } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ created: 118, failed: 2 });
    expect(r.body.errors.map((e: { line: number }) => e.line)).toEqual([6, 100]);
    const p = await h().get('/api/v1/market/products/c10');
    expect(p.body).toMatchObject({ name: 'Item, no. 10', price: 10.5, categories: ['11', 'all'], currency: 'EUR', available: true, params: { color: 'c1' } });
    const job = await h().request('POST', '/api/v1/market/products/import?async=true&mode=update', { raw: csv, headers: { 'content-type': 'text/csv' } });
    expect(job.status).toBe(202);
    let j = await h().get(`/api/v1/jobs/${job.body.job_id}`);
    for (let i = 0; i < 100 && j.body.status === 'running'; i++) {
      await new Promise((res) => setTimeout(res, 50));
      j = await h().get(`/api/v1/jobs/${job.body.job_id}`);
    }
    expect(j.body.status).toBe('done');
    expect(j.body.result).toMatchObject({ created: 0, updated: 118, failed: 2 });
  });
});
