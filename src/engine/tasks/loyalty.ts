import type { AppContext } from '../../context.js';
import {
  burnDueLots,
  dueExpiryNotices,
  appendLedgerEvents,
  publishLedgerEvents,
  recomputeDueTiers,
  releaseDueAccruals,
  rollbackTimedOut,
  type LedgerEvent,
} from '../../store/loyalty.js';
import type { Tx } from '../../store/db.js';
import type { WorkTask } from '../work-loop.js';

type Step = (tx: Tx, limit: number, now: Date) => Promise<number | { handled: number; events: LedgerEvent[] }>;

/** One batch in its own transaction, with the events it produced; they are published after commit. */
function task(ctx: AppContext, name: string, step: Step, batchSize = 200, idleMs = 30_000): WorkTask {
  return {
    name,
    batchSize,
    idleMs,
    async run(limit, now) {
      const r = await ctx.db.transaction().execute(async (tx) => {
        const out = await step(tx, limit, now);
        if (typeof out === 'number') return { handled: out, stored: [] };
        return { handled: out.handled, stored: await appendLedgerEvents(tx, out.events, now) };
      });
      publishLedgerEvents(ctx, r.stored);
      return r.handled;
    },
  };
}

/** The loyalty due work: expired lots burn, expiry notices, accrual holds released, held transactions timed out, tiers. */
export function loyaltyTasks(ctx: AppContext): WorkTask[] {
  return [
    task(ctx, 'loyalty-expire-lots', burnDueLots, 100, 60_000),
    task(ctx, 'loyalty-expiry-notices', dueExpiryNotices, 500, 60_000),
    task(ctx, 'loyalty-release-accruals', releaseDueAccruals, 200, 60_000),
    task(ctx, 'loyalty-hold-timeouts', rollbackTimedOut, 200, 5_000),
    task(ctx, 'loyalty-tiers', recomputeDueTiers, 200, 30_000),
  ];
}
