import type { ScenarioTemplate } from './types.js';

/**
 * Omnichannel reactivation (cascade): a weekly schedule picks the dynamic segment of customers who have
 * ignored mailings for a while; each gets an email, then an SMS only when the email was not opened, then a
 * push only when the SMS link was not clicked. A click also records the message's first open, so waiting
 * for message_opened of the email covers clicks too. Each wait matches the message this instance sent
 * (node and instance id carried by the tracking events). An order ends the cascade.
 */
const ofThisInstance = (node: string) => ({ 'properties.node_id': node, 'properties.instance_id': 'instance.id' });

export const reactivation: ScenarioTemplate = {
  key: 'reactivation',
  name: 'Omnichannel customer reactivation',
  description:
    'Every Monday at 10:00 the inactive segment enters. Email first; not opened in 3 days: SMS; not clicked in 3 days: push; no reaction to that either: the instance ends. Any reaction reaches the goal; an order ends the instance.',
  settings: { reentry: 'ignore', exit_on: [{ event: 'order_placed' }], goal: { event: 'order_placed', within: 'P30D' } },
  nodes: [
    { id: 'weekly', type: 'trigger.schedule', config: { cron: '0 10 * * 1', segment_id: 'segment:inactive' }, next: 'email' },
    { id: 'email', type: 'send', config: { channel: 'email', template_id: 'tpl:reactivation_email', require_subscription: true }, next: 'wait_email' },
    {
      id: 'wait_email',
      type: 'wait_event',
      config: { event: 'message_opened', match: ofThisInstance('email'), timeout: 'P3D' },
      branches: { received: 'reacted', timeout: 'sms' },
    },
    { id: 'sms', type: 'send', config: { channel: 'sms', template_id: 'tpl:reactivation_sms', require_subscription: true }, next: 'wait_sms' },
    {
      id: 'wait_sms',
      type: 'wait_event',
      config: { event: 'message_clicked', match: ofThisInstance('sms'), timeout: 'P3D' },
      branches: { received: 'reacted', timeout: 'push' },
    },
    { id: 'push', type: 'send', config: { channel: 'push', template_id: 'tpl:reactivation_push', require_subscription: true }, next: 'wait_push' },
    {
      id: 'wait_push',
      type: 'wait_event',
      config: { event: 'message_clicked', match: ofThisInstance('push'), timeout: 'P3D' },
      branches: { received: 'reacted', timeout: 'ignored' },
    },
    { id: 'reacted', type: 'goal', config: { name: 'reacted' } },
    { id: 'ignored', type: 'exit' },
  ],
  sample_templates: [
    { key: 'reactivation_email', name: 'We miss you (email)', channel: 'email', subject: 'It has been a while', body: '<p>See what is new since your last visit.</p>' },
    { key: 'reactivation_sms', name: 'We miss you (SMS)', channel: 'sms', body: 'It has been a while! New arrivals are waiting: https://shop.example.com' },
    { key: 'reactivation_push', name: 'We miss you (push)', channel: 'push', body: 'Come back and see what is new' },
  ],
};
