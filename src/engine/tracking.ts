import type { AppContext } from '../context.js';
import { verifyClickToken, verifyOpenToken } from '../domain/messaging/tracking.js';
import type { NewEvent } from '../store/events.js';
import { recordClick, recordOpen, type TrackedMessage } from '../store/messages.js';
import { messaging } from './messaging.js';

/** A transparent 1×1 GIF: the open pixel. */
export const PIXEL_GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

function trackingEvent(m: TrackedMessage, name: string, eventId: string | null, url?: string): Omit<NewEvent, 'occurred_at'> {
  return {
    profile_id: m.profile_id,
    name,
    event_id: eventId,
    properties: {
      message_id: m.id,
      channel: m.channel,
      template_id: m.template_id,
      ...(m.campaign_id ? { campaign_id: m.campaign_id } : {}),
      ...(m.scenario_id ? { scenario_id: m.scenario_id, node_id: m.node_id, instance_id: m.instance_id } : {}),
      ...(url ? { url } : {}),
    },
  };
}

/**
 * The open pixel was loaded: the first open of the message sets `opened_at` and records `message_opened` on
 * the profile timeline, in one transaction; later opens change nothing. False for a token that does not verify.
 */
export async function trackOpen(ctx: AppContext, token: string): Promise<boolean> {
  const svc = messaging(ctx);
  const messageId = verifyOpenToken(await svc.key(), token);
  if (!messageId) return false;
  const now = ctx.clock.now();
  const stored = await ctx.db.transaction().execute(async (tx) => {
    const m = await recordOpen(tx, messageId, now);
    return m ? svc.appendMessageEvents(tx, [trackingEvent(m, 'message_opened', `message_opened:${m.id}`)]) : [];
  });
  svc.publish(stored);
  return true;
}

/**
 * A tracked link was followed: every click counts (`clicks`, the first sets `clicked_at`) and records
 * `message_clicked` with the URL; a click on a message not seen opened also records its first open. Answers
 * the original URL to redirect to, or null for a token that does not verify.
 */
export async function trackClick(ctx: AppContext, token: string, record = true): Promise<string | null> {
  const svc = messaging(ctx);
  const click = verifyClickToken(await svc.key(), token);
  if (!click) return null;
  if (!record) return click.url;
  const now = ctx.clock.now();
  const stored = await ctx.db.transaction().execute(async (tx) => {
    const m = await recordClick(tx, click.messageId, now);
    if (!m) return [];
    const events = [trackingEvent(m, 'message_clicked', `message_clicked:${m.id}:${m.clicks}`, click.url)];
    if (m.first_open) events.unshift(trackingEvent(m, 'message_opened', `message_opened:${m.id}`));
    return svc.appendMessageEvents(tx, events);
  });
  svc.publish(stored);
  return click.url;
}
