import { afterAll, beforeAll, expect, it } from 'vitest';
import type { VirtualClock } from '../../src/domain/clock.js';
import { messaging } from '../../src/engine/messaging.js';
import { describeEachDatabase } from '../helpers/harness.js';
import { expectProblem } from '../helpers/promo.js';
import { drainMessages, until } from '../messaging/helpers.js';
import { act, api, campaign, importProfiles, messagesOf, recipientsOf, driveWorkByHand, runCampaigns, segment, smtpSink, stats, template } from './campaigns.helpers.js';

describeEachDatabase('campaigns: regular on a cron, trigger through the API, throttle and deferral (outbox)', (h) => {
  beforeAll(async () => driveWorkByHand(h()));
  let regular: string;
  let trigger: string;
  let tpl: string;

  it('regular: each cron time starts a run with its own snapshot; pause skips cron times; missed ones are not made up', async () => {
    const clock = h().clock as VirtualClock;
    clock.set('2026-03-01T09:00:00Z');
    await importProfiles(h(), Array.from({ length: 4 }, (_, i) => ({ email: `weekly${i}@example.com`, city: 'Hamburg' })));
    const seg = await segment(h(), 'Hamburg', { field: 'fields.city', op: 'eq', value: 'Hamburg' });
    tpl = await template(h());
    const c = await campaign(h(), { kind: 'regular', template_id: tpl, audience: { segment_ids: [seg] }, schedule: { cron: '0 10 * * *', timezone: 'Europe/Berlin' } });
    regular = c.id;
    const started = await act(h(), c.id, 'start');
    expect(started).toMatchObject({ status: 'running', next_run_at: '2026-03-02T09:00:00.000Z' });
    await runCampaigns(h());
    expect((await stats(h(), c.id)).runs).toBe(0);

    clock.set('2026-03-02T09:00:30Z');
    await runCampaigns(h());
    expect((await h().get(`${api}/campaigns/${c.id}`)).body.next_run_at).toBe('2026-03-03T09:00:00.000Z');
    await h().post(`${api}/profiles`, { email: 'weekly-new@example.com', fields: { city: 'Hamburg' }, subscriptions: { email: 'subscribed' } });
    clock.set('2026-03-03T09:00:10Z');
    await runCampaigns(h());

    const runs = (await h().get(`${api}/campaigns/${c.id}/runs`)).body.items;
    expect(runs.map((r: { scheduled_for: string; audience: number; status: string }) => [r.scheduled_for, r.audience, r.status])).toEqual([
      ['2026-03-03T09:00:00.000Z', 5, 'completed'],
      ['2026-03-02T09:00:00.000Z', 4, 'completed'],
    ]);
    expect((await stats(h(), c.id, runs[1].id)).sent).toBe(4);
    expect((await stats(h(), c.id, runs[0].id)).sent).toBe(5);
    const s = await stats(h(), c.id);
    expect(s).toMatchObject({ status: 'running', runs: 2, audience: 9, sent: 9 });
    const msgs = await messagesOf(h(), c.id);
    expect(msgs.filter((m) => m.to === 'weekly0@example.com')).toHaveLength(2);

    await act(h(), c.id, 'pause');
    clock.set('2026-03-04T09:00:10Z');
    await runCampaigns(h());
    clock.set('2026-03-04T12:00:00Z');
    const resumed = await act(h(), c.id, 'resume');
    expect(resumed).toMatchObject({ status: 'running', next_run_at: '2026-03-05T09:00:00.000Z' });
    await runCampaigns(h());
    expect((await stats(h(), c.id)).runs).toBe(2);
  });

  it('trigger: sends one profile or a batch through the API, with data, once per dedupe key', async () => {
    const order = await template(h(), { subject: 'Order {{ data.order_id }}', body: '<p>Thanks {{ profile.fields.first_name }}, order {{ data.order_id }} is on its way.</p>', transactional: true });
    const c = await campaign(h(), { name: 'Order shipped', kind: 'trigger', template_id: order });
    trigger = c.id;
    await importProfiles(h(), [
      { email: 'buyer@example.com', city: 'Köln', first_name: 'Lea' },
      { email: 'buyer2@example.com', city: 'Köln', first_name: 'Max' },
    ]);
    const early = await h().post(`${api}/campaigns/${c.id}/send`, { profile: { email: 'buyer@example.com' } });
    expectProblem(early, 422, 'campaign-not-running');
    expect((await act(h(), c.id, 'start')).status).toBe('running');

    const one = await h().post(`${api}/campaigns/${c.id}/send`, { profile: { email: 'BUYER@example.com' }, data: { order_id: 'A-1' }, dedupe_key: 'ship-A-1' });
    expect(one.status, one.text).toBe(202);
    expect(one.body).toMatchObject({ status: 'queued', group: 'all', variant: 0, duplicate: false });
    const again = await h().post(`${api}/campaigns/${c.id}/send`, { profile: { email: 'buyer@example.com' }, data: { order_id: 'A-1' }, dedupe_key: 'ship-A-1' });
    expect(again.body).toMatchObject({ message_id: one.body.message_id, duplicate: true });

    const batch = await h().post(`${api}/campaigns/${c.id}/send_batch`, {
      sends: [
        { profile: { email: 'buyer2@example.com' }, data: { order_id: 'B-7' } },
        { profile: { email: 'nobody@example.com' } },
        { profile: { email: 'buyer@example.com' }, data: { order_id: 'A-2' } },
        { profile: { phone: '12345' } },
      ],
    });
    expect(batch.status, batch.text).toBe(200);
    expect(batch.body.results.map((r: { index: number; status?: string; error?: string }) => [r.index, r.status ?? r.error])).toEqual([
      [0, 'queued'],
      [1, 'no such profile'],
      [2, 'queued'],
      [3, 'phone is not a valid number with country code'],
    ]);
    await drainMessages(h());
    const msgs = await messagesOf(h(), c.id);
    expect(msgs.map((m) => m.subject)).toEqual(['Order A-1', 'Order B-7', 'Order A-2']);
    expect(msgs[1].body).toContain('Thanks Max, order B-7');
    expect(msgs.every((m) => m.status === 'sent')).toBe(true);
    expect(await stats(h(), c.id)).toMatchObject({ audience: 3, sent: 3, runs: 1 });

    expectProblem(await h().post(`${api}/campaigns/${regular}/send`, { profile: { email: 'buyer@example.com' } }), 422, 'campaign-not-trigger');
    expectProblem(await h().post(`${api}/campaigns/${c.id}/send`, { profile: { email: 'nobody@example.com' } }), 404);
    expectProblem(await h().post(`${api}/campaigns/${c.id}/send_batch`, { sends: [] }), 400);
    const tooMany = await h().post(`${api}/campaigns/${c.id}/send_batch`, { sends: Array.from({ length: 10_001 }, () => ({ profile: { email: 'buyer@example.com' } })) });
    expectProblem(tooMany, 400);
    expect(tooMany.body.errors[0].path).toBe('sends');
  });

  it('throttle: at most per_minute messages leave each minute', async () => {
    const clock = h().clock as VirtualClock;
    clock.set('2026-03-06T12:00:00Z');
    await importProfiles(h(), Array.from({ length: 10 }, (_, i) => ({ email: `slow${i}@example.com`, city: 'Bonn' })));
    const seg = await segment(h(), 'Bonn', { field: 'fields.city', op: 'eq', value: 'Bonn' });
    const c = await campaign(h(), { template_id: tpl, audience: { segment_ids: [seg] }, throttle: { per_minute: 4 } });
    await act(h(), c.id, 'start');
    const sentAfter = async () => {
      await runCampaigns(h());
      return (await stats(h(), c.id)).sent;
    };
    expect(await sentAfter()).toBe(4);
    clock.advance(30_000);
    expect(await sentAfter()).toBe(4);
    clock.advance(30_000);
    expect(await sentAfter()).toBe(8);
    clock.advance(60_000);
    expect(await sentAfter()).toBe(10);
    expect((await stats(h(), c.id)).status).toBe('completed');
  });

  it('quiet hours and the frequency cap defer campaign messages; deferred ones are counted until they go', async () => {
    const clock = h().clock as VirtualClock;
    clock.set('2026-03-07T23:00:00Z');
    const put = await h().request('PUT', `${api}/settings/messaging`, { body: { quiet_hours: { from: '22:00', to: '08:00', timezone: 'UTC' }, frequency_cap: { max: 1, per: 'P1D' } } });
    expect(put.status, put.text).toBe(200);
    messaging(h().ctx).invalidate();
    await importProfiles(h(), Array.from({ length: 3 }, (_, i) => ({ email: `night${i}@example.com`, city: 'Kiel' })));
    const seg = await segment(h(), 'Kiel', { field: 'fields.city', op: 'eq', value: 'Kiel' });
    const c = await campaign(h(), { template_id: tpl, audience: { segment_ids: [seg] } });
    await act(h(), c.id, 'start');
    await runCampaigns(h());
    let s = await stats(h(), c.id);
    expect(s).toMatchObject({ queued: 3, deferred: 3, sent: 0, pending: 0 });
    const rec = await recipientsOf(h(), c.id);
    expect(rec.every((r) => r.status === 'sent' && r.deferred)).toBe(true);

    // a second campaign the same night: the cap holds it until a day after the first
    const d = await campaign(h(), { template_id: tpl, audience: { segment_ids: [seg] } });
    await act(h(), d.id, 'start');
    await runCampaigns(h());
    const held = (await messagesOf(h(), d.id)).map((m) => m.status);
    expect(held).toEqual(['queued', 'queued', 'queued']);

    clock.set('2026-03-08T08:00:00Z');
    await runCampaigns(h());
    s = await stats(h(), c.id);
    expect(s).toMatchObject({ queued: 0, deferred: 0, sent: 3 });
    expect((await stats(h(), d.id)).deferred).toBe(3);
    clock.set('2026-03-09T08:00:00Z');
    await runCampaigns(h());
    expect((await stats(h(), d.id)).sent).toBe(3);
    await h().request('PUT', `${api}/settings/messaging`, { body: {} });
    messaging(h().ctx).invalidate();
  });

  it('send in the profile time zone: each recipient at the same wall-clock time where they are', async () => {
    const clock = h().clock as VirtualClock;
    clock.set('2026-03-09T12:00:00Z');
    const ids = await importProfiles(h(), [
      { email: 'tokyo@example.com', city: 'Zone', timezone: 'Asia/Tokyo' },
      { email: 'berlin@example.com', city: 'Zone', timezone: 'Europe/Berlin' },
      { email: 'ny@example.com', city: 'Zone', timezone: 'America/New_York' },
      { email: 'nowhere@example.com', city: 'Zone' },
    ]);
    const seg = await segment(h(), 'Zone', { field: 'fields.city', op: 'eq', value: 'Zone' });
    const c = await campaign(h(), { template_id: tpl, audience: { segment_ids: [seg] }, schedule: { at: '2026-03-10T10:00:00+01:00' }, send_in_profile_timezone: true });
    const started = await act(h(), c.id, 'start');
    // the earliest zone (UTC+14) reaches 10:00 first: the snapshot is taken then
    expect(started).toMatchObject({ status: 'scheduled', next_run_at: '2026-03-09T20:00:00.000Z' });
    clock.set('2026-03-09T20:00:00Z');
    await runCampaigns(h());
    const due = new Map((await recipientsOf(h(), c.id)).map((r) => [r.profile_id, r.due_at]));
    expect(ids.map((id) => due.get(id))).toEqual(['2026-03-10T01:00:00.000Z', '2026-03-10T09:00:00.000Z', '2026-03-10T14:00:00.000Z', '2026-03-10T09:00:00.000Z']);
    const sentTo = async (at: string) => {
      clock.set(at);
      await runCampaigns(h());
      return (await messagesOf(h(), c.id)).map((m) => m.to).sort();
    };
    expect(await sentTo('2026-03-10T01:00:00Z')).toEqual(['tokyo@example.com']);
    expect(await sentTo('2026-03-10T09:00:00Z')).toEqual(['berlin@example.com', 'nowhere@example.com', 'tokyo@example.com']);
    expect(await sentTo('2026-03-10T14:00:00Z')).toHaveLength(4);
    expect((await stats(h(), c.id)).status).toBe('completed');
    expect(trigger).toBeDefined();
  });
});

describeEachDatabase('campaigns: every kind over a real SMTP server on loopback', (h) => {
  beforeAll(async () => driveWorkByHand(h()));
  let smtp: Awaited<ReturnType<typeof smtpSink>>;
  beforeAll(async () => {
    smtp = await smtpSink();
  });
  afterAll(async () => {
    await messaging(h().ctx).close();
    await smtp?.close();
  });

  it('broadcast, regular and trigger mails arrive at the SMTP server, once each', async () => {
    const clock = h().clock as VirtualClock;
    const ch = await h().post(`${api}/channels`, { type: 'email', provider: 'smtp', config: { host: '127.0.0.1', port: smtp.port, secure: false, from: 'Shop <shop@example.com>' } });
    expect(ch.status, ch.text).toBe(201);
    await importProfiles(h(), Array.from({ length: 5 }, (_, i) => ({ email: `smtp${i}@example.com`, city: 'Dresden', first_name: `S${i}` })));
    const seg = await segment(h(), 'Dresden', { field: 'fields.city', op: 'eq', value: 'Dresden' });
    const news = await template(h(), { subject: 'News for {{ profile.fields.first_name }}' });
    const weekly = await template(h(), { subject: 'Weekly for {{ profile.fields.first_name }}' });
    const receipt = await template(h(), { subject: 'Receipt {{ data.order_id }}', transactional: true });

    const b = await campaign(h(), { template_id: news, audience: { segment_ids: [seg] } });
    await act(h(), b.id, 'start');
    const r = await campaign(h(), { kind: 'regular', template_id: weekly, audience: { segment_ids: [seg] }, schedule: { cron: '*/15 * * * *', timezone: 'UTC' } });
    await act(h(), r.id, 'start');
    const t = await campaign(h(), { kind: 'trigger', channel: ch.body.id, template_id: receipt });
    await act(h(), t.id, 'start');
    expect((await h().post(`${api}/campaigns/${t.id}/send`, { profile: { email: 'smtp2@example.com' }, data: { order_id: 'R-9' } })).status).toBe(202);
    await runCampaigns(h());
    clock.advance(15 * 60_000);
    await runCampaigns(h());
    await until(async () => smtp.mails.length >= 11);
    await runCampaigns(h());

    const subjects = smtp.mails.map((m) => `${m.to.join(',')} ${m.subject}`).sort();
    expect(subjects).toEqual(
      [
        ...Array.from({ length: 5 }, (_, i) => `smtp${i}@example.com News for S${i}`),
        ...Array.from({ length: 5 }, (_, i) => `smtp${i}@example.com Weekly for S${i}`),
        'smtp2@example.com Receipt R-9',
      ].sort(),
    );
    expect(smtp.mails.find((m) => m.subject === 'News for S1')!.html).toContain('News for Dresden');
    for (const id of [b.id, r.id, t.id]) expect((await messagesOf(h(), id)).every((m) => m.status === 'sent')).toBe(true);
    expect((await stats(h(), b.id)).sent).toBe(5);
  });
});
