import type { ScenarioTemplate } from './types.js';

/**
 * On-boarding to the first purchase: starts when a customer clicks a mailing about a new product line,
 * reminds those who do not come to the store, and offers a limited-stock (tripwire) code to those who
 * look at the store and leave without buying.
 */
export const firstPurchase: ScenarioTemplate = {
  key: 'first_purchase',
  name: 'On-boarding: first purchase',
  description:
    'Starts on a click in the new-collection mailing. No store visit in 3 days: a reminder, then one more chance. A visit without an order within a day: a limited-stock promo code. An order reaches the goal.',
  settings: { reentry: 'ignore', goal: { event: 'order_placed', within: 'P14D' } },
  nodes: [
    { id: 'start', type: 'trigger.event', config: { event: 'message_clicked', where: { campaign_tag: 'new_collection' } }, next: 'wait_visit' },
    {
      id: 'wait_visit',
      type: 'wait_event',
      config: { event: 'page_viewed', timeout: 'P3D' },
      branches: { received: 'wait_order', timeout: 'nudge' },
    },
    { id: 'nudge', type: 'send', config: { channel: 'email', template_id: 'tpl:new_line_reminder', require_subscription: true }, next: 'wait_visit_again' },
    {
      id: 'wait_visit_again',
      type: 'wait_event',
      config: { event: 'page_viewed', timeout: 'P3D' },
      branches: { received: 'wait_order', timeout: 'cold' },
    },
    {
      id: 'wait_order',
      type: 'wait_event',
      config: { event: 'order_placed', timeout: 'P1D' },
      branches: { received: 'first_purchase', timeout: 'tripwire_code' },
    },
    { id: 'tripwire_code', type: 'promo_code', config: { pool_id: 'pool:tripwire' }, next: 'send_tripwire', branches: { failed: 'cold' } },
    { id: 'send_tripwire', type: 'send', config: { channel: 'email', template_id: 'tpl:tripwire_offer', require_subscription: true }, next: 'wait_order_code' },
    {
      id: 'wait_order_code',
      type: 'wait_event',
      config: { event: 'order_placed', timeout: 'P3D' },
      branches: { received: 'first_purchase', timeout: 'cold' },
    },
    { id: 'first_purchase', type: 'goal', config: { name: 'first_purchase' } },
    { id: 'cold', type: 'exit' },
  ],
  sample_templates: [
    { key: 'new_line_reminder', name: 'New collection reminder', channel: 'email', subject: 'Have you seen it yet?', body: '<p>The new collection is in the store now.</p>' },
    { key: 'tripwire_offer', name: 'Limited offer', channel: 'email', subject: 'Only a few left', body: '<p>Your code <b>{{ data.promo_code }}</b> works while stock lasts.</p>' },
  ],
};
