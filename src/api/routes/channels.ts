import type { FastifyInstance } from 'fastify';
import type { TSchema } from 'typebox';
import type { AppContext } from '../../context.js';
import { encryptSecret, maskSecret, decryptSecret } from '../../channels/secrets.js';
import { liquid } from '../../domain/messaging/template.js';
import { messaging } from '../../engine/messaging.js';
import { deleteChannel, getChannel, insertChannel, listChannels, updateChannel, type ChannelRow } from '../../store/channels.js';
import { newId } from '../../store/ids.js';
import { badRequest, notFound, type FieldError } from '../problem.js';
import { IdParams } from '../schemas/common.js';
import { ChannelBody, HttpProviderConfigSchema, OutboxConfigSchema, SmtpConfigSchema, TelegramConfigSchema } from '../schemas/messaging.js';
import { compileBody, fieldErrors } from '../validation.js';

type Provider = 'smtp' | 'http' | 'telegram_bot' | 'outbox';
interface Body {
  name?: string;
  type: string;
  provider: Provider;
  config?: Record<string, unknown>;
  default?: boolean;
}

const PROVIDERS_FOR: Record<string, Provider[]> = {
  email: ['smtp', 'outbox'],
  sms: ['http', 'outbox'],
  push: ['http', 'outbox'],
  webhook: ['http', 'outbox'],
  telegram: ['telegram_bot', 'outbox'],
};
const CONFIG_SCHEMA: Record<Provider, TSchema> = {
  smtp: SmtpConfigSchema,
  http: HttpProviderConfigSchema,
  telegram_bot: TelegramConfigSchema,
  outbox: OutboxConfigSchema,
};
/** The config keys that are secrets: stored encrypted, shown masked. */
const SECRET_KEYS: Record<Provider, string[]> = { smtp: ['pass'], http: ['headers'], telegram_bot: ['token'], outbox: [] };

function split(provider: Provider, config: Record<string, unknown>) {
  const plain: Record<string, unknown> = {};
  const secret: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) (SECRET_KEYS[provider].includes(k) ? secret : plain)[k] = v;
  return { plain, secret };
}

function masked(value: unknown): unknown {
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskSecret(v)]));
  return maskSecret(value);
}

export function channelView(row: ChannelRow, secrets: Record<string, unknown>) {
  const config: Record<string, unknown> = { ...row.config };
  for (const [k, v] of Object.entries(secrets)) config[k] = k === 'secrets' ? v : masked(v);
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    provider: row.provider,
    config,
    default: row.is_default,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export function channelRoutes(app: FastifyInstance, ctx: AppContext) {
  const tags = ['channels'];
  const m = messaging(ctx);

  // Secrets that no longer decrypt (the key changed) show as unreadable instead of failing the request.
  const secretsOf = async (row: ChannelRow): Promise<Record<string, unknown>> => {
    if (!row.secrets) return {};
    try {
      return decryptSecret<Record<string, unknown>>(await m.key(), row.secrets);
    } catch {
      return { secrets: 'unreadable with the current RETENTA_SECRET_KEY; set them again' };
    }
  };

  async function toRow(id: string, b: Body, previous?: ChannelRow): Promise<Omit<ChannelRow, 'created_at' | 'updated_at'>> {
    const errors: FieldError[] = [];
    if (!PROVIDERS_FOR[b.type]?.includes(b.provider))
      errors.push({ path: 'provider', message: `a ${b.type} channel uses ${PROVIDERS_FOR[b.type].join(' or ')}` });
    const config = { ...(b.config ?? {}) };
    // On replace, a secret left out keeps its stored value (the API never hands it back to resend).
    if (previous && previous.provider === b.provider && previous.secrets) {
      const old = await secretsOf(previous);
      for (const k of SECRET_KEYS[b.provider]) if (config[k] === undefined && old[k] !== undefined) config[k] = old[k];
    }
    if (!errors.length) {
      const v = compileBody(CONFIG_SCHEMA[b.provider] as object);
      if (!v(config)) errors.push(...fieldErrors(v.errors, 'config'));
    }
    if (b.provider === 'http' && typeof config.body_template === 'string') {
      try {
        liquid.parse(config.body_template);
      } catch (e) {
        errors.push({ path: 'config.body_template', message: `Liquid syntax error: ${(e as Error).message}` });
      }
    }
    if (errors.length) throw badRequest(errors);
    const { plain, secret } = split(b.provider, config);
    return {
      id,
      name: b.name ?? previous?.name ?? `${b.type} via ${b.provider}`,
      type: b.type,
      provider: b.provider,
      config: plain,
      secrets: Object.keys(secret).length ? encryptSecret(await m.key(), secret) : null,
      is_default: b.default ?? true,
    };
  }

  app.post('/channels', { schema: { tags, summary: 'Configure a delivery channel (secrets are stored encrypted and shown masked)', body: ChannelBody } }, async (req, reply) => {
    const row = await ctx.db.transaction().execute(async (tx) => insertChannel(tx, await toRow(newId(), req.body as Body), ctx.clock.now()));
    m.invalidate();
    return reply.code(201).send(channelView(row, await secretsOf(row)));
  });

  app.get('/channels', { schema: { tags, summary: 'List channels (the built-in outbox takes every send no channel is configured for)' } }, async () => {
    const rows = await listChannels(ctx.db);
    return { items: await Promise.all(rows.map(async (r) => channelView(r, await secretsOf(r)))), next_cursor: null };
  });

  app.get('/channels/:id', { schema: { tags, summary: 'A channel', params: IdParams } }, async (req) => {
    const row = await getChannel(ctx.db, (req.params as { id: string }).id);
    if (!row) throw notFound('Channel');
    return channelView(row, await secretsOf(row));
  });

  app.put('/channels/:id', { schema: { tags, summary: 'Replace a channel; secrets left out are kept', params: IdParams, body: ChannelBody } }, async (req) => {
    const id = (req.params as { id: string }).id;
    const previous = await getChannel(ctx.db, id);
    if (!previous) throw notFound('Channel');
    const write = await toRow(id, req.body as Body, previous);
    const row = await ctx.db.transaction().execute((tx) => updateChannel(tx, write, ctx.clock.now()));
    if (!row) throw notFound('Channel');
    m.invalidate();
    return channelView(row, await secretsOf(row));
  });

  app.delete('/channels/:id', { schema: { tags, summary: 'Remove a channel; later sends of its type go to the next default or the outbox', params: IdParams } }, async (req, reply) => {
    if (!(await deleteChannel(ctx.db, (req.params as { id: string }).id))) throw notFound('Channel');
    m.invalidate();
    return reply.code(204).send();
  });
}
