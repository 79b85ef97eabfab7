import amqplib from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VirtualClock } from '../../src/domain/clock.js';
import { hooks } from '../../src/engine/hooks.js';
import { requireServices } from '../helpers/databases.js';
import { describeEachDatabase } from '../helpers/harness.js';
import { recordingServer, until } from './helpers.js';

const RABBIT_URL = process.env.TEST_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

async function rabbitProblem(): Promise<string | null> {
  try {
    const c = await amqplib.connect(RABBIT_URL, { timeout: 2000 });
    await c.close();
    return null;
  } catch (err) {
    return (err as Error).message || String(err);
  }
}
const rabbitDown = await rabbitProblem();

describeEachDatabase('action hooks', (h) => {
  let sink: Awaited<ReturnType<typeof recordingServer>>;
  let failFirst = 0;
  beforeAll(async () => {
    sink = await recordingServer((req) => {
      if (req.url === '/flaky' && failFirst > 0) {
        failFirst--;
        return { status: 503, body: { error: 'busy' } };
      }
      return { status: 200, body: {} };
    });
  });
  afterAll(async () => {
    await hooks(h().ctx).close();
    await sink?.close();
  });

  const deliveries = async (hookId: string, status?: string) =>
    (await h().get(`/api/v1/hooks/${hookId}/deliveries?limit=1000${status ? `&status=${status}` : ''}`)).body.items as { status: string; attempts: number; last_error: string | null }[];

  it('posts subscribed events as JSON batches of the configured size, each carrying the event fields', async () => {
    const r = await h().post('/api/v1/hooks', { events: ['purchase'], target: { type: 'http', url: `${sink.url}/batch`, batch_size: 2, headers: { 'x-api-key': 'hook-secret-value-99' } } });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.target.headers['x-api-key']).toBe('****e-99');
    const hookId = r.body.id;
    const batch = await h().post('/api/v1/events/batch', {
      events: [
        { profile: { email: 'hook1@example.com' }, name: 'purchase', properties: { amount: 10 } },
        { profile: { email: 'hook1@example.com' }, name: 'site_visit', properties: {} },
        { profile: { email: 'hook2@example.com' }, name: 'purchase', properties: { amount: 20 } },
        { profile: { email: 'hook3@example.com' }, name: 'purchase', properties: { amount: 30 } },
      ],
    });
    expect(batch.body.accepted).toBe(4);
    await until(async () => (await deliveries(hookId)).length === 3);
    await until(async () => {
      await h().ctx.work.drain('hook-delivery');
      return (await deliveries(hookId, 'delivered')).length === 3;
    });
    const posts = sink.received.filter((x) => x.url === '/batch');
    expect(posts.map((p) => p.json.events.length).sort()).toEqual([1, 2]);
    expect(posts[0].headers['x-api-key']).toBe('hook-secret-value-99');
    const all = posts.flatMap((p) => p.json.events);
    expect(all.map((e: { event_data: { amount: number } }) => e.event_data.amount).sort()).toEqual([10, 20, 30]);
    for (const e of all) {
      expect(Object.keys(e).sort()).toEqual(['event_data', 'event_date', 'event_id', 'event_type', 'profile_id']);
      expect(e.event_type).toBe('purchase');
      expect(e.event_id).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(new Set(all.map((e: { event_id: string }) => e.event_id)).size).toBe(3);
    await h().request('DELETE', `/api/v1/hooks/${hookId}`);
  });

  it('retries a failing endpoint with back-off until it answers 2xx (at least once)', async () => {
    const clock = h().clock as VirtualClock;
    failFirst = 2;
    const r = await h().post('/api/v1/hooks', { events: ['message_sent', 'refund'], target: { type: 'http', url: `${sink.url}/flaky`, timeout: 'PT2S' } });
    const hookId = r.body.id;
    await h().post('/api/v1/events', { profile: { email: 'flaky@example.com' }, name: 'refund', properties: { order: 'R1' } });
    await until(async () => (await deliveries(hookId)).length === 1);
    await until(async () => {
      await h().ctx.work.drain('hook-delivery');
      return !!(await deliveries(hookId))[0].last_error;
    });
    expect((await deliveries(hookId))[0]).toMatchObject({ status: 'pending', last_error: expect.stringContaining('HTTP 503') });
    for (let i = 0; i < 3; i++) {
      clock.advance(60_000);
      await h().ctx.work.drain('hook-delivery');
    }
    await until(async () => (await deliveries(hookId, 'delivered')).length === 1);
    const got = sink.received.filter((x) => x.url === '/flaky');
    expect(got).toHaveLength(3);
    expect(new Set(got.map((g) => g.json.events[0].event_id)).size).toBe(1);
    await h().request('DELETE', `/api/v1/hooks/${hookId}`);
  });

  it('holds a batch until the flush interval unless the batch is full', async () => {
    const clock = h().clock as VirtualClock;
    const r = await h().post('/api/v1/hooks', { events: ['wishlist'], target: { type: 'http', url: `${sink.url}/flush`, batch_size: 2, flush_interval: 'PT1M' } });
    const hookId = r.body.id;
    await h().post('/api/v1/events', { profile: { email: 'fl@example.com' }, name: 'wishlist', properties: { n: 1 } });
    await until(async () => (await deliveries(hookId)).length === 1);
    await h().ctx.work.drain('hook-delivery');
    expect(sink.received.filter((x) => x.url === '/flush')).toHaveLength(0);
    clock.advance(61_000);
    await until(async () => {
      await h().ctx.work.drain('hook-delivery');
      return (await deliveries(hookId, 'delivered')).length === 1;
    });
    await h().post('/api/v1/events/batch', { events: [1, 2].map((n) => ({ profile: { email: 'fl@example.com' }, name: 'wishlist', properties: { n } })) });
    await until(async () => {
      await h().ctx.work.drain('hook-delivery');
      return (await deliveries(hookId, 'delivered')).length === 3;
    });
    expect(sink.received.filter((x) => x.url === '/flush').map((x) => x.json.events.length)).toEqual([1, 2]);
    await h().request('DELETE', `/api/v1/hooks/${hookId}`);
  });

  it('validates hook targets', async () => {
    const r = await h().post('/api/v1/hooks', { events: [], target: { type: 'http', url: 'ftp://x', flush_interval: 'soon' } });
    expect(r.status).toBe(400);
    const paths = r.body.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['events', 'target.url', 'target.flush_interval']));
  });

  const rabbit = rabbitDown && !requireServices ? describe.skip : describe;
  if (rabbitDown && !requireServices) console.warn(`skipping the RabbitMQ hook test: ${RABBIT_URL} is not reachable (${rabbitDown})`);
  rabbit(rabbitDown ? `RabbitMQ — ${RABBIT_URL} unreachable` : 'RabbitMQ', () => {
    it('publishes one persistent message per event to the exchange, confirmed, read back from a real queue', async () => {
      if (rabbitDown) throw new Error(`RabbitMQ at ${RABBIT_URL} is not reachable (${rabbitDown}); RETENTA_TEST_REQUIRE_SERVICES=1 requires it`);
      const conn = await amqplib.connect(RABBIT_URL);
      try {
        const ch = await conn.createChannel();
        const exchange = `retenta.test.${Date.now()}.${Math.random().toString(36).slice(2, 8)}`;
        await ch.assertExchange(exchange, 'direct', { durable: false, autoDelete: true });
        const q = await ch.assertQueue('', { exclusive: true });
        await ch.bindQueue(q.queue, exchange, 'events');
        const r = await h().post('/api/v1/hooks', { events: ['order_finalized'], target: { type: 'rabbitmq', url: RABBIT_URL, exchange, routing_key: 'events' } });
        expect(r.status, JSON.stringify(r.body)).toBe(201);
        expect(r.body.target.url).toBe('amqp://guest:****@127.0.0.1:5672');
        const ev = await h().post('/api/v1/events/batch', {
          events: [1, 2].map((n) => ({ profile: { email: `rmq${n}@example.com` }, name: 'order_finalized', properties: { order_id: `O-${n}` } })),
        });
        expect(ev.body.accepted).toBe(2);
        const got: amqplib.ConsumeMessage[] = [];
        await ch.consume(q.queue, (m) => m && got.push(m), { noAck: true });
        await until(async () => {
          await h().ctx.work.drain('hook-delivery');
          return got.length === 2;
        }, 15_000);
        const bodies = got.map((m) => JSON.parse(m.content.toString()));
        expect(bodies.map((b) => b.event_data.order_id).sort()).toEqual(['O-1', 'O-2']);
        for (let i = 0; i < got.length; i++) {
          expect(got[i].properties.deliveryMode).toBe(2);
          expect(got[i].properties.messageId).toBe(bodies[i].event_id);
          expect(bodies[i]).toMatchObject({ event_type: 'order_finalized', profile_id: expect.any(String), event_date: expect.any(String) });
        }
        await h().request('DELETE', `/api/v1/hooks/${r.body.id}`);
      } finally {
        await conn.close();
      }
    });
  });
});
