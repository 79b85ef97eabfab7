import { expect, it } from 'vitest';
import type { VirtualClock } from '../../src/domain/clock.js';
import { describeEachDatabase } from '../helpers/harness.js';
import { drainMessages, makeProfile, makeTemplate, message, sendVia } from './helpers.js';

const DAY = 86_400_000;

describeEachDatabase('frequency cap and quiet hours', (h) => {
  it('validates the settings, naming every bad field', async () => {
    const r = await h().request('PUT', '/api/v1/settings/messaging', {
      body: { frequency_cap: { max: 0, per: 'PXD' }, quiet_hours: { from: '25:00', to: '09:00', timezone: 'Mars/Olympus' } },
    });
    expect(r.status).toBe(400);
    expect(r.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['frequency_cap.max', 'frequency_cap.per', 'quiet_hours.from']);
    const tz = await h().request('PUT', '/api/v1/settings/messaging', { body: { quiet_hours: { from: '22:00', to: '09:00', timezone: 'Mars/Olympus' } } });
    expect(tz.body.errors).toEqual([{ path: 'quiet_hours.timezone', message: 'is not a known IANA time zone (e.g. Europe/Berlin)' }]);
  });

  it('cap 1/day: the second send is deferred to the next day with the reason, then sent; transactional bypasses', async () => {
    const clock = h().clock as VirtualClock;
    const put = await h().request('PUT', '/api/v1/settings/messaging', { body: { frequency_cap: { max: 1, per: 'P1D' } } });
    expect(put.status, put.text).toBe(200);
    expect((await h().get('/api/v1/settings/messaging')).body).toEqual({ frequency_cap: { max: 1, per: 'P1D' } });
    const p = await makeProfile(h(), { email: 'cap@example.com', subscriptions: { email: 'subscribed' } });
    const t = await makeTemplate(h(), { name: 'cap-news', channel: 'email', subject: 'News', body: 'news', format: 'text' });
    const receipt = await makeTemplate(h(), { name: 'cap-receipt', channel: 'email', subject: 'Receipt', body: 'r', format: 'text', transactional: true });
    const start = clock.now();

    const first = await sendVia(h(), { profile: { id: p }, template_id: t });
    const second = await sendVia(h(), { profile: { id: p }, template_id: t });
    const urgent = await sendVia(h(), { profile: { id: p }, template_id: receipt });
    expect(second).toMatchObject({ status: 'queued', deferred_reason: 'frequency cap 1 per P1D' });
    expect(new Date(second.scheduled_at).getTime()).toBe(start.getTime() + DAY);
    expect(second.reason).toMatch(/^deferred until .*: frequency cap 1 per P1D$/);
    await drainMessages(h());
    expect((await message(h(), first.id)).status).toBe('sent');
    expect((await message(h(), urgent.id)).status).toBe('sent');
    expect((await message(h(), second.id)).status).toBe('queued');

    const timeline = (await h().get(`/api/v1/profiles/${p}/timeline`)).body.items;
    const entry = timeline.find((e: { kind: string; data: { message_id: string } }) => e.kind === 'message' && e.data.message_id === second.id);
    expect(entry.data).toMatchObject({ status: 'queued', deferred_reason: 'frequency cap 1 per P1D' });
    expect(entry.title).toContain('deferred');

    clock.advance(DAY - 60_000);
    await drainMessages(h());
    expect((await message(h(), second.id)).status).toBe('queued');
    clock.advance(60_000);
    await drainMessages(h());
    const sent = await message(h(), second.id);
    expect(sent.status).toBe('sent');
    expect(sent.deferred_reason).toBe('frequency cap 1 per P1D');
    expect(new Date(sent.sent_at).getTime()).toBe(start.getTime() + DAY);
  });

  it('quiet hours defer to their end in the profile time zone, never dropping the send', async () => {
    const clock = h().clock as VirtualClock;
    clock.set('2026-03-10T21:30:00Z'); // 22:30 in Berlin, 06:30 next day in Tokyo
    const put = await h().request('PUT', '/api/v1/settings/messaging', { body: { quiet_hours: { from: '22:00', to: '09:00', timezone: 'Europe/Berlin' } } });
    expect(put.status).toBe(200);
    const t = await makeTemplate(h(), { name: 'quiet-sms', channel: 'sms', body: 'hello' });
    const berlin = await makeProfile(h(), { phone: '+4915100000001', subscriptions: { sms: 'subscribed' } });
    const tokyo = await makeProfile(h(), { phone: '+4915100000002', fields: { timezone: 'Asia/Tokyo' }, subscriptions: { sms: 'subscribed' } });
    const a = await sendVia(h(), { profile: { id: berlin }, template_id: t });
    const b = await sendVia(h(), { profile: { id: tokyo }, template_id: t });
    expect(a).toMatchObject({ scheduled_at: '2026-03-11T08:00:00.000Z', deferred_reason: 'quiet hours 22:00–09:00 (Europe/Berlin)' });
    expect(b).toMatchObject({ scheduled_at: '2026-03-11T00:00:00.000Z', deferred_reason: 'quiet hours 22:00–09:00 (Asia/Tokyo)' });
    clock.set('2026-03-11T00:00:00Z');
    await drainMessages(h());
    expect((await message(h(), b.id)).status).toBe('sent');
    expect((await message(h(), a.id)).status).toBe('queued');
    clock.set('2026-03-11T08:00:00Z');
    await drainMessages(h());
    expect((await message(h(), a.id)).status).toBe('sent');
    await h().request('PUT', '/api/v1/settings/messaging', { body: {} });
  });
});
