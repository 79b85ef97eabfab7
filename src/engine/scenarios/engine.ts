import type { AppContext } from '../../context.js';
import { scenarioEventsTask } from './events.js';
import { scenarioRegistry } from './registry.js';
import { scenarioStepTask } from './runtime.js';
import { scenarioTriggersTask } from './triggers.js';
import { scenarioWebhookTask } from './webhook.js';

/** The scenario runtime of one process: its tasks on the shared work loop and the registry of running scenarios. */
export function scenarioEngine(ctx: AppContext) {
  return {
    async start() {
      await scenarioRegistry(ctx).start();
      ctx.work.add(scenarioStepTask(ctx));
      ctx.work.add(scenarioWebhookTask(ctx));
      ctx.work.add(scenarioEventsTask(ctx));
      ctx.work.add(scenarioTriggersTask(ctx));
    },
    async stop() {
      await scenarioRegistry(ctx).stop();
    },
  };
}
