import { expect, it } from 'vitest';
import { describeEachDatabase } from '../helpers/harness.js';
import { makeProfile, makeTemplate } from './helpers.js';

const MJML = `<mjml>
  <mj-body>
    <mj-section><mj-column>
      <mj-text>Hello {{ profile.fields.first_name | default: "friend" }}, your balance is {{ loyalty.balance | default: 0 }}.</mj-text>
      <mj-raw>{% for item in data.cart.items %}</mj-raw><mj-text>{{ item.name }} × {{ item.qty }}</mj-text><mj-raw>{% endfor %}</mj-raw>
      <mj-button href="{{ unsubscribe_url }}">Unsubscribe</mj-button>
    </mj-column></mj-section>
  </mj-body>
</mjml>`;

describeEachDatabase('message templates', (h) => {
  it('creates an MJML email template and previews it for a profile with launch data', async () => {
    const profile = await makeProfile(h(), { email: 'ann@example.com', fields: { first_name: 'Ann' } });
    const id = await makeTemplate(h(), { name: 'cart', channel: 'email', subject: 'Your cart, {{ profile.fields.first_name }}', preheader: 'Still there', body: MJML });
    const got = await h().get(`/api/v1/templates/${id}`);
    expect(got.body).toMatchObject({ name: 'cart', format: 'mjml', transactional: false, body: MJML });

    const r = await h().post(`/api/v1/templates/${id}/render`, { profile: { id: profile }, data: { cart: { items: [{ name: 'Shoes', qty: 2 }, { name: 'Hat', qty: 1 }] } } });
    expect(r.status, r.text).toBe(200);
    expect(r.body.subject).toBe('Your cart, Ann');
    expect(r.body.body).toContain('<!doctype html>');
    expect(r.body.body).toContain('Hello Ann, your balance is 0.');
    expect(r.body.body).toMatch(/\/u\/[0-9a-f]{32}\.[A-Za-z0-9_-]{22}/);
    expect(r.body.text).toContain('Shoes × 2');
    expect(r.body.text).toContain('Hat × 1');
    expect(r.body.text).not.toContain('<');
    expect(r.body.preheader).toBe('Still there');
    // by email too, and nothing was written
    const byEmail = await h().post(`/api/v1/templates/${id}/render`, { profile: { email: 'ANN@example.com' } });
    expect(byEmail.body.subject).toBe('Your cart, Ann');
    expect((await h().get(`/api/v1/messages?profile=${profile}`)).body.items).toEqual([]);
  });

  it('answers a Liquid syntax error with 400 naming the field and the position', async () => {
    const r = await h().post('/api/v1/templates', {
      name: 'broken',
      channel: 'email',
      subject: 'Hi {{ profile.fields.first_name ',
      body: '<p>line one</p>\n<p>{% if data.x %}never closed</p>',
    });
    expect(r.status).toBe(400);
    const paths = r.body.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['subject', 'body']));
    const body = r.body.errors.find((e: { path: string }) => e.path === 'body');
    expect(body.message).toMatch(/line:2, col:4/);
    const filter = await h().post('/api/v1/templates', { name: 'f', channel: 'sms', body: '{{ x | nope }}' });
    expect(filter.status).toBe(400);
    expect(filter.body.errors[0]).toMatchObject({ path: 'body', message: expect.stringMatching(/undefined filter: nope/) });
  });

  it('checks per-channel fields and MJML validity', async () => {
    const r = await h().post('/api/v1/templates', { name: 'x', channel: 'sms', body: 'Hi', subject: 'no', preheader: 'no', format: 'mjml' });
    expect(r.status).toBe(400);
    expect(r.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['format', 'preheader']);
    const noSubject = await h().post('/api/v1/templates', { name: 'y', channel: 'email', body: '<p>x</p>' });
    expect(noSubject.body.errors).toEqual([{ path: 'subject', message: 'is required for email templates' }]);
    const badMjml = await h().post('/api/v1/templates', { name: 'z', channel: 'email', subject: 's', body: '<mjml><mj-body><mj-sectoin></mj-sectoin></mj-body></mjml>' });
    expect(badMjml.status).toBe(400);
    expect(badMjml.body.errors[0]).toMatchObject({ path: 'body', message: expect.stringMatching(/MJML: line 1: .*mj-sectoin/) });
    const unknown = await h().post('/api/v1/templates', { name: 'w', channel: 'fax', body: 'x' });
    expect(unknown.status).toBe(400);
  });

  it('previews SMS with length and segments, push with title and url, Telegram with parse mode', async () => {
    const p = await makeProfile(h(), { phone: '+4915112345678', fields: { first_name: 'Jo' } });
    const sms = await makeTemplate(h(), { name: 'sms1', channel: 'sms', body: 'Hi {{ profile.fields.first_name }}! {{ "x" | append: "y" }}' });
    const r = await h().post(`/api/v1/templates/${sms}/render`, { profile: { id: p } });
    expect(r.body).toMatchObject({ body: 'Hi Jo! xy', text: 'Hi Jo! xy', subject: null, sms: { encoding: 'gsm7', length: 9, segments: 1 } });
    const push = await makeTemplate(h(), { name: 'push1', channel: 'push', title: 'For {{ profile.fields.first_name }}', body: 'New offers', url: 'https://shop.test/?p={{ profile.id }}' });
    const pr = await h().post(`/api/v1/templates/${push}/render`, { profile: { id: p } });
    expect(pr.body).toMatchObject({ title: 'For Jo', body: 'New offers', url: `https://shop.test/?p=${p}` });
    const tg = await makeTemplate(h(), { name: 'tg1', channel: 'telegram', parse_mode: 'HTML', body: '<b>Hi {{ profile.fields.first_name }}</b>' });
    const tr = await h().post(`/api/v1/templates/${tg}/render`, { profile: { id: p } });
    expect(tr.body).toMatchObject({ body: '<b>Hi Jo</b>', parse_mode: 'HTML' });
  });

  it('lists, replaces and deletes templates; names are unique', async () => {
    const id = await makeTemplate(h(), { name: 'replace-me', channel: 'sms', body: 'one' });
    const dup = await h().post('/api/v1/templates', { name: 'replace-me', channel: 'sms', body: 'two' });
    expect(dup.status).toBe(400);
    const put = await h().request('PUT', `/api/v1/templates/${id}`, { body: { name: 'replace-me', channel: 'sms', body: 'two', transactional: true } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ body: 'two', transactional: true });
    const list = await h().get('/api/v1/templates?channel=sms&limit=1000');
    expect(list.body.items.map((t: { id: string }) => t.id)).toContain(id);
    expect((await h().request('DELETE', `/api/v1/templates/${id}`)).status).toBe(204);
    expect((await h().get(`/api/v1/templates/${id}`)).status).toBe(404);
    expect((await h().post(`/api/v1/templates/${id}/render`, { profile: { email: 'ann@example.com' } })).status).toBe(404);
  });
});
