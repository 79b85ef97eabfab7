import type { ScenarioTemplate } from './types.js';

/**
 * Loyalty management: on each order, inspects the customer's RFM scores (top monetary quintiles), the
 * order's details and the loyalty balance, and rewards or nudges accordingly.
 */
export const loyaltyManagement: ScenarioTemplate = {
  key: 'loyalty_management',
  name: 'Customer loyalty management',
  description:
    'After every order: customers in the top two RFM monetary scores get 500 bonus points and a VIP thank-you; a large order (10,000 or more, minor units) earns 200 points; a member with 1,000 points or more is reminded to spend them; everyone else gets a thank-you.',
  settings: { reentry: 'new_instance', max_active_per_profile: 3 },
  nodes: [
    { id: 'order', type: 'trigger.event', config: { event: 'order_placed' }, next: 'top_spender' },
    {
      id: 'top_spender',
      type: 'condition',
      config: { conditions: { rfm: { m: [4, 5] } } },
      branches: { yes: 'vip_points', no: 'big_order' },
    },
    {
      id: 'vip_points',
      type: 'loyalty_points',
      config: { program_id: 'program:main', action: 'accrue', points: 500, expires_in: 'P1Y' },
      next: 'vip_thanks',
      branches: { failed: 'thanks' },
    },
    { id: 'vip_thanks', type: 'send', config: { channel: 'email', template_id: 'tpl:vip_thanks', require_subscription: true } },
    {
      id: 'big_order',
      type: 'condition',
      config: { conditions: { field: 'data.total', op: 'gte', value: 10000 } },
      branches: { yes: 'order_points', no: 'rich_balance' },
    },
    {
      id: 'order_points',
      type: 'loyalty_points',
      config: { program_id: 'program:main', action: 'accrue', points: 200 },
      next: 'points_message',
      branches: { failed: 'thanks' },
    },
    { id: 'points_message', type: 'send', config: { channel: 'email', template_id: 'tpl:bonus_points', require_subscription: true } },
    {
      id: 'rich_balance',
      type: 'condition',
      config: { conditions: { field: 'loyalty.balance', op: 'gte', value: 1000 } },
      branches: { yes: 'spend_points', no: 'thanks' },
    },
    { id: 'spend_points', type: 'send', config: { channel: 'email', template_id: 'tpl:redeem_reminder', require_subscription: true } },
    { id: 'thanks', type: 'send', config: { channel: 'email', template_id: 'tpl:order_thanks', require_subscription: true } },
  ],
  sample_templates: [
    { key: 'vip_thanks', name: 'VIP thank-you', channel: 'email', subject: 'You are one of our best customers', body: '<p>500 bonus points are on your account.</p>' },
    { key: 'bonus_points', name: 'Bonus points', channel: 'email', subject: 'Points for your order', body: '<p>{{ data.loyalty_points }} points were added for your order.</p>' },
    { key: 'redeem_reminder', name: 'Spend your points', channel: 'email', subject: 'Your points are waiting', body: '<p>You have enough points for your next order.</p>' },
    { key: 'order_thanks', name: 'Thank you', channel: 'email', subject: 'Thank you for your order', body: '<p>We are preparing it now.</p>' },
  ],
};
