import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { messaging } from '../../src/engine/messaging.js';
import { describeEachDatabase } from '../helpers/harness.js';
import { makeProfile, makeTemplate, message, recordingServer, sendVia, until } from './helpers.js';

interface Mail {
  from: string;
  to: string[];
  raw: string;
  parsed: ParsedMail;
}

async function smtpSink(opts: { failWith?: () => number | null } = {}) {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onAuth(auth, _s, cb) {
      cb(null, { user: auth.username });
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', async () => {
        const code = opts.failWith?.();
        if (code) {
          const err = Object.assign(new Error('mailbox unavailable'), { responseCode: code });
          return cb(err);
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        mails.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), raw, parsed: await simpleParser(raw) });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { port, mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describeEachDatabase('delivery channels', (h) => {
  let smtp: Awaited<ReturnType<typeof smtpSink>>;
  let gateway: Awaited<ReturnType<typeof recordingServer>>;
  beforeAll(async () => {
    smtp = await smtpSink();
    gateway = await recordingServer((req) =>
      req.url.startsWith('/botsecret-token/')
        ? { status: 200, body: { ok: true, result: { message_id: 77 } } }
        : { status: 200, body: { id: `gw-${req.headers['idempotency-key']}` } },
    );
  });
  afterAll(async () => {
    await messaging(h().ctx).close();
    await smtp?.close();
    await gateway?.close();
  });

  it('sends email over SMTP: subject, HTML, text part and List-Unsubscribe arrive; the password is never shown', async () => {
    const ch = await h().post('/api/v1/channels', {
      type: 'email',
      provider: 'smtp',
      config: { host: '127.0.0.1', port: smtp.port, secure: false, user: 'mailer', pass: 'very-secret-password', from: 'Shop <shop@example.com>' },
    });
    expect(ch.status, ch.text).toBe(201);
    expect(ch.body.config.pass).toBe('****word');
    expect(JSON.stringify((await h().get('/api/v1/channels')).body)).not.toContain('very-secret-password');
    const stored = await h().ctx.db.selectFrom('message_channels').select(['config', 'secrets']).where('id', '=', ch.body.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(stored)).not.toContain('very-secret-password');

    const p = await makeProfile(h(), { email: 'mia@example.com', fields: { first_name: 'Mia' }, subscriptions: { email: 'subscribed' } });
    const t = await makeTemplate(h(), {
      name: 'smtp-mail',
      channel: 'email',
      subject: 'Hello {{ profile.fields.first_name }}',
      body: '<mjml><mj-body><mj-section><mj-column><mj-text>Dear {{ profile.fields.first_name }}, new arrivals.</mj-text><mj-button href="{{ unsubscribe_url }}">Unsubscribe</mj-button></mj-column></mj-section></mj-body></mjml>',
    });
    const sent = await sendVia(h(), { profile: { id: p }, template_id: t });
    await h().ctx.work.drain('message-delivery');
    const done = await until(async () => {
      const m = await message(h(), sent.id);
      return m.status === 'sent' && m;
    });
    expect(done.provider_response.message_id).toBe(`<${sent.id}@retenta>`);
    const mail = smtp.mails.find((m) => m.parsed.messageId === `<${sent.id}@retenta>`)!;
    expect(mail.to).toEqual(['mia@example.com']);
    expect(mail.parsed.subject).toBe('Hello Mia');
    expect(mail.parsed.html).toContain('Dear Mia, new arrivals.');
    expect(mail.parsed.text).toContain('Dear Mia, new arrivals.');
    expect(mail.raw).toMatch(/Content-Type: multipart\/alternative/i);
    expect(mail.raw).toMatch(/Content-Type: text\/plain/i);
    const headers = mail.raw.split(/\r?\n\r?\n/)[0].replace(/\r?\n[ \t]+/g, ' ');
    const unsub = /^List-Unsubscribe: (.*)$/im.exec(headers)?.[1].trim() ?? '';
    expect(unsub).toMatch(/^<http:\/\/.+\/u\/[0-9a-f]{32}\.[A-Za-z0-9_-]{22}>$/);
    expect(unsub).toContain(done.extra.unsubscribe_url);
    expect(mail.parsed.html).toContain(done.extra.unsubscribe_url);
    expect(/^List-Unsubscribe-Post: (.*)$/im.exec(headers)?.[1].trim()).toBe('List-Unsubscribe=One-Click');
  });

  it('sends SMS through a configurable HTTP provider with a body template and secret headers', async () => {
    const ch = await h().post('/api/v1/channels', {
      type: 'sms',
      provider: 'http',
      config: { url: `${gateway.url}/sms`, headers: { authorization: 'Bearer gw-secret-key-123456' }, body_template: '{"phone": {{ to | json }}, "message": "{{ text | json_escape }}", "ref": "{{ message_id }}"}' },
    });
    expect(ch.status, ch.text).toBe(201);
    expect(ch.body.config.headers.authorization).toBe('****3456');
    const p = await makeProfile(h(), { phone: '+4915199887766', fields: { first_name: 'Lu' }, subscriptions: { sms: 'subscribed' } });
    const t = await makeTemplate(h(), { name: 'sms-http', channel: 'sms', body: 'Hi {{ profile.fields.first_name }}, "sale" today' });
    const sent = await sendVia(h(), { profile: { id: p }, template_id: t });
    const done = await until(async () => {
      await h().ctx.work.drain('message-delivery');
      const m = await message(h(), sent.id);
      return m.status === 'sent' && m;
    });
    const req = gateway.received.find((r) => r.url === '/sms' && r.json?.ref === sent.id)!;
    expect(req.json).toEqual({ phone: '+4915199887766', message: 'Hi Lu, "sale" today', ref: sent.id });
    expect(req.headers.authorization).toBe('Bearer gw-secret-key-123456');
    expect(req.headers['idempotency-key']).toBe(sent.id);
    expect(done.provider_response).toEqual({ status: 200, body: { id: `gw-${sent.id}` } });
    expect(done.extra.sms).toEqual({ encoding: 'gsm7', length: 19, segments: 1 });
  });

  it('sends Telegram messages through the Bot API (configurable API base)', async () => {
    const ch = await h().post('/api/v1/channels', { type: 'telegram', provider: 'telegram_bot', config: { token: 'secret-token', api_base: gateway.url } });
    expect(ch.status, ch.text).toBe(201);
    expect(ch.body.config.token).toBe('****oken');
    const p = await makeProfile(h(), { email: 'tg@example.com', fields: { telegram_chat_id: 424242 }, subscriptions: { telegram: 'subscribed' } });
    const t = await makeTemplate(h(), { name: 'tg-send', channel: 'telegram', parse_mode: 'HTML', body: '<b>Order {{ data.order }}</b> shipped' });
    const sent = await sendVia(h(), { profile: { id: p }, template_id: t, data: { order: 'A-1' } });
    const done = await until(async () => {
      await h().ctx.work.drain('message-delivery');
      const m = await message(h(), sent.id);
      return m.status === 'sent' && m;
    });
    const req = gateway.received.find((r) => r.url === '/botsecret-token/sendMessage')!;
    expect(req.json).toEqual({ chat_id: '424242', text: '<b>Order A-1</b> shipped', parse_mode: 'HTML' });
    expect(done.provider_response).toMatchObject({ status: 200, message_id: 77 });
  });

  it('validates channel configs, naming every bad field', async () => {
    const r = await h().post('/api/v1/channels', { type: 'email', provider: 'smtp', config: { host: '', port: 99999, secure: 'no' } });
    expect(r.status).toBe(400);
    const paths = r.body.errors.map((e: { path: string }) => e.path).sort();
    expect(paths).toEqual(['config.from', 'config.host', 'config.port', 'config.secure']);
    const wrong = await h().post('/api/v1/channels', { type: 'sms', provider: 'smtp', config: {} });
    expect(wrong.body.errors).toEqual([{ path: 'provider', message: 'a sms channel uses http or outbox' }]);
  });
});
