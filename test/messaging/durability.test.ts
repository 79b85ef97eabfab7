import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { VirtualClock } from '../../src/domain/clock.js';
import { hooks } from '../../src/engine/hooks.js';
import { messaging, send } from '../../src/engine/messaging.js';
import type { StoredEvent } from '../../src/store/events.js';
import type { App } from '../../src/app.js';
import { call, describeEachTarget, processOn, recordingServer, until } from './helpers.js';

const eventsNamed = async (app: App, profile: string, name: string) =>
  (await call(app, 'GET', `/api/v1/profiles/${profile}/timeline?limit=100`)).body.items.filter((e: { kind: string; title: string }) => e.kind === 'event' && e.title === name);

describeEachTarget('messaging durability', (target) => {
    let made: Awaited<ReturnType<typeof target.create>>;
    let sink: Awaited<ReturnType<typeof recordingServer>>;
    const apps: App[] = [];
    const clock = new VirtualClock('2026-05-01T08:00:00Z');
    beforeAll(async () => {
      made = await target.create();
      sink = await recordingServer();
    });
    afterAll(async () => {
      for (const a of apps) await a.stop();
      await sink?.close();
      await made?.drop();
    });
    async function start(role: 'all' | 'api') {
      const app = await processOn(made.database, clock, role);
      apps.push(app);
      return app;
    }

    it('an event stored just before the process stops is forwarded to its hook after the restart', async () => {
      const first = await start('api');
      const hook = await call(first, 'POST', '/api/v1/hooks', { events: ['order_paid'], target: { type: 'http', url: `${sink.url}/hook` } });
      expect(hook.status).toBe(201);
      // this process forwards nothing after commit: it stops between the event's commit and any forwarding
      await hooks(first.ctx).close();
      const ev = await call(first, 'POST', '/api/v1/events', { profile: { email: 'crash-hook@example.com' }, name: 'order_paid', properties: { order_id: 'o-1' }, event_id: 'paid-o-1' });
      expect(ev.status, JSON.stringify(ev.body)).toBe(202);
      await first.stop();
      expect(sink.received.filter((r) => r.url === '/hook')).toHaveLength(0);

      const second = await start('all');
      const forwarded = await until(async () => {
        await second.ctx.work.drain('hook-delivery');
        return sink.received.find((r) => r.url === '/hook');
      });
      expect(forwarded.json.events).toEqual([
        { event_id: ev.body.id, event_type: 'order_paid', event_date: clock.now().toISOString(), profile_id: expect.any(String), event_data: { order_id: 'o-1' } },
      ]);
      await call(second, 'DELETE', `/api/v1/hooks/${hook.body.id}`);
      await second.stop(); // the next tests drive delivery themselves
    });

    it('an outbox message and its message_sent event commit or roll back together, and reach subscribers after commit', async () => {
      const app = await start('api');
      const p = (await call(app, 'POST', '/api/v1/profiles', { email: 'atomic@example.com', subscriptions: { email: 'subscribed' } })).body.id;
      const t = (await call(app, 'POST', '/api/v1/templates', { name: 'atomic', channel: 'email', subject: 's', body: 'b', format: 'text' })).body.id;
      const seen: StoredEvent[] = [];
      const off = app.ctx.bus.on('events', (events) => void seen.push(...events.filter((e) => e.name === 'message_sent')));
      const ctx = app.ctx;
      await expect(
        ctx.db.transaction().execute(async (tx) => {
          const r = await send(ctx, tx, { profile: p, template: t });
          const inside = await tx.selectFrom('events').select('name').where('profile_id', '=', p).where('name', '=', 'message_sent').execute();
          expect(inside).toHaveLength(1);
          expect((await tx.selectFrom('messages').select('status').where('id', '=', r.message_id).executeTakeFirstOrThrow()).status).toBe('sent');
          throw new Error('rollback');
        }),
      ).rejects.toThrow('rollback');
      expect(await eventsNamed(app, p, 'message_sent')).toHaveLength(0);
      expect((await call(app, 'GET', `/api/v1/messages?profile=${p}`)).body.items).toHaveLength(0);

      const r = await ctx.db.transaction().execute((tx) => send(ctx, tx, { profile: p, template: t }));
      // no delivery round has run (this process runs no work): the message is stored and its event is there
      expect((await call(app, 'GET', `/api/v1/messages/${r.message_id}`)).body).toMatchObject({ status: 'sent', attempts: 1, provider_response: { provider: 'outbox', stored: true } });
      expect((await eventsNamed(app, p, 'message_sent')).map((e: { data: { message_id: string } }) => e.data.message_id)).toEqual([r.message_id]);
      // subscribers hear of it once the delivery task publishes what committed, and not of the rolled-back one
      await ctx.work.drain('message-delivery');
      expect(seen.map((e) => e.properties.message_id)).toEqual([r.message_id]);
      await ctx.work.drain('message-delivery');
      expect(seen).toHaveLength(1);
      off();
    });

    it('a delivery outcome and its event are one transaction: when the event cannot be written the message is not marked sent', async () => {
      const app = await start('api');
      const ch = await call(app, 'POST', '/api/v1/channels', { type: 'sms', provider: 'http', config: { url: `${sink.url}/sms` } });
      expect(ch.status).toBe(201);
      const p = (await call(app, 'POST', '/api/v1/profiles', { phone: '+4915100003333', subscriptions: { sms: 'subscribed' } })).body.id;
      const t = (await call(app, 'POST', '/api/v1/templates', { name: 'atomic-sms', channel: 'sms', body: 'hello' })).body.id;
      const db = app.ctx.db;
      await sql`CREATE FUNCTION refuse_message_sent() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.name = 'message_sent' THEN RAISE EXCEPTION 'events are not writable'; END IF; RETURN NEW; END $$`.execute(db);
      await sql`CREATE TRIGGER refuse_message_sent BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION refuse_message_sent()`.execute(db);
      try {
        const sent = (await call(app, 'POST', '/api/v1/messages', { profile: { id: p }, template_id: t })).body;
        await expect(app.ctx.work.drain('message-delivery')).rejects.toThrow('events are not writable');
        expect(sink.received.filter((r) => r.url === '/sms')).toHaveLength(1);
        const m = (await call(app, 'GET', `/api/v1/messages/${sent.id}`)).body;
        expect(m.status).toBe('queued');
        expect(await eventsNamed(app, p, 'message_sent')).toHaveLength(0);

        await sql`DROP TRIGGER refuse_message_sent ON events`.execute(db);
        clock.advance(5 * 60_000 + 1); // the lease of the failed round runs out: delivered again, same dedupe key
        await app.ctx.work.drain('message-delivery');
        expect((await call(app, 'GET', `/api/v1/messages/${sent.id}`)).body.status).toBe('sent');
        expect((await eventsNamed(app, p, 'message_sent')).map((e: { data: { message_id: string } }) => e.data.message_id)).toEqual([sent.id]);
        expect(new Set(sink.received.filter((r) => r.url === '/sms').map((r) => r.headers['idempotency-key']))).toEqual(new Set([sent.id]));
      } finally {
        await sql`DROP TRIGGER IF EXISTS refuse_message_sent ON events`.execute(db);
        await sql`DROP FUNCTION IF EXISTS refuse_message_sent()`.execute(db);
        await messaging(app.ctx).close();
      }
    });
});
