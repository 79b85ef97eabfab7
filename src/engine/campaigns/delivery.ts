import type { AppContext } from '../../context.js';
import { claimRecipients, recordOutcomes, type RecipientOutcome } from '../../store/campaign-recipients.js';
import { deliverableRuns, getCampaign, returnThrottle, takeThrottle } from '../../store/campaigns.js';
import type { WorkTask } from '../work-loop.js';
import { sendCampaignBatch } from './send.js';

export const CAMPAIGN_DELIVERY_TASK = 'campaign-delivery';

/** The dedupe key of a run's message to a profile: a recipient is sent once per run, whatever happens. */
export const recipientKey = (runId: string, profileId: string) => `campaign:${runId}:${profileId}`;

/**
 * Delivers the due recipients of running campaigns in batches. Each batch is one transaction: claim the
 * rows (FOR UPDATE SKIP LOCKED, so workers share a run), write their messages through the messaging
 * pipeline, record each recipient's outcome. A worker that dies mid-batch leaves nothing behind (the
 * transaction rolls back and the rows are claimed again); the dedupe key per run and profile backs that up.
 * A throttled run takes its batch from the run's per-minute allowance first.
 */
export async function deliverCampaigns(ctx: AppContext, limit: number, now: Date): Promise<number> {
  const runs = await deliverableRuns(ctx.db);
  let handled = 0;
  for (const run of runs) {
    if (handled >= limit) break;
    handled += await ctx.db.transaction().execute(async (tx) => {
      const campaign = await getCampaign(tx, run.campaign_id);
      if (!campaign || campaign.status !== 'running') return 0;
      const want = limit - handled;
      const allowed = run.throttle_per_minute ? await takeThrottle(tx, run.id, run.throttle_per_minute, want, now) : want;
      const claimed = await claimRecipients(tx, run.id, now, allowed);
      if (run.throttle_per_minute) await returnThrottle(tx, run.id, allowed - claimed.length);
      if (!claimed.length) return 0;
      const results = await sendCampaignBatch(
        ctx,
        tx,
        campaign,
        claimed.map((r) => ({ profile_id: r.profile_id, variant: r.variant, dedupe_key: recipientKey(run.id, r.profile_id) })),
        now,
      );
      const outcomes: RecipientOutcome[] = claimed.map((r, i) => ({
        profile_id: r.profile_id,
        seq: r.seq,
        status: results[i].status,
        reason: results[i].reason,
        message_id: results[i].message_id,
        deferred: results[i].deferred,
      }));
      await recordOutcomes(tx, run.id, outcomes, now);
      return claimed.length;
    });
  }
  return handled;
}

export function campaignDeliveryTask(ctx: AppContext): WorkTask {
  return { name: CAMPAIGN_DELIVERY_TASK, batchSize: 500, idleMs: 1_000, run: (limit, now) => deliverCampaigns(ctx, limit, now) };
}
