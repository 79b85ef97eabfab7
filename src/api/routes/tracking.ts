import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AppContext } from '../../context.js';
import { PIXEL_GIF, trackClick, trackOpen } from '../../engine/tracking.js';
import { TrackingTokenParams } from '../schemas/messaging.js';

function notValid(reply: FastifyReply) {
  return reply
    .code(404)
    .type('text/html; charset=utf-8')
    .send('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Link not valid</title></head><body><h1>Link not valid</h1><p>This link is not valid.</p></body></html>');
}

/**
 * Public open and click tracking of HTML emails (no token needed: each link is signed per message):
 * `GET /t/o/{token}` answers a 1×1 GIF and records the first open, `GET /t/c/{token}` records the click and
 * redirects to the original URL. A HEAD request (a link checker) redirects without recording.
 */
export function trackingRoutes(app: FastifyInstance, ctx: AppContext) {
  const tags = ['tracking'];
  app.get(
    '/t/o/:token',
    { schema: { tags, summary: 'Open pixel of an HTML email: a 1×1 GIF; the first load records the open', params: TrackingTokenParams, security: [] }, config: { scope: 'public' } },
    async (req, reply) => {
      if (req.method === 'GET') await trackOpen(ctx, (req.params as { token: string }).token);
      // Whatever the token, the mail client gets its image: a broken one helps nobody.
      return reply.code(200).header('cache-control', 'no-store, no-cache, must-revalidate, private').type('image/gif').send(PIXEL_GIF);
    },
  );
  app.get(
    '/t/c/:token',
    { schema: { tags, summary: 'Tracked link of an HTML email: records the click and redirects to the original address', params: TrackingTokenParams, security: [] }, config: { scope: 'public' } },
    async (req, reply) => {
      const url = await trackClick(ctx, (req.params as { token: string }).token, req.method === 'GET');
      if (!url) return notValid(reply);
      return reply.header('cache-control', 'no-store, private').redirect(url, 302);
    },
  );
}
