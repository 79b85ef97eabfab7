import type { AppContext } from '../../context.js';
import { HOOK_DELIVERY_TASK, hooks } from '../hooks.js';
import type { WorkTask } from '../work-loop.js';

/** Sends queued action hook deliveries; also subscribes the hooks to new events on the bus. */
export function hookDeliveryTask(ctx: AppContext): WorkTask {
  hooks(ctx).start();
  return {
    name: HOOK_DELIVERY_TASK,
    batchSize: 1000,
    idleMs: 1_000,
    run: (limit, now) => hooks(ctx).deliverDue(limit, now),
  };
}
