import type { AppContext } from '../../context.js';
import { claimRecipients, recordOutcomes, type ClaimCursor, type ClaimedRecipient, type RecipientOutcome } from '../../store/campaign-recipients.js';
import type { Tx } from '../../store/db.js';
import { deliverableRuns, getCampaign, recipientsDone, returnThrottle, takeThrottle } from '../../store/campaigns.js';
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
export async function deliverCampaigns(ctx: AppContext, limit: number, now: Date, cursors = new Map<string, ClaimCursor>()): Promise<number> {
  const runs = await deliverableRuns(ctx.db);
  for (const id of cursors.keys()) if (!runs.some((r) => r.id === id)) cursors.delete(id);
  let handled = 0;
  for (const run of runs) {
    if (handled >= limit) break;
    handled += await ctx.db.transaction().execute(async (tx) => {
      const campaign = await getCampaign(tx, run.campaign_id);
      if (!campaign || campaign.status !== 'running') return 0;
      const want = limit - handled;
      const allowed = run.throttle_per_minute ? await takeThrottle(tx, run.id, run.throttle_per_minute, want, now) : want;
      const claimed = await claimFrom(tx, run.id, allowed, cursors);
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
      // last, so that the run's row lock is held only until the commit
      await recipientsDone(tx, run.id, await recordOutcomes(tx, run.id, outcomes, now));
      return claimed.length;
    });
  }
  return handled;
}

/**
 * Claims after this worker's previous claim in the run; from the start when nothing lies ahead (rows another
 * worker held and gave back, rows that fell due or were released to the winner meanwhile).
 */
async function claimFrom(tx: Tx, runId: string, limit: number, cursors: Map<string, ClaimCursor>): Promise<ClaimedRecipient[]> {
  const after = cursors.get(runId) ?? null;
  let claimed = await claimRecipients(tx, runId, limit, after);
  if (!claimed.length && after) claimed = await claimRecipients(tx, runId, limit, null);
  if (claimed.length) {
    const last = claimed[claimed.length - 1];
    cursors.set(runId, { profile_id: last.profile_id, seq: last.seq });
  } else cursors.delete(runId);
  return claimed;
}

export function campaignDeliveryTask(ctx: AppContext): WorkTask {
  const cursors = new Map<string, ClaimCursor>();
  return { name: CAMPAIGN_DELIVERY_TASK, batchSize: 1000, idleMs: 1_000, run: (limit, now) => deliverCampaigns(ctx, limit, now, cursors) };
}
