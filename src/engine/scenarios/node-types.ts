/** What the admin editor needs about each node type: its config fields, branch labels, whether it starts a scenario. */
export interface NodeTypeInfo {
  type: string;
  start: boolean;
  label: string;
  config: { name: string; type: string; required: boolean; description?: string }[];
  /** Fixed branch labels; `split` takes its labels from its variants. */
  branches: string[];
  /** Continues through `next` (besides or instead of branches). */
  next: boolean;
}

const f = (name: string, type: string, required = true, description?: string) => ({ name, type, required, ...(description ? { description } : {}) });

export const NODE_TYPES: NodeTypeInfo[] = [
  { type: 'trigger.event', start: true, label: 'On event', config: [f('event', 'event name'), f('where', 'property filters', false)], branches: [], next: true },
  { type: 'trigger.api', start: true, label: 'Launched through the API', config: [], branches: [], next: true },
  { type: 'trigger.date', start: true, label: 'On date', config: [f('at', 'date-time'), f('segment_id', 'segment')], branches: [], next: true },
  { type: 'trigger.schedule', start: true, label: 'On schedule', config: [f('cron', 'cron'), f('segment_id', 'segment'), f('timezone', 'time zone', false)], branches: [], next: true },
  { type: 'trigger.segment_entry', start: true, label: 'On entering a segment', config: [f('segment_id', 'segment')], branches: [], next: true },
  {
    type: 'trigger.field_date',
    start: true,
    label: 'On a date in the profile',
    config: [f('field', 'profile field'), f('offset', 'duration', false, 'e.g. -P3D: three days before'), f('time', 'time of day', false, 'HH:MM in the profile time zone'), f('yearly', 'boolean', false, 'default true (birthdays)')],
    branches: [],
    next: true,
  },
  { type: 'send', start: false, label: 'Send a message', config: [f('channel', 'channel', false), f('template_id', 'template'), f('require_subscription', 'boolean', false)], branches: [], next: true },
  { type: 'wait', start: false, label: 'Wait', config: [f('duration', 'duration', false), f('until_time', 'time of day', false)], branches: [], next: true },
  {
    type: 'wait_event',
    start: false,
    label: 'Wait for an event',
    config: [f('event', 'event name'), f('where', 'property filters', false), f('match', 'event path → data path', false), f('timeout', 'duration')],
    branches: ['received', 'timeout'],
    next: false,
  },
  { type: 'condition', start: false, label: 'Condition', config: [f('conditions', 'condition tree (segments + data.*, loyalty.*, order.*)')], branches: ['yes', 'no'], next: false },
  { type: 'split', start: false, label: 'Split (A/B)', config: [f('variants', '[{label, weight}]')], branches: [], next: false },
  { type: 'promo_code', start: false, label: 'Issue a promo code', config: [f('pool_id', 'promo pool')], branches: ['failed'], next: true },
  {
    type: 'loyalty_points',
    start: false,
    label: 'Loyalty points',
    config: [f('program_id', 'loyalty program'), f('action', 'accrue|redeem'), f('points', 'integer', false), f('promotion_id', 'trigger promotion', false), f('expires_in', 'duration', false)],
    branches: ['failed'],
    next: true,
  },
  { type: 'update_profile', start: false, label: 'Update the profile', config: [f('set', 'fields to set')], branches: [], next: true },
  { type: 'webhook', start: false, label: 'Call a webhook', config: [f('url', 'url'), f('method', 'HTTP method', false), f('body', 'JSON', false), f('timeout', 'duration', false)], branches: ['failed'], next: true },
  { type: 'goal', start: false, label: 'Goal reached', config: [f('name', 'text', false)], branches: [], next: true },
  { type: 'exit', start: false, label: 'Exit', config: [], branches: [], next: false },
];
