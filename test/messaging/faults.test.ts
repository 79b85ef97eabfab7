import { createServer } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { VirtualClock } from '../../src/domain/clock.js';
import { messaging, send } from '../../src/engine/messaging.js';
import { claimDueMessages } from '../../src/store/messages.js';
import type { App } from '../../src/app.js';
import { call, describeEachTarget, processOn, recordingServer, until } from './helpers.js';

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describeEachTarget('delivery faults', (target) => {
    let made: Awaited<ReturnType<typeof target.create>>;
    let gateway: Awaited<ReturnType<typeof recordingServer>>;
    const apps: App[] = [];
    const clock = new VirtualClock('2026-04-01T12:00:00Z');
    beforeAll(async () => {
      made = await target.create();
      gateway = await recordingServer();
    });
    afterAll(async () => {
      for (const a of apps) {
        await messaging(a.ctx).close();
        await a.stop();
      }
      await gateway?.close();
      await made?.drop();
    });

    async function start(role: 'all' | 'api') {
      const app = await processOn(made.database, clock, role);
      apps.push(app);
      return app;
    }

    it('provider down: retried with back-off, then failed with the reason; nothing lost', async () => {
      const app = await start('api');
      expect((await call(app, 'PUT', '/api/v1/settings/messaging', { retry: { max_attempts: 3, backoff: 'PT10S' } })).status).toBe(200);
      const port = await closedPort();
      const ch = await call(app, 'POST', '/api/v1/channels', { type: 'sms', provider: 'http', config: { url: `http://127.0.0.1:${port}/send` } });
      expect(ch.status).toBe(201);
      const p = (await call(app, 'POST', '/api/v1/profiles', { phone: '+4915100001111', subscriptions: { sms: 'subscribed' } })).body.id;
      const t = (await call(app, 'POST', '/api/v1/templates', { name: 'down', channel: 'sms', body: 'hello' })).body.id;
      const sent = (await call(app, 'POST', '/api/v1/messages', { profile: { id: p }, template_id: t })).body;

      await app.ctx.work.drain('message-delivery');
      let m = (await call(app, 'GET', `/api/v1/messages/${sent.id}`)).body;
      expect(m).toMatchObject({ status: 'queued', attempts: 1, reason: expect.stringMatching(/^attempt 1 failed: .*ECONNREFUSED/) });
      expect(new Date(m.scheduled_at).getTime()).toBe(clock.now().getTime());
      clock.advance(9_000);
      expect(await app.ctx.work.drain('message-delivery')).toBe(0);
      clock.advance(1_000);
      await app.ctx.work.drain('message-delivery');
      m = (await call(app, 'GET', `/api/v1/messages/${sent.id}`)).body;
      expect(m).toMatchObject({ status: 'queued', attempts: 2 });
      clock.advance(40_000); // back-off grows: 10 s, then 40 s
      await app.ctx.work.drain('message-delivery');
      m = (await call(app, 'GET', `/api/v1/messages/${sent.id}`)).body;
      expect(m.status).toBe('failed');
      expect(m.attempts).toBe(3);
      expect(m.reason).toMatch(/ECONNREFUSED.*\(after 3 attempts\)$/);
      const failed = (await call(app, 'GET', `/api/v1/profiles/${p}/timeline`)).body.items.find((e: { title: string }) => e.title === 'message_failed');
      expect(failed.data).toMatchObject({ message_id: sent.id, channel: 'sms', reason: m.reason });
      await call(app, 'DELETE', `/api/v1/channels/${ch.body.id}`);
      await call(app, 'PUT', '/api/v1/settings/messaging', {});
    });

    it('a restart between write and delivery delivers exactly once; a worker that died mid-delivery is covered by the lease', async () => {
      const writer = await start('api');
      const ch = await call(writer, 'POST', '/api/v1/channels', { type: 'push', provider: 'http', config: { url: `${gateway.url}/push` } });
      expect(ch.status).toBe(201);
      const p = (await call(writer, 'POST', '/api/v1/profiles', { email: 'crash@example.com', fields: { push_token: 'tok-1' }, subscriptions: { push: 'subscribed' } })).body.id;
      const t = (await call(writer, 'POST', '/api/v1/templates', { name: 'crash', channel: 'push', title: 'Hi', body: 'once' })).body.id;
      // written in the caller's transaction, then the process goes away before any delivery
      const first = await writer.ctx.db.transaction().execute((tx) => send(writer.ctx, tx, { profile: p, template: t, origin: { dedupe_key: 'crash-1' } }));
      // another write whose worker claims it and dies before delivering
      const second = await writer.ctx.db.transaction().execute((tx) => send(writer.ctx, tx, { profile: p, template: t, origin: { dedupe_key: 'crash-2' } }));
      await writer.ctx.db.transaction().execute((tx) => claimDueMessages(tx, clock.now(), 1, new Date(clock.now().getTime() + 5 * 60_000)));
      await writer.stop();
      expect(gateway.received.filter((r) => r.url === '/push')).toHaveLength(0);

      const worker = await start('all');
      const w2 = await start('all'); // two workers racing for the same rows
      const ids = [first.message_id, second.message_id];
      await until(async () => {
        await Promise.all([worker.ctx.work.drain('message-delivery'), w2.ctx.work.drain('message-delivery')]);
        const s = await Promise.all(ids.map(async (id) => (await call(worker, 'GET', `/api/v1/messages/${id}`)).body.status));
        return s.filter((x) => x === 'sent').length === 1 && s;
      });
      clock.advance(5 * 60_000 + 1); // the dead worker's lease runs out
      await until(async () => {
        await Promise.all([worker.ctx.work.drain('message-delivery'), w2.ctx.work.drain('message-delivery')]);
        const s = await Promise.all(ids.map(async (id) => (await call(worker, 'GET', `/api/v1/messages/${id}`)).body.status));
        return s.every((x) => x === 'sent');
      });
      // a replay of the same step after the restart writes nothing new
      const replay = await worker.ctx.db.transaction().execute((tx) => send(worker.ctx, tx, { profile: p, template: t, origin: { dedupe_key: 'crash-1' } }));
      expect(replay).toMatchObject({ message_id: first.message_id, duplicate: true });
      await new Promise((r) => setTimeout(r, 200));
      const keys = gateway.received.filter((r) => r.url === '/push').map((r) => r.headers['idempotency-key']);
      expect(keys.sort()).toEqual([...ids].sort());
      const events = (await call(worker, 'GET', `/api/v1/profiles/${p}/timeline`)).body.items.filter((e: { title: string }) => e.title === 'message_sent');
      expect(events).toHaveLength(2);
    });
});
