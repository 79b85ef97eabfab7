import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { decryptSecret, encryptSecret, maskSecret, maskUrl, secretKey } from '../../channels/secrets.js';
import { hooks } from '../../engine/hooks.js';
import { deleteHook, getHook, insertHook, listDeliveries, listHooks, updateHook, type HookRow } from '../../store/hooks.js';
import { newId } from '../../store/ids.js';
import { badRequest, notFound, type FieldError } from '../problem.js';
import { IdParams } from '../schemas/common.js';
import { DeliveryListQuery, HookBody } from '../schemas/messaging.js';
import { durationMs, parseDuration } from '../../domain/duration.js';

interface Body {
  name?: string;
  events: string[];
  target: { type: 'http' | 'rabbitmq'; url: string; headers?: Record<string, string>; [k: string]: unknown };
  active?: boolean;
}

export function hookRoutes(app: FastifyInstance, ctx: AppContext) {
  const tags = ['hooks'];
  const key = () => secretKey(ctx.db, ctx.clock.now());

  async function view(h: HookRow) {
    const secrets = h.secrets ? decryptSecret<Record<string, unknown>>(await key(), h.secrets) : {};
    const target: Record<string, unknown> = { type: h.target_type, ...h.target };
    if (typeof secrets.url === 'string') target.url = maskUrl(secrets.url);
    if (secrets.headers) target.headers = Object.fromEntries(Object.entries(secrets.headers as Record<string, string>).map(([k, v]) => [k, maskSecret(v)]));
    return { id: h.id, name: h.name, events: h.events, target, active: h.active, created_at: h.created_at, updated_at: h.updated_at };
  }

  async function toRow(id: string, b: Body): Promise<Omit<HookRow, 'created_at' | 'updated_at'>> {
    const errors: FieldError[] = [];
    for (const f of ['flush_interval', 'timeout'] as const) {
      const v = b.target[f] as string | undefined;
      if (v !== undefined) {
        const d = parseDuration(v);
        if (!d || d.negative || (f === 'timeout' && durationMs(d) <= 0)) errors.push({ path: `target.${f}`, message: 'must be a positive ISO 8601 duration' });
      }
    }
    if (errors.length) throw badRequest(errors);
    const { type, ...rest } = b.target;
    const plain: Record<string, unknown> = {};
    const secret: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(rest)) {
      const isSecret = k === 'headers' || (k === 'url' && type === 'rabbitmq');
      (isSecret ? secret : plain)[k] = v;
    }
    return {
      id,
      name: b.name ?? null,
      events: b.events,
      target_type: type,
      target: plain,
      secrets: Object.keys(secret).length ? encryptSecret(await key(), secret) : null,
      active: b.active ?? true,
    };
  }

  app.post('/hooks', { schema: { tags, summary: 'Forward events to an HTTP endpoint (JSON batches) or a RabbitMQ exchange, at least once', body: HookBody } }, async (req, reply) => {
    const row = await insertHook(ctx.db, await toRow(newId(), req.body as Body), ctx.clock.now());
    hooks(ctx).invalidate();
    return reply.code(201).send(await view(row));
  });

  app.get('/hooks', { schema: { tags, summary: 'List action hooks' } }, async () => {
    const rows = await listHooks(ctx.db);
    return { items: await Promise.all(rows.map(view)), next_cursor: null };
  });

  app.get('/hooks/:id', { schema: { tags, summary: 'An action hook', params: IdParams } }, async (req) => {
    const h = await getHook(ctx.db, (req.params as { id: string }).id);
    if (!h) throw notFound('Hook');
    return view(h);
  });

  app.put('/hooks/:id', { schema: { tags, summary: 'Replace an action hook', params: IdParams, body: HookBody } }, async (req) => {
    const id = (req.params as { id: string }).id;
    if (!(await getHook(ctx.db, id))) throw notFound('Hook');
    const row = await updateHook(ctx.db, await toRow(id, req.body as Body), ctx.clock.now());
    hooks(ctx).invalidate();
    return view(row!);
  });

  app.delete('/hooks/:id', { schema: { tags, summary: 'Remove an action hook and its pending deliveries', params: IdParams } }, async (req, reply) => {
    if (!(await deleteHook(ctx.db, (req.params as { id: string }).id))) throw notFound('Hook');
    hooks(ctx).invalidate();
    return reply.code(204).send();
  });

  app.get(
    '/hooks/:id/deliveries',
    { schema: { tags, summary: 'Recent deliveries of a hook: pending (with the last error), delivered or failed', params: IdParams, querystring: DeliveryListQuery } },
    async (req) => {
      const id = (req.params as { id: string }).id;
      if (!(await getHook(ctx.db, id))) throw notFound('Hook');
      const q = req.query as { status?: string; limit?: number };
      return { items: await listDeliveries(ctx.db, id, q.limit ?? 100, q.status), next_cursor: null };
    },
  );
}
