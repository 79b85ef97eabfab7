import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { parseDuration, durationMs } from '../../domain/duration.js';
import { isValidTimezone } from '../../domain/messaging/schedule.js';
import { MESSAGING_SETTINGS_KEY, messaging, type MessagingSettings } from '../../engine/messaging.js';
import { getSetting, putSetting } from '../../store/channels.js';
import { badRequest, type FieldError } from '../problem.js';
import { MessagingSettingsBody } from '../schemas/messaging.js';

export function settingsRoutes(app: FastifyInstance, ctx: AppContext) {
  const tags = ['settings'];

  app.get('/settings/messaging', { schema: { tags, summary: 'Frequency cap, quiet hours, unsubscribe, retry and tracking settings for every send' } }, async () => {
    return (await getSetting<MessagingSettings>(ctx.db, MESSAGING_SETTINGS_KEY)) ?? {};
  });

  app.put(
    '/settings/messaging',
    { schema: { tags, summary: 'Replace the messaging settings (frequency cap, quiet hours across all scenarios and campaigns; open and click tracking)', body: MessagingSettingsBody } },
    async (req) => {
      const b = req.body as MessagingSettings;
      const errors: FieldError[] = [];
      const positive = (path: string, d: string | undefined) => {
        if (d === undefined) return;
        const p = parseDuration(d);
        if (!p || p.negative || durationMs(p) <= 0) errors.push({ path, message: 'must be a positive ISO 8601 duration such as P1D or PT30S' });
      };
      positive('frequency_cap.per', b.frequency_cap?.per);
      positive('retry.backoff', b.retry?.backoff);
      if (b.quiet_hours?.timezone && !isValidTimezone(b.quiet_hours.timezone))
        errors.push({ path: 'quiet_hours.timezone', message: 'is not a known IANA time zone (e.g. Europe/Berlin)' });
      if (b.quiet_hours && b.quiet_hours.from === b.quiet_hours.to) errors.push({ path: 'quiet_hours.to', message: 'must differ from quiet_hours.from' });
      if (errors.length) throw badRequest(errors);
      await putSetting(ctx.db, MESSAGING_SETTINGS_KEY, b, ctx.clock.now());
      messaging(ctx).invalidate();
      return b;
    },
  );
}
