import type { ScenarioTemplate } from './types.js';

/**
 * Welcome: reminds visitors who dropped the registration, greets those who finish it with a welcome
 * bonus and a promo code, and hands those who did not order within a week to the call centre (when a
 * phone is known) or reminds them by email.
 */
export const welcome: ScenarioTemplate = {
  key: 'welcome',
  name: 'Welcome',
  description:
    'Starts when a visitor begins registering. A dropped registration gets a reminder; a finished one gets a welcome email, welcome points and a promo code. Without an order in 7 days the profile is passed to the call centre (phone known) or reminded by email.',
  settings: { reentry: 'once', goal: { event: 'order_placed', within: 'P14D' } },
  nodes: [
    { id: 'start', type: 'trigger.event', config: { event: 'registration_started' }, next: 'wait_registration' },
    {
      id: 'wait_registration',
      type: 'wait_event',
      config: { event: 'registered', timeout: 'P1D' },
      branches: { received: 'welcome_email', timeout: 'finish_registration' },
    },
    { id: 'finish_registration', type: 'send', config: { channel: 'email', template_id: 'tpl:finish_registration', require_subscription: false } },
    { id: 'welcome_email', type: 'send', config: { channel: 'email', template_id: 'tpl:welcome', require_subscription: true }, next: 'welcome_points' },
    {
      id: 'welcome_points',
      type: 'loyalty_points',
      config: { program_id: 'program:main', action: 'accrue', points: 100, expires_in: 'P90D' },
      next: 'welcome_code',
      branches: { failed: 'welcome_code' },
    },
    { id: 'welcome_code', type: 'promo_code', config: { pool_id: 'pool:welcome' }, next: 'send_code', branches: { failed: 'wait_order' } },
    { id: 'send_code', type: 'send', config: { channel: 'email', template_id: 'tpl:welcome_code', require_subscription: true }, next: 'wait_order' },
    {
      id: 'wait_order',
      type: 'wait_event',
      config: { event: 'order_placed', timeout: 'P7D' },
      branches: { received: 'first_order', timeout: 'has_phone' },
    },
    { id: 'first_order', type: 'goal', config: { name: 'first_order' } },
    {
      id: 'has_phone',
      type: 'condition',
      config: { conditions: { field: 'phone', op: 'exists', value: true } },
      branches: { yes: 'call_centre', no: 'reminder' },
    },
    {
      id: 'call_centre',
      type: 'webhook',
      config: { url: 'https://crm.example.com/callbacks', method: 'POST', body: { reason: 'welcome-no-order' } },
    },
    { id: 'reminder', type: 'send', config: { channel: 'email', template_id: 'tpl:welcome_reminder', require_subscription: true } },
  ],
  sample_templates: [
    { key: 'finish_registration', name: 'Finish your registration', channel: 'email', subject: 'One step left', body: '<p>Hello! You are one click away from your account.</p>' },
    { key: 'welcome', name: 'Welcome', channel: 'email', subject: 'Welcome, {{ profile.fields.first_name | default: "friend" }}', body: '<p>Glad to have you with us.</p>' },
    { key: 'welcome_code', name: 'Your welcome code', channel: 'email', subject: 'A gift for your first order', body: '<p>Use <b>{{ data.promo_code }}</b> at checkout.</p>' },
    { key: 'welcome_reminder', name: 'Still looking?', channel: 'email', subject: 'Your welcome gift is waiting', body: '<p>Your first order is still on us.</p>' },
  ],
};
