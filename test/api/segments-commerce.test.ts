import { expect, it } from 'vitest';
import type { VirtualClock } from '../../src/domain/clock.js';
import { ingestEvents } from '../../src/engine/ingest.js';
import { segmentMembership } from '../../src/engine/segments.js';
import { insertOrder } from '../../src/store/market.js';
import { describeEachDatabase, type Harness } from '../helpers/harness.js';
import { transitions, transitionWithin, waitFor } from '../helpers/segments.js';

const api = '/api/v1';
const DAY = 86_400_000;

async function profile(h: Harness, body: Record<string, unknown>): Promise<string> {
  const r = await h.post(`${api}/profiles`, body);
  expect([200, 201]).toContain(r.status);
  return r.body.id;
}

async function segment(h: Harness, name: string, conditions: unknown): Promise<string> {
  const r = await h.post(`${api}/segments`, { name, type: 'dynamic', conditions });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.id;
}

const count = async (h: Harness, id: string) => (await h.get(`${api}/segments/${id}/count`)).body.count as number;

async function putOrder(h: Harness, id: string, profileId: string, price: number, extra: Record<string, unknown> = {}) {
  const r = await h.request('PUT', `${api}/market/orders/${id}`, { body: { profile: { id: profileId }, items: [{ product_id: 'tea', quantity: 2, price: price / 2 }], ...extra } });
  expect([200, 201]).toContain(r.status);
  return r.body;
}

async function job(h: Harness, id: string) {
  let j: { status: string; result?: Record<string, unknown>; error?: string } | undefined;
  for (let i = 0; i < 250 && j?.status !== 'done' && j?.status !== 'failed'; i++) {
    await new Promise((r) => setTimeout(r, 20));
    j = (await h.get(`${api}/jobs/${id}`)).body;
  }
  return j!;
}

describeEachDatabase('segments over orders, loyalty and RFM', (h) => {
  // first: the quintiles below are over this test's customers only
  it('computes RFM quintiles on demand and on schedule, serves them per profile, to segments and to templates', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      ids.push(await profile(h(), { email: `rfm${i}@example.com` }));
      // profile i: i+1 orders of 10·(i+1) each, the last one i days ago
      for (let k = 0; k <= i; k++)
        await putOrder(h(), `rfm-${i}-${k}`, ids[i], 10 * (i + 1), { created_at: new Date(h().clock.now().getTime() - (i + k * 3) * DAY).toISOString() });
    }
    const lapsed = await profile(h(), { email: 'rfm-lapsed@example.com' });
    await putOrder(h(), 'rfm-lapsed-1', lapsed, 1000, { created_at: new Date(h().clock.now().getTime() - 400 * DAY).toISOString() });
    const champions = await segment(h(), 'Champions', { all: [{ rfm: { r: [5], f: [5], m: [5] } }, { field: 'email', op: 'contains', value: 'rfm' }] });
    const atRisk = await segment(h(), 'Low recency', { all: [{ rfm: { r: [1, 2] } }, { field: 'email', op: 'contains', value: 'rfm' }] });

    const started = await h().post(`${api}/segments/rfm/refresh`);
    expect(started.status).toBe(202);
    const done = await job(h(), started.body.job_id);
    expect(done).toMatchObject({ status: 'done', result: { segments: 2 } });
    expect(done.result!.scored).toBeGreaterThanOrEqual(10);

    // profile 0 ordered today once (recency high, frequency and money low), profile 9 most often and most
    const first = (await h().get(`${api}/profiles/${ids[0]}/rfm`)).body;
    const last = (await h().get(`${api}/profiles/${ids[9]}/rfm`)).body;
    expect(first).toMatchObject({ profile_id: ids[0], r: 5, f: 1, m: 1, orders: 1, monetary: 10, refreshed_at: h().clock.now().toISOString() });
    expect(last).toMatchObject({ r: 1, f: 5, m: 5, orders: 10, monetary: 1000 });
    expect((await h().get(`${api}/profiles/${lapsed}/rfm`)).body).toMatchObject({ r: null, f: null, m: null, orders: 0, monetary: 0 });
    expect((await h().get(`${api}/profiles/00000000-0000-7000-8000-0000000000ee/rfm`)).status).toBe(404);
    expect((await h().get(`${api}/segments/rfm`)).body).toMatchObject({ refreshed_at: h().clock.now().toISOString(), scored: done.result!.scored });

    // the refresh recorded entries into the segments that read the scores
    expect(await count(h(), atRisk)).toBe(4);
    expect(await transitions(h(), ids[9], atRisk, 'segment_entered')).toBe(1);
    expect(await transitions(h(), ids[0], atRisk, 'segment_entered')).toBe(0);
    expect(await count(h(), champions)).toBe(0);

    // templates read the scores
    const t = await h().post(`${api}/templates`, { name: 'rfm-note', channel: 'email', subject: 'Score {{ rfm.score }}', body: 'r={{ rfm.r }} spent {{ rfm.monetary }}', format: 'text' });
    expect(t.status).toBe(201);
    const rendered = await h().post(`${api}/templates/${t.body.id}/render`, { profile: { id: ids[9] } });
    expect(rendered.body).toMatchObject({ subject: 'Score 155', body: 'r=1 spent 1000' });
    expect((await h().post(`${api}/templates/${t.body.id}/render`, { profile: { id: lapsed } })).body.subject).toBe('Score');

    // the scheduled refresh: not due yet, then due a day later; profile 9 orders today and its recency moves up
    expect(await h().ctx.work.drain('rfm-refresh')).toBe(0);
    expect((await h().get(`${api}/segments/rfm`)).body.refreshed_at).toBe(h().clock.now().toISOString());
    await putOrder(h(), 'rfm-9-new', ids[9], 90);
    (h().clock as VirtualClock).advance(DAY + 1000);
    await h().ctx.work.drain('rfm-refresh');
    expect((await h().get(`${api}/segments/rfm`)).body.refreshed_at).toBe(h().clock.now().toISOString());
    expect((await h().get(`${api}/profiles/${ids[9]}/rfm`)).body).toMatchObject({ r: 5, f: 5, orders: 11 });
    expect(await transitions(h(), ids[9], atRisk, 'segment_exited')).toBe(1);
    expect(await transitions(h(), ids[9], champions, 'segment_entered')).toBe(1);
  });

  it('moves profiles in and out of order segments as orders are written, refunded, canceled and moved, within a second', async () => {
    const ann = await profile(h(), { email: 'ann.orders@example.com' });
    const bob = await profile(h(), { email: 'bob.orders@example.com' });
    const big = await segment(h(), 'Spent 100 in 30 days', { orders: { total_spent: { gte: 100 }, within: 'P30D' } });
    const none = await segment(h(), 'Never ordered', { orders: { count: { eq: 0 } } });
    const two = await segment(h(), 'Two orders', { all: [{ orders: { count: { gte: 2 } } }, { field: 'email', op: 'contains', value: 'orders' }] });
    expect(await count(h(), none)).toBeGreaterThanOrEqual(2);
    expect(await h().get(`${api}/segments/${big}`)).toMatchObject({ body: { time_relative: true } });

    await putOrder(h(), 'seg-o1', ann, 60);
    expect(await transitionWithin(h(), ann, none, 'segment_exited', 1)).toBeLessThan(1000);
    expect(await transitions(h(), ann, big, 'segment_entered')).toBe(0);

    // the order that makes ann qualify: segment_entered within a second
    await putOrder(h(), 'seg-o2', ann, 50);
    expect(await transitionWithin(h(), ann, big, 'segment_entered', 1)).toBeLessThan(1000);
    expect(await transitionWithin(h(), ann, two, 'segment_entered', 1)).toBeLessThan(1000);

    // a refund of one unit (25) takes ann below 100: she leaves
    const refund = await h().post(`${api}/market/orders/seg-o2/refund`, { items: [{ product_id: 'tea', quantity: 1 }] });
    expect(refund.status).toBe(200);
    expect(await transitionWithin(h(), ann, big, 'segment_exited', 1)).toBeLessThan(1000);

    // replacing an order with one of another profile moves it: ann has one order left, bob has his first
    await putOrder(h(), 'seg-o1', bob, 200);
    expect(await transitionWithin(h(), bob, big, 'segment_entered', 1)).toBeLessThan(1000);
    expect(await transitionWithin(h(), bob, none, 'segment_exited', 1)).toBeLessThan(1000);
    expect(await transitionWithin(h(), ann, two, 'segment_exited', 1)).toBeLessThan(1000);

    // canceling bob's order: he has none again
    expect((await h().post(`${api}/market/orders/seg-o1/status`, { status: 'canceled' })).status).toBe(200);
    expect(await transitionWithin(h(), bob, none, 'segment_entered', 1)).toBeLessThan(1000);
    expect(await transitionWithin(h(), bob, big, 'segment_exited', 1)).toBeLessThan(1000);

    // time alone: ann's order falls out of the 30-day window; the scheduled refresh records nothing new for her
    // (she is out already), but a fresh qualifying order 31 days on is outside the window of the old ones
    await putOrder(h(), 'seg-o3', ann, 100);
    expect(await transitionWithin(h(), ann, big, 'segment_entered', 2)).toBeLessThan(1000);
    (h().clock as VirtualClock).advance(31 * DAY);
    await h().ctx.work.drain('segment-refresh');
    expect(await transitions(h(), ann, big, 'segment_exited')).toBe(2);
    expect(await count(h(), big)).toBe(0);
  });

  it('follows loyalty membership, balance and tier through joins, accruals, redemptions, rolled-back holds and expiry', async () => {
    const club = (await h().post(`${api}/loyalty/programs`, {
      name: 'Segment club',
      currency: 'EUR',
      point_value: 0.01,
      points_rounding: 'floor',
      redeem_max_share: 1,
      points_ttl: 'P30D',
      tiers: [{ name: 'Gold', min_spend: 100 }],
    })).body as { id: string };
    const cid = await profile(h(), { email: 'cid.loyalty@example.com' });
    const member = await segment(h(), 'Club members', { loyalty: { program_id: club.id, member: true } });
    const outsider = await segment(h(), 'Not in the club', { all: [{ loyalty: { program_id: club.id, member: false } }, { field: 'email', op: 'eq', value: 'cid.loyalty@example.com' }] });
    const rich = await segment(h(), '300+ points', { loyalty: { program_id: club.id, balance: { gte: 300 } } });
    const gold = await segment(h(), 'Gold', { loyalty: { program_id: club.id, tier: ['Gold'] } });
    expect(await count(h(), outsider)).toBe(1);

    const joined = await h().post(`${api}/loyalty/programs/${club.id}/members`, { profile: { id: cid } });
    expect(joined.status).toBe(201);
    expect(await transitionWithin(h(), cid, member, 'segment_entered', 1)).toBeLessThan(1000);
    expect(await transitionWithin(h(), cid, outsider, 'segment_exited', 1)).toBeLessThan(1000);

    const accrue = await h().post(`${api}/loyalty/programs/${club.id}/accrue`, { profile: { id: cid }, points: 500, reason: 'welcome gift' });
    expect(accrue.status).toBe(201);
    expect(await transitionWithin(h(), cid, rich, 'segment_entered', 1)).toBeLessThan(1000);

    const held = await h().post(`${api}/loyalty/programs/${club.id}/redeem`, { profile: { id: cid }, points: 300, reason: 'order', hold: 'PT10M' });
    expect(held.status).toBe(201);
    expect(await transitionWithin(h(), cid, rich, 'segment_exited', 1)).toBeLessThan(1000);
    const back = await h().post(`${api}/loyalty/programs/${club.id}/transactions/${held.body.id}/rollback`);
    expect(back.status).toBe(200);
    expect(await transitionWithin(h(), cid, rich, 'segment_entered', 2)).toBeLessThan(1000);

    // an order over the tier threshold: the tier recompute moves cid to Gold, tier_changed moves the segment
    await putOrder(h(), 'seg-gold-1', cid, 150, { program_id: club.id });
    const tiered = await waitFor(async () => {
      await h().ctx.work.drain('loyalty-tiers');
      return (await transitions(h(), cid, gold, 'segment_entered')) === 1 ? true : undefined;
    }, 3000);
    expect(tiered).toBe(true);

    // time alone: the points expire after 30 days; the scheduled refresh of balance segments records the exit
    (h().clock as VirtualClock).advance(31 * DAY);
    await h().ctx.work.drain('loyalty-expire-lots');
    expect((await h().get(`${api}/loyalty/programs/${club.id}/members/${cid}`)).body.balance).toBe(0);
    await h().ctx.work.drain('segment-refresh');
    expect(await transitions(h(), cid, rich, 'segment_exited')).toBe(2);
    expect(await count(h(), rich)).toBe(0);
    expect(await count(h(), member)).toBe(1);
  });

  it("re-evaluates a profile when a checkout's order_finalized event arrives", async () => {
    const eve = await profile(h(), { email: 'eve.checkout@example.com' });
    const buyers = await segment(h(), 'Checkout buyers', { all: [{ orders: { count: { gte: 1 } } }, { field: 'email', op: 'eq', value: 'eve.checkout@example.com' }] });
    // a checkout writes the order in its own transaction and emits order_finalized after commit
    const now = h().clock.now();
    await h().ctx.db.transaction().execute((tx) =>
      insertOrder(tx, { id: 'seg-co-1', profile_id: eve, program_id: null, status: 'paid', channel: null, currency: 'EUR', subtotal: 1000, discount_total: 0, points_redeemed: 0, points_redeemed_value: 0, total: 1000, points_accrued: 0, applied_promotions: [], request_hash: null, created_at: now, items: [] }, now),
    );
    expect(await transitions(h(), eve, buyers, 'segment_entered')).toBe(0);
    await ingestEvents(h().ctx, [{ profile: { id: eve }, name: 'order_finalized', properties: { order_id: 'seg-co-1' } }]);
    expect(await transitionWithin(h(), eve, buyers, 'segment_entered', 1)).toBeLessThan(1000);
  });

  it('re-evaluates profiles a CSV import creates or changes', async () => {
    const dora = await profile(h(), { email: 'dora.import@example.com', fields: { city: 'Lyon' } });
    const oslo = await segment(h(), 'Oslo (import)', { all: [{ field: 'fields.city', op: 'eq', value: 'Oslo' }, { field: 'email', op: 'contains', value: 'import' }] });
    const csv = 'email,city\ndora.import@example.com,Oslo\nerik.import@example.com,Oslo\nbad-address,Oslo\n';
    const r = await h().request('POST', `${api}/profiles/import`, { raw: csv, headers: { 'content-type': 'text/csv' } });
    expect(r.body).toMatchObject({ created: 1, updated: 1, failed: 1 });
    expect(await transitionWithin(h(), dora, oslo, 'segment_entered', 1)).toBeLessThan(1000);
    const erik = (await h().get(`${api}/profiles?email=erik.import@example.com`)).body.id;
    expect(await transitionWithin(h(), erik, oslo, 'segment_entered', 1)).toBeLessThan(1000);

    const later = await h().request('POST', `${api}/profiles/import?async=true`, { raw: 'email,city\ndora.import@example.com,Bergen\n', headers: { 'content-type': 'text/csv' } });
    expect(later.status).toBe(202);
    expect((await job(h(), later.body.job_id)).status).toBe('done');
    expect(await transitionWithin(h(), dora, oslo, 'segment_exited', 1)).toBeLessThan(1000);
    await segmentMembership(h().ctx).idle();
    expect(await count(h(), oslo)).toBe(1);
  });
});
