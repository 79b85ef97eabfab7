import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { claimIdempotencyKey, completeIdempotencyKey, releaseIdempotencyKey } from '../store/idempotency.js';
import { badRequest, conflict } from './problem.js';

const TTL_MS = 24 * 3600 * 1000;

declare module 'fastify' {
  interface FastifyRequest {
    idempotency?: { tokenId: string; key: string };
  }
}

/**
 * `Idempotency-Key` on any state-changing request: a repeat with the same key and body gets the first
 * response; the same key with another body is 409. Streamed bodies (file imports) are not replayable.
 */
export function registerIdempotency(app: FastifyInstance, ctx: AppContext) {
  app.addHook('preHandler', async (req: FastifyRequest, reply: FastifyReply) => {
    const key = req.headers['idempotency-key'];
    if (key === undefined || req.method === 'GET' || req.method === 'HEAD' || !req.token) return;
    if (typeof key !== 'string' || key.length < 1 || key.length > 200)
      throw badRequest([{ path: 'header.idempotency-key', message: 'must be 1–200 characters' }]);
    if (req.body && typeof (req.body as { pipe?: unknown }).pipe === 'function') return;
    const path = req.url;
    const bodyHash = createHash('sha256')
      .update(JSON.stringify(req.body ?? null))
      .digest('hex');
    const now = ctx.clock.now();
    const claim = await claimIdempotencyKey(ctx.db, {
      tokenId: req.token.id,
      key,
      method: req.method,
      path,
      bodyHash,
      now,
      expiresAt: new Date(now.getTime() + TTL_MS),
    });
    if (claim.kind === 'mismatch')
      throw conflict('idempotency-key-reused', 'This Idempotency-Key was used with a different request.');
    if (claim.kind === 'in-progress')
      throw conflict('idempotency-key-in-progress', 'A request with this Idempotency-Key is still being processed.');
    if (claim.kind === 'replay') {
      reply.code(claim.response.statusCode).headers({ ...claim.response.headers, 'idempotent-replay': 'true' });
      return reply.send(claim.response.body);
    }
    req.idempotency = { tokenId: req.token.id, key };
  });

  app.addHook('onSend', async (req, reply, payload) => {
    const idem = req.idempotency;
    if (!idem) return payload;
    req.idempotency = undefined;
    if (reply.statusCode >= 500 || (payload !== null && payload !== undefined && typeof payload !== 'string')) {
      await releaseIdempotencyKey(ctx.db, idem.tokenId, idem.key);
      return payload;
    }
    const ct = reply.getHeader('content-type');
    await completeIdempotencyKey(ctx.db, idem.tokenId, idem.key, {
      statusCode: reply.statusCode,
      headers: ct ? { 'content-type': String(ct) } : {},
      body: (payload as string | null) ?? '',
    });
    return payload;
  });
}
