import { beforeAll, expect, it } from 'vitest';
import type { VirtualClock } from '../../src/domain/clock.js';
import { describeEachDatabase } from '../helpers/harness.js';
import { makeProfile, makeTemplate, message, sendVia } from './helpers.js';

const BODY = `<html><body>
<p>Hi {{ profile.fields.first_name }}</p>
<a href="https://shop.example.com/p/{{ data.sku }}?utm_source=email&amp;utm_campaign=cart" class="item">Product</a>
<a href='https://shop.example.com/cart'>Cart</a>
<a href="mailto:help@example.com">Mail us</a>
<a href="https://shop.example.com/terms" data-no-track>Terms</a>
<a href="{{ unsubscribe_url }}">Unsubscribe</a>
</body></html>`;

const hrefs = (html: string) => [...html.matchAll(/href=["']([^"']+)["']/g)].map((m) => m[1]);

describeEachDatabase('open and click tracking', (h) => {
  let base: string;
  beforeAll(async () => {
    base = (await h().app.listen()).replace(/\/+$/, '');
    expect((await h().request('PUT', '/api/v1/settings/messaging', { body: { public_url: base } })).status).toBe(200);
  });

  const timeline = async (profile: string, name: string) =>
    (await h().get(`/api/v1/profiles/${profile}/timeline?limit=100`)).body.items.filter((e: { kind: string; title: string }) => e.kind === 'event' && e.title === name);

  it('rewrites links to signed redirects, adds the pixel, and records the first open and every click with events', async () => {
    const p = await makeProfile(h(), { email: 'track@example.com', fields: { first_name: 'Tia' }, subscriptions: { email: 'subscribed' } });
    const t = await makeTemplate(h(), { name: 'tracked', channel: 'email', subject: 'Your cart', body: BODY });
    const sent = await sendVia(h(), { profile: { id: p }, template_id: t, data: { sku: 'SKU 1' }, campaign_id: 'spring-sale' });
    const m = await message(h(), sent.id);
    expect(m).toMatchObject({ opened_at: null, clicked_at: null, clicks: 0, campaign_id: 'spring-sale' });

    const links = hrefs(m.body);
    const [item, cart, mail, terms, unsubscribe] = links;
    expect(item).toMatch(new RegExp(`^${base}/t/c/[0-9a-f]{32}\\.[\\w-]+\\.[\\w-]{22}$`));
    expect(cart).toMatch(new RegExp(`^${base}/t/c/`));
    expect(mail).toBe('mailto:help@example.com');
    expect(terms).toBe('https://shop.example.com/terms');
    // the unsubscribe link is never rewritten
    expect(unsubscribe).toBe(m.extra.unsubscribe_url);
    expect(unsubscribe).toMatch(new RegExp(`^${base}/u/`));
    const pixel = /<img src="([^"]+)" width="1" height="1"/.exec(m.body)![1];
    expect(pixel).toMatch(new RegExp(`^${base}/t/o/[0-9a-f]{32}\\.[\\w-]{22}$`));
    expect(m.body.indexOf(pixel)).toBeLessThan(m.body.indexOf('</body>'));

    // the open pixel: public, a 1×1 GIF, not cached; the first load records the open
    const clock = h().clock as VirtualClock;
    const openedAt = clock.now().toISOString();
    const img = await fetch(pixel);
    expect(img.status).toBe(200);
    expect(img.headers.get('content-type')).toBe('image/gif');
    expect(img.headers.get('cache-control')).toContain('no-store');
    const gif = Buffer.from(await img.arrayBuffer());
    expect(gif.subarray(0, 6).toString('latin1')).toBe('GIF89a');
    expect([gif.readUInt16LE(6), gif.readUInt16LE(8)]).toEqual([1, 1]);
    clock.advance(60_000);
    expect((await fetch(pixel)).status).toBe(200);
    expect(await message(h(), sent.id)).toMatchObject({ opened_at: openedAt, clicks: 0 });
    const opened = await timeline(p, 'message_opened');
    expect(opened).toHaveLength(1);
    expect(opened[0].data).toEqual({ message_id: sent.id, channel: 'email', template_id: t, campaign_id: 'spring-sale' });

    // a click redirects to the original address (entities decoded) and counts every time
    const first = await fetch(item, { redirect: 'manual' });
    expect(first.status).toBe(302);
    expect(first.headers.get('location')).toBe('https://shop.example.com/p/SKU%201?utm_source=email&utm_campaign=cart');
    const clickedAt = clock.now().toISOString();
    clock.advance(1_000);
    expect((await fetch(cart, { redirect: 'manual' })).headers.get('location')).toBe('https://shop.example.com/cart');
    expect((await fetch(item, { redirect: 'manual' })).status).toBe(302);
    // a link checker's HEAD follows without counting
    expect((await fetch(item, { method: 'HEAD', redirect: 'manual' })).status).toBe(302);
    expect(await message(h(), sent.id)).toMatchObject({ opened_at: openedAt, clicked_at: clickedAt, clicks: 3 });
    const clicks = await timeline(p, 'message_clicked');
    expect(clicks.map((e: { data: { url: string } }) => e.data.url).sort()).toEqual(
      ['https://shop.example.com/cart', 'https://shop.example.com/p/SKU%201?utm_source=email&utm_campaign=cart', 'https://shop.example.com/p/SKU%201?utm_source=email&utm_campaign=cart'].sort(),
    );
    expect(clicks[0].data).toMatchObject({ message_id: sent.id, campaign_id: 'spring-sale', channel: 'email' });
    expect(await timeline(p, 'message_opened')).toHaveLength(1);

    // GET /messages shows the tracking and filters by campaign
    const listed = (await h().get('/api/v1/messages?campaign_id=spring-sale')).body.items;
    expect(listed.map((x: { id: string }) => x.id)).toEqual([sent.id]);
    expect(listed[0]).toMatchObject({ opened_at: openedAt, clicked_at: clickedAt, clicks: 3 });
  });

  it('refuses forged links, records a click without an open as the first open too', async () => {
    const p = await makeProfile(h(), { email: 'noimages@example.com', subscriptions: { email: 'subscribed' } });
    const t = await makeTemplate(h(), { name: 'tracked-2', channel: 'email', subject: 'Hello', body: BODY });
    const sent = await sendVia(h(), { profile: { id: p }, template_id: t, data: { sku: 'A' } });
    const m = await message(h(), sent.id);
    const item = hrefs(m.body)[0];
    const pixel = /<img src="([^"]+)"/.exec(m.body)![1];

    // an altered click token (another address, or another signature) is not followed
    const [hex, , mac] = item.slice(`${base}/t/c/`.length).split('.');
    const elsewhere = `${base}/t/c/${hex}.${Buffer.from('https://evil.example.com/').toString('base64url')}.${mac}`;
    const refused = await fetch(elsewhere, { redirect: 'manual' });
    expect(refused.status).toBe(404);
    expect(refused.headers.get('location')).toBeNull();
    expect((await fetch(`${item.slice(0, -2)}xx`, { redirect: 'manual' })).status).toBe(404);
    // a forged pixel still answers an image, and records nothing
    const forgedPixel = await fetch(`${pixel.slice(0, -2)}xx`);
    expect(forgedPixel.status).toBe(200);
    expect(forgedPixel.headers.get('content-type')).toBe('image/gif');
    expect(await message(h(), sent.id)).toMatchObject({ opened_at: null, clicks: 0 });

    // images blocked: the click is also the first open
    expect((await fetch(item, { redirect: 'manual' })).status).toBe(302);
    const after = await message(h(), sent.id);
    expect(after.opened_at).toEqual(after.clicked_at);
    expect(after.clicks).toBe(1);
    expect(await timeline(p, 'message_opened')).toHaveLength(1);
    expect(await timeline(p, 'message_clicked')).toHaveLength(1);
    expect((await fetch(pixel)).status).toBe(200);
    expect(await timeline(p, 'message_opened')).toHaveLength(1);
  });

  it('follows the tracking setting; text emails and other channels are never tracked', async () => {
    const p = await makeProfile(h(), { email: 'plain@example.com', phone: '+4915100002222', subscriptions: { email: 'subscribed', sms: 'subscribed' } });
    const html = await makeTemplate(h(), { name: 'tracked-3', channel: 'email', subject: 'Hello', body: BODY });
    expect((await h().request('PUT', '/api/v1/settings/messaging', { body: { public_url: base, tracking: { opens: false } } })).status).toBe(200);
    const noPixel = await message(h(), (await sendVia(h(), { profile: { id: p }, template_id: html, data: { sku: 'B' } })).id);
    expect(noPixel.body).not.toContain('/t/o/');
    expect(hrefs(noPixel.body)[0]).toMatch(new RegExp(`^${base}/t/c/`));

    expect((await h().request('PUT', '/api/v1/settings/messaging', { body: { public_url: base, tracking: { opens: false, clicks: false } } })).status).toBe(200);
    const off = await message(h(), (await sendVia(h(), { profile: { id: p }, template_id: html, data: { sku: 'B' } })).id);
    expect(off.body).not.toMatch(/\/t\/[oc]\//);
    expect(hrefs(off.body)[0]).toBe('https://shop.example.com/p/B?utm_source=email&amp;utm_campaign=cart');
    expect((await h().request('PUT', '/api/v1/settings/messaging', { body: { public_url: base, tracking: { clicks: 'yes' } } })).status).toBe(400);

    expect((await h().request('PUT', '/api/v1/settings/messaging', { body: { public_url: base } })).status).toBe(200);
    const text = await makeTemplate(h(), { name: 'tracked-text', channel: 'email', subject: 'Hello', format: 'text', body: 'See https://shop.example.com/x' });
    expect((await message(h(), (await sendVia(h(), { profile: { id: p }, template_id: text })).id)).body).toBe('See https://shop.example.com/x');
    const sms = await makeTemplate(h(), { name: 'tracked-sms', channel: 'sms', body: '<a href="https://shop.example.com/x">x</a>' });
    expect((await message(h(), (await sendVia(h(), { profile: { id: p }, template_id: sms })).id)).body).toBe('<a href="https://shop.example.com/x">x</a>');
  });

  it('filters the message list by profile, scenario, campaign, status and channel together', async () => {
    const a = await makeProfile(h(), { email: 'list-a@example.com', subscriptions: { email: 'subscribed' } });
    const b = await makeProfile(h(), { email: 'list-b@example.com' });
    const t = await makeTemplate(h(), { name: 'listed', channel: 'email', subject: 's', body: 'b', format: 'text' });
    const sentA = await sendVia(h(), { profile: { id: a }, template_id: t, campaign_id: 'c-list' });
    const skippedB = await sendVia(h(), { profile: { id: b }, template_id: t, campaign_id: 'c-list' });
    await sendVia(h(), { profile: { id: a }, template_id: t, campaign_id: 'c-other' });
    const ids = async (q: string) => (await h().get(`/api/v1/messages?${q}`)).body.items.map((m: { id: string }) => m.id);
    expect(await ids('campaign_id=c-list')).toEqual([skippedB.id, sentA.id]);
    expect(await ids('campaign_id=c-list&status=skipped')).toEqual([skippedB.id]);
    expect(await ids('campaign_id=c-list&profile=list-a@example.com')).toEqual([sentA.id]);
    expect(await ids(`campaign_id=c-list&profile=${b}&status=sent`)).toEqual([]);
    expect(await ids('campaign_id=c-list&channel=email&status=sent')).toEqual([sentA.id]);
    expect(await ids('campaign_id=nothing')).toEqual([]);
    expect(await ids('scenario_id=0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b&campaign_id=c-list')).toEqual([]);
    expect((await h().get('/api/v1/messages?scenario_id=not-a-uuid')).status).toBe(400);
  });
});
