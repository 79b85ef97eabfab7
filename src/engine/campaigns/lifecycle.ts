import type { AppContext } from '../../context.js';
import { actionRefusal, activeStatus, ACTION_FROM, type CampaignAction, type CampaignDefinition, type RuleError } from '../../domain/campaigns/campaign.js';
import { broadcastStartsAt, nextCronRun } from '../../domain/campaigns/schedule.js';
import { cancelPending } from '../../store/campaign-recipients.js';
import { cancelRuns, changeStatus, countRuns, getCampaign, insertRun, recordSnapshot, type CampaignRow } from '../../store/campaigns.js';
import type { Executor, Tx } from '../../store/db.js';
import { getSegment } from '../../store/segments.js';
import { getTemplates } from '../../store/templates.js';
import { messaging, SendError } from '../messaging.js';
import { CAMPAIGN_DELIVERY_TASK } from './delivery.js';
import { CampaignNotFound, CampaignRefusal } from './errors.js';
import { ALL_ZONES, CAMPAIGN_SCHEDULE_TASK } from './scheduler.js';

/** What the definition points at and no longer (or never) exists or fits: templates, their channel, segments. */
export async function referenceErrors(ctx: AppContext, ex: Executor, d: Pick<CampaignDefinition, 'variants' | 'channel' | 'audience'>): Promise<RuleError[]> {
  const errors: RuleError[] = [];
  const templates = new Map((await getTemplates(ex, d.variants.map((v) => v.template_id))).map((t) => [t.id, t]));
  for (const [i, v] of d.variants.entries()) {
    const t = templates.get(v.template_id);
    if (!t) {
      errors.push({ path: `variants.${i}.template_id`, message: 'no such template' });
      continue;
    }
    try {
      await messaging(ctx).resolveChannel(ex, d.channel, t.channel);
    } catch (err) {
      if (!(err instanceof SendError)) throw err;
      errors.push({ path: err.code === 'unknown-channel' ? 'channel' : `variants.${i}.template_id`, message: err.message });
    }
  }
  const segments = async (ids: string[] | undefined, path: string) => {
    for (const [i, id] of (ids ?? []).entries()) if (!(await getSegment(ex, id))) errors.push({ path: `${path}.${i}`, message: 'no such segment' });
  };
  await segments(d.audience?.segment_ids, 'audience.segment_ids');
  await segments(d.audience?.exclude_segment_ids, 'audience.exclude_segment_ids');
  return errors.filter((e, i) => errors.findIndex((x) => x.path === e.path && x.message === e.message) === i);
}

/** When the scheduler first starts a run: the broadcast's `at` (its earliest local moment), the next cron time, or now. */
export function firstRunAt(c: CampaignRow, now: Date): Date | null {
  if (c.kind === 'trigger') return null;
  const s = c.schedule;
  if (c.kind === 'regular' && s && 'cron' in s && s.cron) return nextCronRun(s.cron, s.timezone ?? 'UTC', now);
  if (s && 'at' in s && s.at) return broadcastStartsAt(s.at, c.send_in_profile_timezone, ALL_ZONES);
  return now;
}

function refuse(action: CampaignAction, c: CampaignRow): never {
  throw new CampaignRefusal(action === 'start' ? 'campaign-not-draft' : 'campaign-state', actionRefusal(action, c.status) ?? 'The campaign changed meanwhile.');
}

async function locked(tx: Tx, id: string, action: CampaignAction): Promise<CampaignRow> {
  const c = await getCampaign(tx, id, true);
  if (!c) throw new CampaignNotFound();
  if (!ACTION_FROM[action].includes(c.status)) refuse(action, c);
  return c;
}

/**
 * Start, pause, resume or cancel, each one transaction under the campaign's row lock:
 * - start checks the templates, channel and segments again (they may have changed since the draft was
 *   saved), then schedules the first run (a trigger campaign opens its run for API sends at once);
 * - pause holds delivery and cron runs; resume carries on (a regular campaign skips the cron times it missed);
 * - cancel stops everything; what was still to be sent is recorded as canceled.
 */
export async function campaignAction(ctx: AppContext, id: string, action: CampaignAction): Promise<CampaignRow> {
  const now = ctx.clock.now();
  const c = await ctx.db.transaction().execute(async (tx) => {
    const c = await locked(tx, id, action);
    switch (action) {
      case 'start': {
        const errors = await referenceErrors(ctx, tx, c);
        if (errors.length) throw new CampaignRefusal('campaign-invalid', 'The campaign cannot start: fix the fields listed.', errors);
        const first = firstRunAt(c, now);
        if (c.kind === 'trigger') {
          const run = await insertRun(tx, c.id, now, now);
          await recordSnapshot(tx, run!.id, { audience: 0, remaining: 0, rest: 0 }, 0);
        }
        const status = activeStatus(c.kind, first, false, now);
        return (await changeStatus(tx, id, ['draft'], { status, next_run_at: first, started_at: now }, now))!;
      }
      case 'pause':
        return (await changeStatus(tx, id, ACTION_FROM.pause, { status: 'paused', paused_at: now }, now))!;
      case 'resume': {
        const hasRun = (await countRuns(tx, id)) > 0;
        let next = c.next_run_at ? new Date(c.next_run_at) : null;
        if (c.kind === 'regular' && next && next.getTime() < now.getTime()) next = firstRunAt(c, now);
        const status = activeStatus(c.kind, next, hasRun, now);
        return (await changeStatus(tx, id, ['paused'], { status, next_run_at: next, paused_at: null }, now))!;
      }
      case 'cancel': {
        const runs = await cancelRuns(tx, id, now);
        await cancelPending(tx, runs, now);
        return (await changeStatus(tx, id, ACTION_FROM.cancel, { status: 'canceled', next_run_at: null, completed_at: now }, now))!;
      }
    }
  });
  if (action === 'start' || action === 'resume') {
    await ctx.work.announce(CAMPAIGN_SCHEDULE_TASK);
    await ctx.work.announce(CAMPAIGN_DELIVERY_TASK);
  }
  return c;
}
