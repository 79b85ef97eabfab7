import { LazyDrop } from '../domain/messaging/template.js';
import type { Tx } from '../store/db.js';
import { getPoolByTemplateName, profileCode } from '../store/promo.js';
import { registerContextProvider, type ContextInput } from './messaging.js';
import { promo, type IssueVia } from './promo.js';

/**
 * `{{ promo.<template_name> }}` in a message: the profile's code of that pool, issued on first read through
 * the promo module (generated when the pool allows it for the sender: scenario or campaign). A preview issues
 * nothing: it shows the profile's code if it has one, else the pool's code template. A code that cannot be
 * issued fails the render, so the message is recorded as failed with the reason, never sent with a blank code.
 */
export function registerPromoContext(): void {
  registerContextProvider({
    name: 'promo',
    async: true,
    provide: (input: ContextInput) =>
      new LazyDrop(async (templateName: string) => {
        const pool = await getPoolByTemplateName(input.tx, templateName);
        if (!pool) return '';
        if (input.preview) {
          const held = await profileCode(input.tx, pool.id, input.profile.id, input.now);
          return held?.code ?? (pool.generator as { template?: string } | null)?.template ?? '';
        }
        const via: IssueVia = input.origin?.scenario_id ? 'scenario' : input.origin?.campaign_id ? 'campaign' : 'api';
        const issued = await promo.issueCode(input.tx as Tx, pool.id, input.profile.id, input.now, via);
        return issued.code;
      }),
  });
}
