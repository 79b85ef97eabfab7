import { createHmac } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/domain/clock.js';
import { segmentMembership } from '../../src/engine/segments.js';
import { describeEachDatabase, type Harness } from '../helpers/harness.js';
import { recordingServer } from '../messaging/helpers.js';
import { active, advance, api, event, instances, launch, messagesOf, profile, runScenarios, stats, template } from './scenarios.helpers.js';

async function triggers(h: Harness) {
  await h.ctx.work.drain('scenario-triggers');
  await runScenarios(h);
}

async function segmentOf(h: Harness, conditions: unknown): Promise<string> {
  const r = await h.post(`${api}/segments`, { name: `seg-${Math.random()}`, type: 'dynamic', conditions });
  expect(r.status, r.text).toBe(201);
  return r.body.id;
}

describeEachDatabase(
  'scenarios: triggers and waiting for events',
  (harness) => {
    beforeAll(async () => {
      await harness().ctx.work.stop();
    });

    describe('events', () => {
      it('trigger.event starts on a matching event (where) with its properties as data; wait_event with match resumes on the right event; timeout branch', async () => {
        const h = harness();
        const recover = await template(h, { subject: 'Cart {{ data.cart_id }}' });
        const thanks = await template(h, { subject: 'Thanks' });
        const s = await active(h, {
          settings: { reentry: 'restart' },
          nodes: [
            { id: 'start', type: 'trigger.event', config: { event: 'cart_updated', where: { total: { gte: 10 } } }, next: 'wait' },
            {
              id: 'wait',
              type: 'wait_event',
              config: { event: 'order_finalized', match: { 'properties.cart_id': 'data.cart_id' }, timeout: 'PT1H' },
              branches: { received: 'thanks', timeout: 'remind' },
            },
            { id: 'thanks', type: 'send', config: { channel: 'email', template_id: thanks } },
            { id: 'remind', type: 'send', config: { channel: 'email', template_id: recover } },
          ],
        });
        const buyer = await profile(h);
        const leaver = await profile(h);
        await event(h, buyer, 'cart_updated', { cart_id: 'c1', total: 5 });
        await runScenarios(h);
        expect(await instances(h, s.id)).toHaveLength(0);
        await event(h, buyer, 'cart_updated', { cart_id: 'c1', total: 50 });
        await event(h, leaver, 'cart_updated', { cart_id: 'c2', total: 20 });
        await runScenarios(h);
        const started = await instances(h, s.id);
        expect(started).toHaveLength(2);
        expect(started.find((i) => i.profile_id === buyer).data).toMatchObject({ cart_id: 'c1', total: 50 });
        expect((await stats(h, s.id)).nodes.wait.waiting).toBe(2);

        // an order for another cart does not match; the right one does
        await event(h, buyer, 'order_finalized', { cart_id: 'other' });
        await runScenarios(h);
        expect((await stats(h, s.id)).nodes.wait.waiting).toBe(2);
        await event(h, buyer, 'order_finalized', { cart_id: 'c1' });
        await runScenarios(h);
        let msgs = await messagesOf(h, s.id);
        expect(msgs.map((m) => [m.profile_id, m.node_id])).toEqual([[buyer, 'thanks']]);

        await advance(h, 3_600_000);
        msgs = await messagesOf(h, s.id);
        expect(msgs.map((m) => [m.profile_id, m.node_id]).sort()).toEqual([[buyer, 'thanks'], [leaver, 'remind']].sort());
        expect(msgs.find((m) => m.node_id === 'remind').subject).toBe('Cart c2');
        const st = await stats(h, s.id);
        expect(st).toMatchObject({ entered: 2, completed: 2, active: 0 });
        expect(st.nodes.wait).toMatchObject({ entered: 2, passed: 2, waiting: 0, branches: { received: 1, timeout: 1 } });
      });

      it('exit_on ends a waiting instance; a settings goal within its window is counted once', async () => {
        const h = harness();
        const mail = await template(h);
        const s = await active(h, {
          settings: { reentry: 'new_instance', exit_on: [{ event: 'unsubscribed' }], goal: { event: 'order_finalized', within: 'P7D' } },
          nodes: [
            { id: 'start', type: 'trigger.api', next: 'w' },
            { id: 'w', type: 'wait', config: { duration: 'P1D' }, next: 'm' },
            { id: 'm', type: 'send', config: { channel: 'email', template_id: mail } },
          ],
        });
        const quitter = await profile(h);
        const buyer = await profile(h);
        await launch(h, s.id, quitter);
        await launch(h, s.id, buyer);
        await runScenarios(h);
        await event(h, quitter, 'unsubscribed');
        await event(h, buyer, 'order_finalized', { order_id: 'o1' });
        await event(h, buyer, 'order_finalized', { order_id: 'o2' });
        await runScenarios(h);
        const [q] = await instances(h, s.id, quitter);
        expect(q.status).toBe('exited');
        const [b] = await instances(h, s.id, buyer);
        expect(b.status).toBe('waiting');
        expect(b.history.filter((x: any) => x.outcome.startsWith('goal')).length).toBe(1);
        await advance(h, 86_400_000);
        expect((await messagesOf(h, s.id)).map((m) => m.profile_id)).toEqual([buyer]);
        expect(await stats(h, s.id)).toMatchObject({ entered: 2, exited: 1, completed: 1, goals: 1 });
      });

      it('trigger.segment_entry starts when a profile enters the segment', async () => {
        const h = harness();
        const mail = await template(h);
        const gold = await segmentOf(h, { field: 'fields.tier', op: 'eq', value: 'gold' });
        const s = await active(h, {
          settings: { reentry: 'once' },
          nodes: [
            { id: 'start', type: 'trigger.segment_entry', config: { segment_id: gold }, next: 'm' },
            { id: 'm', type: 'send', config: { channel: 'email', template_id: mail } },
          ],
        });
        const p = await profile(h, { tier: 'silver' });
        await segmentMembership(h.ctx).idle();
        const patch = await h.request('PATCH', `${api}/profiles/${p}`, { body: { fields: { tier: 'gold' } } });
        expect(patch.status, patch.text).toBe(200);
        await segmentMembership(h.ctx).idle();
        await runScenarios(h);
        const msgs = await messagesOf(h, s.id);
        expect(msgs.map((m) => m.profile_id)).toEqual([p]);
        const [i] = await instances(h, s.id, p);
        expect(i.data).toMatchObject({ segment_id: gold });
      });
    });

    describe('time', () => {
      it('trigger.date enters the segment members once when the date comes; trigger.schedule on each cron time', async () => {
        const h = harness();
        const mail = await template(h);
        const city = `city-${Date.now()}`;
        const seg = await segmentOf(h, { field: 'fields.city', op: 'eq', value: city });
        const members = [await profile(h, { city }), await profile(h, { city })];
        await profile(h, { city: 'elsewhere' });
        const at = new Date(h.clock.now().getTime() + 60_000).toISOString();
        const dated = await active(h, {
          settings: { reentry: 'new_instance' },
          nodes: [
            { id: 'start', type: 'trigger.date', config: { at, segment_id: seg }, next: 'm' },
            { id: 'm', type: 'send', config: { channel: 'email', template_id: mail } },
          ],
        });
        await triggers(h);
        expect(await instances(h, dated.id)).toHaveLength(0);
        (h.clock as VirtualClock).advance(61_000);
        await triggers(h);
        await triggers(h);
        expect((await messagesOf(h, dated.id)).map((m) => m.profile_id).sort()).toEqual([...members].sort());

        const now = h.clock.now();
        const nextHour = new Date(Math.ceil((now.getTime() + 1) / 3_600_000) * 3_600_000);
        const cron = `0 ${nextHour.getUTCHours()} * * *`;
        const scheduled = await active(h, {
          settings: { reentry: 'new_instance' },
          nodes: [
            { id: 'start', type: 'trigger.schedule', config: { cron, segment_id: seg, timezone: 'UTC' }, next: 'm' },
            { id: 'm', type: 'send', config: { channel: 'email', template_id: mail } },
          ],
        });
        await triggers(h);
        expect(await instances(h, scheduled.id)).toHaveLength(0);
        (h.clock as VirtualClock).set(new Date(nextHour.getTime() + 5_000));
        await triggers(h);
        await triggers(h);
        expect(await messagesOf(h, scheduled.id)).toHaveLength(2);
        (h.clock as VirtualClock).advance(86_400_000);
        await triggers(h);
        expect(await messagesOf(h, scheduled.id)).toHaveLength(4);
      });

      it('trigger.field_date fires on the date field plus offset at the time of day in the profile time zone, once', async () => {
        const h = harness();
        const mail = await template(h);
        const now = h.clock.now();
        const local = (days: number) => new Date(now.getTime() + days * 86_400_000).toISOString().slice(0, 10);
        // due in 3 days, announced 3 days before at 10:00 in the profile's zone
        const field = `due_${Date.now()}`;
        const dueSoon = await profile(h, { [field]: local(3), timezone: 'Europe/Paris' });
        await profile(h, { [field]: local(10) });
        const s = await active(h, {
          settings: { reentry: 'new_instance' },
          nodes: [
            { id: 'start', type: 'trigger.field_date', config: { field: `fields.${field}`, offset: '-P3D', time: '10:00', yearly: false }, next: 'm' },
            { id: 'm', type: 'send', config: { channel: 'email', template_id: mail } },
          ],
        });
        // the suite clock is 09:00 UTC on some day; 10:00 in Paris is 09:00 UTC (winter) — move to just after
        const today10Paris = new Date(`${now.toISOString().slice(0, 10)}T09:00:00Z`);
        (h.clock as VirtualClock).set(new Date(Math.max(now.getTime(), today10Paris.getTime()) + 120_000));
        await triggers(h);
        (h.clock as VirtualClock).advance(120_000);
        await triggers(h);
        expect((await messagesOf(h, s.id)).map((m) => m.profile_id)).toEqual([dueSoon]);
      });
    });

    describe('webhook', () => {
      it('calls signed, retries a 500 with back-off, saves the JSON answer into data; a 4xx takes the failed branch', async () => {
        const h = harness();
        const server = await recordingServer((req, n) => (req.url === '/bad' ? { status: 404, body: { no: true } } : n === 1 ? { status: 500, body: {} } : { status: 200, body: { score: 42 } }));
        try {
          const mail = await template(h, { subject: 'Score {{ data.webhook.body.score }}' });
          const s = await active(h, {
            settings: { reentry: 'new_instance' },
            nodes: [
              { id: 'start', type: 'trigger.api', next: 'ask' },
              { id: 'ask', type: 'webhook', config: { url: `${server.url}/score`, method: 'POST', body: { q: 'score' } }, next: 'm' },
              { id: 'm', type: 'send', config: { channel: 'email', template_id: mail } },
            ],
          });
          const p = await profile(h);
          const { instance_id } = await launch(h, s.id, p, { cart: 7 });
          await runScenarios(h);
          expect(server.received).toHaveLength(1);
          let [i] = await instances(h, s.id, p);
          expect(i.status).toBe('active');
          await advance(h, 1_000);
          expect(server.received).toHaveLength(2);
          [i] = await instances(h, s.id, p);
          expect(i.status).toBe('completed');
          expect(i.data.webhook).toEqual({ status: 200, body: { score: 42 } });
          expect((await messagesOf(h, s.id))[0].subject).toBe('Score 42');

          const secret = (await h.get(`${api}/scenario-webhook-secret`)).body.secret as string;
          const req = server.received[1];
          const sig = String(req.headers['x-retenta-signature']);
          const t = /t=(\d+)/.exec(sig)![1];
          expect(sig).toBe(`t=${t},v1=${createHmac('sha256', secret).update(`${t}.${req.body}`).digest('hex')}`);
          expect(req.json).toMatchObject({ instance_id, scenario_id: s.id, profile_id: p, body: { q: 'score' }, data: { cart: 7 } });

          const f = await active(h, {
            settings: { reentry: 'new_instance' },
            nodes: [
              { id: 'start', type: 'trigger.api', next: 'ask' },
              { id: 'ask', type: 'webhook', config: { url: `${server.url}/bad` }, next: 'm', branches: { failed: 'oops' } },
              { id: 'm', type: 'exit' },
              { id: 'oops', type: 'update_profile', config: { set: { webhook_failed: true } } },
            ],
          });
          await launch(h, f.id, p);
          await runScenarios(h);
          const [fi] = await instances(h, f.id, p);
          expect(fi.status).toBe('completed');
          expect(fi.history.map((x: any) => x.outcome)).toContain('branch:failed (webhook: HTTP 404)');
          expect((await h.get(`${api}/profiles/${p}`)).body.fields.webhook_failed).toBe(true);
        } finally {
          await server.close();
        }
      });
    });
  },
  { clock: () => new VirtualClock('2026-03-02T09:00:00Z') },
);
