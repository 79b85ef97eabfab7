import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AppContext } from '../../context.js';
import { messaging } from '../../engine/messaging.js';
import { TokenParams } from '../schemas/messaging.js';

const CHANNEL_NAMES: Record<string, string> = { email: 'email', sms: 'SMS', push: 'push notification', telegram: 'Telegram', webhook: 'webhook' };

function page(reply: FastifyReply, status: number, title: string, text: string) {
  const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
        `<title>${esc(title)}</title><style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}</style></head>` +
        `<body><h1>${esc(title)}</h1><p>${esc(text)}</p></body></html>`,
    );
}

/**
 * The public unsubscribe page `GET /u/{token}` (no token needed: the link is signed per message), and
 * `POST /u/{token}` for one-click unsubscribe from mail clients (RFC 8058).
 */
export function unsubscribeRoutes(app: FastifyInstance, ctx: AppContext) {
  const m = messaging(ctx);
  // Mail clients post `List-Unsubscribe=One-Click` form-encoded; the body itself carries nothing we need.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  const schema = { tags: ['unsubscribe'], summary: 'Public unsubscribe link from a message: unsubscribes its channel', params: TokenParams, security: [] };

  const handle = async (token: string, reply: FastifyReply, redirect: boolean) => {
    const done = await m.unsubscribe(token);
    if (!done) return page(reply, 404, 'Link not valid', 'This unsubscribe link is not valid or has expired.');
    const landing = (await m.settings()).unsubscribe_landing_url;
    if (redirect && landing) {
      const url = new URL(landing);
      url.searchParams.set('channel', done.channel);
      return reply.redirect(url.toString(), 302);
    }
    return page(reply, 200, 'You are unsubscribed', `You will no longer receive ${CHANNEL_NAMES[done.channel] ?? done.channel} messages from us.`);
  };

  app.get('/u/:token', { schema, config: { scope: 'public' } }, async (req, reply) => handle((req.params as { token: string }).token, reply, true));
  app.post('/u/:token', { schema: { ...schema, summary: 'One-click unsubscribe (List-Unsubscribe-Post)' }, config: { scope: 'public' } }, async (req, reply) =>
    handle((req.params as { token: string }).token, reply, false),
  );
}
