import { sql } from 'kysely';
import { segmentMembership } from '../engine/segments.js';
import { refreshRfm } from '../engine/tasks/rfm.js';
import { benchApp, BENCH_TOKEN, percentile, type Bench } from './harness.js';

const PROFILES = 1_000_000;
const EVENTS = 10_000_000;
const ORDERS = 1_000_000;
const CHUNK = 1_000_000;
const EVENT_NAMES = ['site_visit', 'site_visit', 'cart_updated', 'purchase', 'email_open'];

/**
 * Segment count over 1M profiles, 10M events and 1M orders (× `--scale`), generated set-based with
 * generate_series: a 4-condition segment (field + event count within + orders total spent + subscription),
 * counted through the API; the RFM refresh over the orders and a count that reads RFM scores; and the rate
 * of single-profile re-evaluations (the narrow load event-driven membership runs).
 */
export const segmentsBench: Bench = async (b) => {
  const scale = b.scale ?? 1;
  const profiles = Math.max(1000, Math.round(PROFILES * scale));
  const events = Math.max(10_000, Math.round(EVENTS * scale));
  const orders = Math.max(1000, Math.round(ORDERS * scale));
  const { app, url, close } = await benchApp(b.db);
  const db = app.ctx.db;
  const log = (msg: string) => process.stderr.write(`[segments] ${msg}\n`);
  try {
    const now = app.ctx.clock.now();
    let t = performance.now();
    await sql`
      INSERT INTO profiles (id, email, email_norm, external_id, fields, subscriptions, created_at, updated_at)
      SELECT md5('p' || i)::uuid, 'user' || i || '@example.com', 'user' || i || '@example.com', 'c-' || i,
        jsonb_build_object('city', (ARRAY['Berlin','Paris','Rome','Madrid','Oslo'])[1 + i % 5], 'age', 18 + (i * 7) % 60,
          'birthday', to_char(date '1960-01-01' + (i * 13) % 15000, 'YYYY-MM-DD')),
        jsonb_build_object('email', CASE WHEN i % 3 = 0 THEN 'unsubscribed' ELSE 'subscribed' END),
        ${now}::timestamptz - make_interval(days => i % 700), ${now}
      FROM generate_series(1, ${profiles}) AS i`.execute(db);
    b.report('generate_profiles', (performance.now() - t) / 1000, 's');
    log(`${profiles} profiles`);

    // events: bulk-load without the secondary indexes, then build them once
    t = performance.now();
    await sql`DROP INDEX events_profile_time, events_name_time_profile, events_event_id`.execute(db);
    for (let from = 1; from <= events; from += CHUNK) {
      const to = Math.min(events, from + CHUNK - 1);
      await sql`
        INSERT INTO events (id, profile_id, name, properties, occurred_at, received_at)
        SELECT md5('e' || g)::uuid, md5('p' || (1 + (hashtext(g::text) & 2147483647) % ${profiles}))::uuid,
          (${EVENT_NAMES}::text[])[1 + (g * 7) % ${EVENT_NAMES.length}], jsonb_build_object('amount', g % 200),
          ${now}::timestamptz - make_interval(secs => ((hashtext('t' || g) & 2147483647) % (365 * 86400))),
          ${now}
        FROM generate_series(${from}::bigint, ${to}::bigint) AS g`.execute(db);
      log(`${to} events`);
    }
    const inserted = (performance.now() - t) / 1000;
    t = performance.now();
    await sql`CREATE UNIQUE INDEX events_event_id ON events (event_id) WHERE event_id IS NOT NULL`.execute(db);
    await sql`CREATE INDEX events_profile_time ON events (profile_id, occurred_at DESC, id DESC)`.execute(db);
    await sql`CREATE INDEX events_name_time_profile ON events (name, occurred_at) INCLUDE (profile_id)`.execute(db);
    b.report('generate_events', inserted, 's');
    b.report('build_event_indexes', (performance.now() - t) / 1000, 's');

    // orders over the last two years: 5% canceled, 4% partly refunded; bulk-loaded, then indexed
    t = performance.now();
    await sql`DROP INDEX market_orders_profile, market_orders_program_time, market_orders_time_segments, market_orders_profile_totals`.execute(db);
    for (let from = 1; from <= orders; from += CHUNK) {
      const to = Math.min(orders, from + CHUNK - 1);
      await sql`
        INSERT INTO market_orders (id, profile_id, status, currency, subtotal, total, refunded_total, created_at, updated_at)
        SELECT 'o-' || g, md5('p' || (1 + (hashtext('o' || g) & 2147483647) % ${profiles}))::uuid,
          CASE WHEN g % 20 = 0 THEN 'canceled' WHEN g % 25 = 0 THEN 'part_refunded' ELSE 'paid' END, 'EUR',
          amount, amount, CASE WHEN g % 25 = 0 THEN amount / 4 ELSE 0 END,
          ${now}::timestamptz - make_interval(secs => ((hashtext('ot' || g) & 2147483647) % (730 * 86400))), ${now}
        FROM (SELECT g, 500 + (hashtext('om' || g) & 2147483647) % 20000 AS amount FROM generate_series(${from}::bigint, ${to}::bigint) AS g) s`.execute(db);
      log(`${to} orders`);
    }
    const ordersInserted = (performance.now() - t) / 1000;
    t = performance.now();
    await sql`CREATE INDEX market_orders_profile ON market_orders (profile_id, created_at DESC, id DESC)`.execute(db);
    await sql`CREATE INDEX market_orders_program_time ON market_orders (program_id, created_at)`.execute(db);
    await sql`CREATE INDEX market_orders_time_segments ON market_orders (created_at) INCLUDE (profile_id, status, total, refunded_total)`.execute(db);
    await sql`CREATE INDEX market_orders_profile_totals ON market_orders (profile_id, created_at) INCLUDE (status, total, refunded_total)`.execute(db);
    b.report('generate_orders', ordersInserted, 's');
    b.report('build_order_indexes', (performance.now() - t) / 1000, 's');

    t = performance.now();
    await sql`VACUUM ANALYZE profiles`.execute(db);
    await sql`VACUUM ANALYZE events`.execute(db);
    await sql`VACUUM ANALYZE market_orders`.execute(db);
    b.report('vacuum_analyze', (performance.now() - t) / 1000, 's');
    log('data ready');

    const headers = { authorization: `Bearer ${BENCH_TOKEN}`, 'content-type': 'application/json' };
    t = performance.now();
    const created = await fetch(`${url}/api/v1/segments`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        name: 'Berlin, 2+ purchases in 30 days, spent 150+, subscribed',
        type: 'dynamic',
        conditions: {
          all: [
            { field: 'fields.city', op: 'eq', value: 'Berlin' },
            { event: 'purchase', count: { gte: 2 }, within: 'P30D' },
            { orders: { total_spent: { gte: 150 } } },
            { subscription: { channel: 'email', status: 'subscribed' } },
          ],
        },
      }),
    });
    if (created.status !== 201) throw new Error(`create segment: ${created.status} ${await created.text()}`);
    const seg = (await created.json()) as { id: string };
    b.report('create_segment_with_baseline', (performance.now() - t) / 1000, 's');

    const times: number[] = [];
    let count = 0;
    for (let i = 0; i < 7; i++) {
      t = performance.now();
      const r = await fetch(`${url}/api/v1/segments/${seg.id}/count`, { headers });
      count = ((await r.json()) as { count: number }).count;
      times.push(performance.now() - t);
    }
    times.sort((a, c) => a - c);
    b.report('segment_members', count, 'profiles');
    b.report('count_4_conditions_first', times[0] === undefined ? NaN : times[0], 'ms');
    b.report('count_4_conditions_median', percentile(times, 50), 'ms');
    b.report('count_4_conditions_max', times[times.length - 1], 'ms');

    // RFM: scores over the last 365 days of orders, then a segment that reads them
    t = performance.now();
    const rfm = await refreshRfm(app.ctx, true);
    b.report('rfm_refresh', (performance.now() - t) / 1000, 's');
    b.report('rfm_scored', rfm?.scored ?? NaN, 'profiles');
    await sql`VACUUM ANALYZE rfm_scores`.execute(db);
    const champions = await fetch(`${url}/api/v1/segments`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'Berlin champions', type: 'dynamic', conditions: { all: [{ rfm: { r: [5], f: [4, 5], m: [5] } }, { field: 'fields.city', op: 'eq', value: 'Berlin' }] } }),
    });
    if (champions.status !== 201) throw new Error(`create segment: ${champions.status} ${await champions.text()}`);
    const champ = (await champions.json()) as { id: string };
    const rfmTimes: number[] = [];
    let rfmCount = 0;
    for (let i = 0; i < 5; i++) {
      t = performance.now();
      rfmCount = ((await (await fetch(`${url}/api/v1/segments/${champ.id}/count`, { headers })).json()) as { count: number }).count;
      rfmTimes.push(performance.now() - t);
    }
    rfmTimes.sort((a, c) => a - c);
    b.report('segment_members_rfm', rfmCount, 'profiles');
    b.report('count_rfm_and_field_median', percentile(rfmTimes, 50), 'ms');

    // single-profile re-evaluation: the narrow query + membership diff event-driven membership runs
    const sample = (await sql<{ id: string }>`SELECT md5('p' || (1 + (i * 7919) % ${profiles}))::uuid AS id FROM generate_series(1, 2000) AS i`.execute(db)).rows.map((r) => r.id);
    const engine = segmentMembership(app.ctx);
    for (const id of sample.slice(0, 100)) await engine.reevaluate([seg.id], [id]); // warm-up
    t = performance.now();
    for (const id of sample) await engine.reevaluate([seg.id], [id]);
    const secs = (performance.now() - t) / 1000;
    b.report('reevaluations_single_profile', sample.length / secs, 'profiles/s');
    const par = 8;
    t = performance.now();
    await Promise.all(Array.from({ length: par }, (_, w) => (async () => {
      for (let i = w; i < sample.length; i += par) await engine.reevaluate([seg.id], [sample[i]]);
    })()));
    b.report('reevaluations_single_profile_8_concurrent', sample.length / ((performance.now() - t) / 1000), 'profiles/s');
    t = performance.now();
    for (let i = 0; i < sample.length; i += 500) await engine.reevaluate([seg.id], sample.slice(i, i + 500));
    b.report('reevaluations_batched_500', sample.length / ((performance.now() - t) / 1000), 'profiles/s');
  } finally {
    await close();
  }
};
