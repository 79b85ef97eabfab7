import type { AppContext } from '../../context.js';
import { localSendMoments, nextCronRun } from '../../domain/campaigns/schedule.js';
import { metricEvent, pickWinner } from '../../domain/campaigns/winner.js';
import { durationMs } from '../../domain/duration.js';
import { analyzeRecipients, promoteDue, releaseRest, snapshotAudience, testResults } from '../../store/campaign-recipients.js';
import {
  claimDueCampaigns,
  claimDueWinners,
  completeFinishedRuns,
  deliverableRuns,
  insertRun,
  recordSnapshot,
  recordWinner,
  setNextRun,
  setWinnerDue,
  startWinnerWindows,
  type CampaignRow,
} from '../../store/campaigns.js';
import type { Tx } from '../../store/db.js';
import type { WorkTask } from '../work-loop.js';
import { audienceConditions, planFor } from './audience.js';
import { CAMPAIGN_DELIVERY_TASK } from './delivery.js';

export const CAMPAIGN_SCHEDULE_TASK = 'campaign-schedule';

/** A snapshot this big refreshes the recipients' statistics after it commits. */
const ANALYZE_AFTER = 10_000;

/** Every IANA zone this runtime knows: send-in-profile-time-zone computes the local moment for each. */
export const ALL_ZONES: readonly string[] = [...Intl.supportedValuesOf('timeZone'), 'UTC'];

/**
 * Starts one run of a campaign whose time has come, in the caller's transaction (the campaign row is
 * locked): the run row (unique per scheduled time), the audience snapshot in one statement, and the next
 * time (the next cron time of a regular campaign; none for a broadcast).
 */
export async function startRun(ctx: AppContext, tx: Tx, c: CampaignRow, now: Date): Promise<{ runId: string; audience: number } | null> {
  const scheduledFor = c.next_run_at ? new Date(c.next_run_at) : now;
  const cron = c.kind === 'regular' ? c.schedule?.cron : undefined;
  const next = cron ? nextCronRun(cron, c.schedule?.timezone ?? 'UTC', now) : null;
  await setNextRun(tx, c.id, next, 'running', now);
  const run = await insertRun(tx, c.id, scheduledFor, now);
  if (!run) return null;
  const t0 = performance.now();
  const { plan } = await planFor(ctx, tx, c);
  const { include, exclude } = await audienceConditions(tx, c.audience ?? { segment_ids: [] }, now);
  const at = c.schedule?.at ?? null;
  const groups = await snapshotAudience(tx, {
    runId: run.id,
    plan,
    include,
    exclude,
    now,
    zoneMoments: c.send_in_profile_timezone && at ? localSendMoments(at, ALL_ZONES) : null,
    defaultDue: at ? new Date(at) : now,
  });
  const n = (g: string) => groups.get(g as never) ?? 0;
  const audience = [...groups.values()].reduce((a, b) => a + b, 0);
  await recordSnapshot(tx, run.id, { audience, remaining: n('all') + n('test') + n('rest'), rest: n('rest') }, Math.round(performance.now() - t0));
  ctx.log.info({ campaign: c.id, run: run.id, audience, groups: Object.fromEntries(groups) }, 'campaign run started');
  return { runId: run.id, audience };
}

/** Test then winner: counts each variant's opens, clicks or goal events on the test share, sends the winner to the rest. */
async function decideWinner(tx: Tx, run: { id: string; winner_due_at: Date | null }, c: CampaignRow, now: Date): Promise<number> {
  const w = c.winner_selection!;
  const event = metricEvent(w.metric, c.goal?.event ?? null);
  const results = await testResults(tx, run.id, event, w.metric !== 'goal', now);
  const decision = pickWinner(results, c.variants.length);
  await recordWinner(tx, run.id, decision.winner, decision.results.map((r) => ({ ...r, metric: w.metric, event })));
  return releaseRest(tx, run.id, decision.winner, now);
}

/**
 * The scheduler's round: start due runs (one campaign per transaction), make recipients due whose local
 * time has come, start winner windows whose test share is out, decide due winners, complete runs with
 * nothing left. Returns how much it did.
 */
export async function scheduleCampaigns(ctx: AppContext, limit: number, now: Date): Promise<number> {
  let done = 0;
  let wakeDelivery = false;
  for (let i = 0; i < limit; i++) {
    const started = await ctx.db.transaction().execute(async (tx) => {
      const [c] = await claimDueCampaigns(tx, now, 1);
      if (!c) return null;
      if (c.kind === 'trigger') {
        await setNextRun(tx, c.id, null, c.status, now);
        return { audience: 0 };
      }
      return (await startRun(ctx, tx, c, now)) ?? { audience: 0 };
    });
    if (!started) break;
    if (started.audience >= ANALYZE_AFTER) await analyzeRecipients(ctx.db).catch((err) => ctx.log.warn({ err }, 'could not analyze campaign recipients'));
    done++;
    wakeDelivery = true;
  }

  // recipients whose local send time has come
  const sending = await deliverableRuns(ctx.db);
  if (sending.length && (await promoteDue(ctx.db, sending.map((r) => r.id), now))) wakeDelivery = true;

  for (const w of await ctx.db.transaction().execute((tx) => startWinnerWindows(tx, now))) {
    await setWinnerDue(ctx.db, w.id, new Date(now.getTime() + durationMs(w.window)));
    done++;
  }

  const decided = await ctx.db.transaction().execute(async (tx) => {
    let n = 0;
    for (const run of await claimDueWinners(tx, now, limit)) {
      await decideWinner(tx, run, run.campaign, now);
      n++;
    }
    return n;
  });
  if (decided) wakeDelivery = true;
  done += decided;

  const completed = await ctx.db.transaction().execute((tx) => completeFinishedRuns(tx, now));
  for (const id of completed) ctx.log.info({ campaign: id }, 'campaign completed');
  if (wakeDelivery) await ctx.work.announce(CAMPAIGN_DELIVERY_TASK);
  return done;
}

export function campaignScheduleTask(ctx: AppContext): WorkTask {
  return { name: CAMPAIGN_SCHEDULE_TASK, batchSize: 10, idleMs: 1_000, run: (limit, now) => scheduleCampaigns(ctx, limit, now) };
}
