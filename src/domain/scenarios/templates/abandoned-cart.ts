import type { ScenarioTemplate } from './types.js';

/**
 * Abandoned cart: started by the cart_updated event (or by the launch API with `data.cart_id`). Every
 * wait is for an order of this very cart (`match` ties order_placed's cart_id to the instance data).
 * Re-entry restarts: an updated cart starts the reminders over.
 */
const orderOfThisCart = { 'properties.cart_id': 'data.cart_id' };

export const abandonedCart: ScenarioTemplate = {
  key: 'abandoned_cart',
  name: 'Abandoned cart',
  description:
    'An hour after a cart is left without an order, a reminder; a day later, a promo code for the cart (or a last call when the pool is empty); after three more days without an order the instance ends. An order of the cart at any point ends the reminders.',
  settings: { reentry: 'restart', goal: { event: 'order_placed', within: 'P7D' } },
  nodes: [
    { id: 'cart_updated', type: 'trigger.event', config: { event: 'cart_updated' }, next: 'wait_order' },
    { id: 'api', type: 'trigger.api', next: 'wait_order' },
    {
      id: 'wait_order',
      type: 'wait_event',
      config: { event: 'order_placed', match: orderOfThisCart, timeout: 'PT1H' },
      branches: { received: 'bought', timeout: 'reminder' },
    },
    { id: 'bought', type: 'exit' },
    { id: 'reminder', type: 'send', config: { channel: 'email', template_id: 'tpl:cart_reminder', require_subscription: true }, next: 'wait_after_reminder' },
    {
      id: 'wait_after_reminder',
      type: 'wait_event',
      config: { event: 'order_placed', match: orderOfThisCart, timeout: 'P1D' },
      branches: { received: 'recovered', timeout: 'discount' },
    },
    { id: 'discount', type: 'promo_code', config: { pool_id: 'pool:cart_discount' }, next: 'send_code', branches: { failed: 'last_call' } },
    { id: 'send_code', type: 'send', config: { channel: 'email', template_id: 'tpl:cart_code', require_subscription: true }, next: 'wait_after_code' },
    { id: 'last_call', type: 'send', config: { channel: 'email', template_id: 'tpl:cart_last_call', require_subscription: true } },
    {
      id: 'wait_after_code',
      type: 'wait_event',
      config: { event: 'order_placed', match: orderOfThisCart, timeout: 'P3D' },
      branches: { received: 'recovered', timeout: 'lost' },
    },
    { id: 'recovered', type: 'goal', config: { name: 'cart_recovered' } },
    { id: 'lost', type: 'exit' },
  ],
  sample_templates: [
    { key: 'cart_reminder', name: 'You left something behind', channel: 'email', subject: 'Your cart is waiting', body: '<p>The items in your cart are still there.</p>' },
    { key: 'cart_code', name: 'A discount for your cart', channel: 'email', subject: 'A little something to help you decide', body: '<p>Use <b>{{ data.promo_code }}</b> on your cart.</p>' },
    { key: 'cart_last_call', name: 'Last call', channel: 'email', subject: 'Last chance for your cart', body: '<p>We cannot hold your items much longer.</p>' },
  ],
};
