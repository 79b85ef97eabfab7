import type { AppContext } from '../../context.js';
import { MESSAGE_DELIVERY_TASK, messaging } from '../messaging.js';
import type { WorkTask } from '../work-loop.js';

/** Delivers due messages (queued, deferred or waiting for a retry) on the shared work loop. */
export function messageDeliveryTask(ctx: AppContext): WorkTask {
  return {
    name: MESSAGE_DELIVERY_TASK,
    batchSize: 500,
    idleMs: 1_000,
    run: (limit, now) => messaging(ctx).deliverDue(limit, now),
  };
}
