import type { ScenarioTemplate } from './types.js';

/**
 * Regular payment notification: starts three days before the date in `fields.payment_due_date` (at
 * 10:00 in the scenario's time zone; the due date is exact, not yearly), notifies by email, then SMS, then on the due day; a recorded payment
 * (the payment_recorded event) ends the instance at once, so no further notice goes out. A day after the
 * due date the payment status is checked and an overdue payment is handed to the manager.
 */
export const paymentNotification: ScenarioTemplate = {
  key: 'payment_notification',
  name: 'Regular payment notification',
  description:
    'Three days before the payment due date: an email; a day before: an SMS; on the day: a last email. A recorded payment ends the notices. A day after the due date, a payment still not marked paid gets an overdue notice and the manager is notified.',
  settings: { reentry: 'new_instance', timezone: 'Europe/Berlin', exit_on: [{ event: 'payment_recorded' }] },
  nodes: [
    { id: 'due_soon', type: 'trigger.field_date', config: { field: 'fields.payment_due_date', offset: '-P3D', time: '10:00', yearly: false }, next: 'notice_email' },
    { id: 'notice_email', type: 'send', config: { channel: 'email', template_id: 'tpl:payment_upcoming', require_subscription: false }, next: 'wait_2d' },
    { id: 'wait_2d', type: 'wait', config: { duration: 'P2D' }, next: 'notice_sms' },
    { id: 'notice_sms', type: 'send', config: { channel: 'sms', template_id: 'tpl:payment_reminder', require_subscription: false }, next: 'wait_due_day' },
    { id: 'wait_due_day', type: 'wait', config: { duration: 'P1D' }, next: 'notice_due' },
    { id: 'notice_due', type: 'send', config: { channel: 'email', template_id: 'tpl:payment_due_today', require_subscription: false }, next: 'wait_grace' },
    { id: 'wait_grace', type: 'wait', config: { duration: 'P1D' }, next: 'paid' },
    {
      id: 'paid',
      type: 'condition',
      config: { conditions: { field: 'fields.payment_status', op: 'eq', value: 'paid' } },
      branches: { yes: 'payment_made', no: 'overdue' },
    },
    { id: 'payment_made', type: 'goal', config: { name: 'payment_made' } },
    { id: 'overdue', type: 'send', config: { channel: 'email', template_id: 'tpl:payment_overdue', require_subscription: false }, next: 'manager' },
    { id: 'manager', type: 'webhook', config: { url: 'https://crm.example.com/overdue', method: 'POST' } },
  ],
  sample_templates: [
    { key: 'payment_upcoming', name: 'Payment due soon', channel: 'email', subject: 'Your payment is due on {{ profile.fields.payment_due_date }}', body: '<p>A friendly reminder of your upcoming payment.</p>' },
    { key: 'payment_reminder', name: 'Payment due tomorrow', channel: 'sms', body: 'Reminder: your payment is due tomorrow.' },
    { key: 'payment_due_today', name: 'Payment due today', channel: 'email', subject: 'Your payment is due today', body: '<p>Please make your payment today.</p>' },
    { key: 'payment_overdue', name: 'Payment overdue', channel: 'email', subject: 'Your payment is overdue', body: '<p>We have not received your payment yet.</p>' },
  ],
};
