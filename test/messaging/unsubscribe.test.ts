import { expect, it } from 'vitest';
import { describeEachDatabase } from '../helpers/harness.js';
import { drainMessages, makeProfile, makeTemplate, message, sendVia } from './helpers.js';

describeEachDatabase('unsubscribe link', (h) => {
  it('unsubscribes the channel from the signed link, records it on the timeline, emits unsubscribed once', async () => {
    const p = await makeProfile(h(), { email: 'leave@example.com', subscriptions: { email: 'subscribed', sms: 'subscribed' } });
    const t = await makeTemplate(h(), { name: 'u-news', channel: 'email', subject: 'News', body: '<a href="{{ unsubscribe_url }}">stop</a>' });
    const sent = await sendVia(h(), { profile: { id: p }, template_id: t });
    await drainMessages(h());
    const m = await message(h(), sent.id);
    const url = new URL(m.extra.unsubscribe_url as string);
    expect(m.body).toContain(url.toString());
    expect(url.pathname).toMatch(/^\/u\/[0-9a-f]{32}\.[A-Za-z0-9_-]{22}$/);

    // a forged or altered token changes nothing
    const forged = url.pathname.slice(0, -3) + 'AAA';
    const bad = await h().request('GET', forged, { token: null });
    expect(bad.status).toBe(404);
    expect(bad.headers['content-type']).toContain('text/html');
    expect((await h().get(`/api/v1/profiles/${p}`)).body.subscriptions.email).toBe('subscribed');

    // public: no token needed; without a landing page a plain confirmation page
    const page = await h().request('GET', url.pathname, { token: null });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.text).toContain('You will no longer receive email messages');
    const profile = (await h().get(`/api/v1/profiles/${p}`)).body;
    expect(profile.subscriptions).toEqual({ email: 'unsubscribed', sms: 'subscribed' });

    // a second click (or the one-click POST) does not emit twice
    expect((await h().request('POST', url.pathname, { token: null, raw: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status).toBe(200);
    const events = (await h().get(`/api/v1/profiles/${p}/timeline`)).body.items.filter((e: { title: string }) => e.title === 'unsubscribed');
    expect(events).toHaveLength(1);
    expect(events[0].data).toMatchObject({ channel: 'email', message_id: sent.id, source: 'unsubscribe_link', previous_status: 'subscribed' });

    // later marketing sends are skipped
    expect(await sendVia(h(), { profile: { id: p }, template_id: t })).toMatchObject({ status: 'skipped', reason: 'unsubscribed from email' });
  });

  it('redirects to the configured landing page', async () => {
    const put = await h().request('PUT', '/api/v1/settings/messaging', { body: { unsubscribe_landing_url: 'https://shop.example.com/bye', public_url: 'https://mail.example.com' } });
    expect(put.status).toBe(200);
    const p = await makeProfile(h(), { phone: '+4915100000099', subscriptions: { sms: 'subscribed' } });
    const t = await makeTemplate(h(), { name: 'u-sms', channel: 'sms', body: 'Stop: {{ unsubscribe_url }}' });
    const sent = await sendVia(h(), { profile: { id: p }, template_id: t });
    expect(sent.body).toMatch(/^Stop: https:\/\/mail\.example\.com\/u\/[0-9a-f]{32}\.[A-Za-z0-9_-]{22}$/);
    const path = new URL(sent.body.slice(6)).pathname;
    const r = await h().request('GET', path, { token: null });
    expect(r.status).toBe(302);
    expect(r.headers.location).toBe('https://shop.example.com/bye?channel=sms');
    expect((await h().get(`/api/v1/profiles/${p}`)).body.subscriptions.sms).toBe('unsubscribed');
    await h().request('PUT', '/api/v1/settings/messaging', { body: {} });
  });

  it('changes a subscription through the API and records an unsubscribe on the timeline the same way', async () => {
    const p = await makeProfile(h(), { email: 'api-sub@example.com', subscriptions: { email: 'subscribed' } });
    const r = await h().request('PUT', `/api/v1/profiles/${p}/subscriptions/email`, { body: { status: 'unsubscribed' } });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ profile_id: p, channel: 'email', status: 'unsubscribed', previous_status: 'subscribed' });
    expect((await h().get(`/api/v1/profiles/${p}`)).body.subscriptions.email).toBe('unsubscribed');
    await h().request('PUT', `/api/v1/profiles/${p}/subscriptions/email`, { body: { status: 'unsubscribed' } });
    const events = (await h().get(`/api/v1/profiles/${p}/timeline`)).body.items.filter((e: { title: string }) => e.title === 'unsubscribed');
    expect(events).toHaveLength(1);
    expect(events[0].data).toMatchObject({ channel: 'email', source: 'api', previous_status: 'subscribed' });
    expect((await h().request('PUT', `/api/v1/profiles/${p}/subscriptions/fax`, { body: { status: 'subscribed' } })).status).toBe(400);
    expect((await h().request('PUT', '/api/v1/profiles/0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b/subscriptions/sms', { body: { status: 'subscribed' } })).status).toBe(404);
  });
});
