import type { AppContext } from '../../context.js';
import { allowLargeSorts } from '../../store/db.js';
import { claimRfmRefresh, computeRfm, finishRfmRefresh } from '../../store/rfm.js';
import { segmentMembership } from '../segments.js';
import type { WorkTask } from '../work-loop.js';

/** RFM scores are recomputed this often by the work loop (and at once by `POST /segments/rfm/refresh`). */
export const RFM_REFRESH_EVERY_MS = 24 * 3_600_000;

export interface RfmRefreshResult {
  refreshed_at: string;
  /** Profiles with a score now. */
  scored: number;
  /** Profiles whose scores or figures changed, and profiles that lost their score. */
  changed: number;
  removed: number;
  /** Segments with `{rfm}` conditions re-synced, and who entered and left them. */
  segments: number;
  entered: number;
  exited: number;
}

/**
 * Recomputes the RFM scores (one transaction under the refresh row lock), then re-syncs every segment that
 * reads them, recording entries and exits. Null when a scheduled refresh is not due or another worker runs it.
 */
export async function refreshRfm(ctx: AppContext, onDemand: boolean): Promise<RfmRefreshResult | null> {
  const now = ctx.clock.now();
  const computed = await ctx.db.transaction().execute(async (tx) => {
    if (!(await claimRfmRefresh(tx, now, onDemand))) return null;
    await allowLargeSorts(tx);
    const c = await computeRfm(tx, now);
    await finishRfmRefresh(tx, now, c.scored, new Date(now.getTime() + RFM_REFRESH_EVERY_MS));
    return c;
  });
  if (!computed) return null;
  const seg = computed.changed || computed.removed ? await segmentMembership(ctx).resyncDependents('rfm') : { segments: 0, entered: 0, exited: 0 };
  return { refreshed_at: now.toISOString(), ...computed, ...seg };
}

/** The scheduled RFM refresh on the shared work loop: it looks every ten minutes whether one is due. */
export function rfmRefreshTask(ctx: AppContext): WorkTask {
  return {
    name: 'rfm-refresh',
    batchSize: 1,
    idleMs: 10 * 60_000,
    async run() {
      const r = await refreshRfm(ctx, false);
      if (r) ctx.log.info({ rfm: r }, 'RFM scores refreshed');
      return 0;
    },
  };
}
