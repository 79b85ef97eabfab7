import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { pageOf } from '../../domain/cursor.js';
import { isUuid, parseProfileRef, type ProfileRefInput } from '../../domain/profiles/ref.js';
import { MESSAGE_DELIVERY_TASK, messageText, messaging, SendError } from '../../engine/messaging.js';
import { getMessage, listMessages, type MessageRow } from '../../store/messages.js';
import { findProfile } from '../../store/profiles.js';
import { cursorAfter } from '../pagination.js';
import { badRequest, notFound, unprocessable } from '../problem.js';
import { IdParams } from '../schemas/common.js';
import { MessageListQuery, SendBody, SubscriptionBody, SubscriptionParams } from '../schemas/messaging.js';

export function messageView(m: MessageRow) {
  return {
    id: m.id,
    profile_id: m.profile_id,
    channel: m.channel,
    channel_id: m.channel_id,
    provider: m.provider,
    to: m.to_address,
    subject: m.subject,
    body: m.body,
    text: messageText(m),
    status: m.status,
    reason: m.reason,
    deferred_reason: m.deferred_reason,
    scheduled_at: m.scheduled_at,
    attempts: m.attempts,
    provider_response: m.provider_response,
    template_id: m.template_id,
    transactional: m.transactional,
    scenario_id: m.scenario_id,
    scenario_version: m.scenario_version,
    node_id: m.node_id,
    instance_id: m.instance_id,
    campaign_id: m.campaign_id,
    extra: m.extra,
    created_at: m.created_at,
    sent_at: m.sent_at,
    opened_at: m.opened_at,
    clicked_at: m.clicked_at,
    clicks: m.clicks,
  };
}

export function sendErrorProblem(e: SendError) {
  if (e.code === 'unknown-template') return notFound('Template');
  if (e.code === 'unknown-profile') return notFound('Profile');
  if (e.code === 'unknown-channel') return unprocessable('unknown-channel', e.message);
  return unprocessable('channel-mismatch', e.message);
}

export function messageRoutes(app: FastifyInstance, ctx: AppContext) {
  const tags = ['messages'];

  app.get('/messages', { schema: { tags, summary: 'Messages, newest first: what was sent, queued, deferred, skipped or failed, and why', querystring: MessageListQuery } }, async (req) => {
    const q = req.query as { limit?: number; cursor?: string; profile?: string; scenario_id?: string; campaign_id?: string; status?: string; channel?: string; template_id?: string };
    const limit = q.limit ?? 50;
    let profileId: string | undefined;
    if (q.profile !== undefined) {
      const ref: ProfileRefInput = isUuid(q.profile) ? { id: q.profile } : q.profile.includes('@') ? { email: q.profile } : { phone: q.profile };
      const parsed = parseProfileRef(ref);
      if (typeof parsed === 'string') throw badRequest([{ path: 'query.profile', message: 'must be a profile id, email or phone' }]);
      const p = parsed.kind === 'id' ? { id: parsed.value } : await findProfile(ctx.db, parsed);
      if (!p) return { items: [], next_cursor: null };
      profileId = p.id;
    }
    const rows = await listMessages(ctx.db, { ...q, profile_id: profileId }, limit + 1, cursorAfter(q.cursor));
    const page = pageOf(rows, limit, (r) => [r.id]);
    return { items: page.items.map(messageView), next_cursor: page.next_cursor };
  });

  app.get('/messages/:id', { schema: { tags, summary: 'A message with the provider answer', params: IdParams } }, async (req) => {
    const m = await getMessage(ctx.db, (req.params as { id: string }).id);
    if (!m) throw notFound('Message');
    return messageView(m);
  });

  app.post(
    '/messages',
    { schema: { tags, summary: 'Send one message now (e.g. a transactional email); 202 with the queued, skipped or deferred message', body: SendBody } },
    async (req, reply) => {
      const b = req.body as { profile: ProfileRefInput; template_id: string; channel?: string; data?: Record<string, unknown>; require_subscription?: boolean; dedupe_key?: string; campaign_id?: string };
      const svc = messaging(ctx);
      try {
        const result = await ctx.db.transaction().execute((tx) =>
          svc.send(tx, {
            profile: b.profile,
            template: b.template_id,
            channel: b.channel,
            data: b.data,
            require_subscription: b.require_subscription,
            origin: { dedupe_key: b.dedupe_key, campaign_id: b.campaign_id },
          }),
        );
        await ctx.work.announce(MESSAGE_DELIVERY_TASK);
        const m = await getMessage(ctx.db, result.message_id);
        return reply.code(202).send({ ...messageView(m!), duplicate: result.duplicate });
      } catch (e) {
        if (e instanceof SendError) throw sendErrorProblem(e);
        throw e;
      }
    },
  );

  app.put(
    '/profiles/:id/subscriptions/:channel',
    {
      schema: {
        tags: ['profiles'],
        summary: 'Change one channel subscription; unsubscribing records an unsubscribed event as the unsubscribe page does',
        params: SubscriptionParams,
        body: SubscriptionBody,
      },
    },
    async (req) => {
      const { id, channel } = req.params as { id: string; channel: string };
      const { status } = req.body as { status: string };
      const r = await messaging(ctx).changeSubscription(id, channel, status, 'api');
      if (!r) throw notFound('Profile');
      return { profile_id: id, channel, status, previous_status: r.previous };
    },
  );
}
