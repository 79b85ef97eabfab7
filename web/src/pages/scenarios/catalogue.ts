/**
 * The node types of the scenario editor: palette group, label and the config schema the form is drawn
 * from. The server's own schemas (GET /scenario-node-types) replace these when it serves them; these are
 * the types of the API contract, written in the same JSON-schema shape.
 */
export interface PropSchema {
  type?: 'string' | 'integer' | 'number' | 'boolean' | 'object' | 'array';
  title?: string;
  description?: string;
  enum?: (string | number)[];
  default?: unknown;
  /** How the field is edited: a picker of segments / templates / pools / programs, a duration, JSON, … */
  format?: 'segment' | 'template' | 'pool' | 'program' | 'promotion' | 'duration' | 'date-time' | 'time' | 'cron' | 'json' | 'conditions' | 'variants' | 'event';
}

export interface NodeSchema {
  type?: 'object';
  properties?: Record<string, PropSchema>;
  required?: string[];
}

export type Group = 'Triggers' | 'Operators' | 'Channels' | 'Actions';
export const GROUPS: Group[] = ['Triggers', 'Operators', 'Channels', 'Actions'];

export interface NodeType {
  type: string;
  group: Group;
  label: string;
  description?: string;
  schema: NodeSchema;
  /** Fixed branch labels (`yes`/`no`); `variants` for split, whose labels are its variants. */
  branches?: string[] | 'variants';
  /** Branches a step may have next to `next` (`failed`: taken when its request fails; without it the instance fails). */
  optionalBranches?: string[];
  /** No step follows (exit). */
  terminal?: boolean;
  icon: string;
}

/** A palette entry: a node type with config preset (Email is `send` with channel email). */
export interface PaletteItem {
  key: string;
  label: string;
  type: string;
  group: Group;
  preset?: Record<string, unknown>;
  icon: string;
}

const s = (title: string, extra: Partial<PropSchema> = {}): PropSchema => ({ type: 'string', title, ...extra });
const where = { type: 'object' as const, title: 'Properties filter', format: 'json' as const, description: '{"category": "shoes", "total": {"gte": 100}}' };

export const BUILT_IN: NodeType[] = [
  { type: 'trigger.event', group: 'Triggers', label: 'On event', icon: 'bolt', schema: { properties: { event: s('Event', { format: 'event' }), where }, required: ['event'] } },
  { type: 'trigger.api', group: 'Triggers', label: 'On API launch', icon: 'send', schema: { properties: {} } },
  { type: 'trigger.date', group: 'Triggers', label: 'On date', icon: 'clock', schema: { properties: { at: s('Launch at', { format: 'date-time' }), segment_id: s('Segment', { format: 'segment' }) }, required: ['at', 'segment_id'] } },
  { type: 'trigger.schedule', group: 'Triggers', label: 'On schedule', icon: 'clock', schema: { properties: { cron: s('Cron', { format: 'cron', description: '0 10 * * 1 = Mondays at 10:00' }), segment_id: s('Segment', { format: 'segment' }) }, required: ['cron', 'segment_id'] } },
  { type: 'trigger.segment_entry', group: 'Triggers', label: 'On segment entry', icon: 'filter', schema: { properties: { segment_id: s('Segment', { format: 'segment' }) }, required: ['segment_id'] } },
  {
    type: 'trigger.field_date',
    group: 'Triggers',
    label: 'On a profile date',
    icon: 'clock',
    schema: { properties: { field: s('Date field', { description: 'fields.birthday' }), offset: s('Offset', { description: '-P3D = three days before' }), time: s('At time', { format: 'time' }) }, required: ['field'] },
  },
  { type: 'wait', group: 'Operators', label: 'Wait', icon: 'clock', schema: { properties: { duration: s('For', { format: 'duration' }), until_time: s('Or until time of day', { format: 'time' }) } } },
  {
    type: 'wait_event',
    group: 'Operators',
    label: 'Wait for event',
    icon: 'bolt',
    branches: ['received', 'timeout'],
    schema: {
      properties: {
        event: s('Event', { format: 'event' }),
        where,
        match: { type: 'object', title: 'Match launch data', format: 'json', description: '{"properties.cart_id": "data.cart_id"}' },
        timeout: s('Timeout', { format: 'duration' }),
      },
      required: ['event', 'timeout'],
    },
  },
  { type: 'condition', group: 'Operators', label: 'Condition', icon: 'filter', branches: ['yes', 'no'], schema: { properties: { conditions: { type: 'object', title: 'Conditions', format: 'conditions' } }, required: ['conditions'] } },
  { type: 'split', group: 'Operators', label: 'A/B split', icon: 'flow', branches: 'variants', schema: { properties: { variants: { type: 'array', title: 'Variants', format: 'variants' } }, required: ['variants'] } },
  { type: 'goal', group: 'Operators', label: 'Goal', icon: 'star', schema: { properties: { name: s('Goal name') }, required: ['name'] } },
  { type: 'exit', group: 'Operators', label: 'Exit', icon: 'logout', terminal: true, schema: { properties: {} } },
  {
    type: 'send',
    group: 'Channels',
    label: 'Send message',
    icon: 'send',
    schema: {
      properties: {
        channel: s('Channel', { enum: ['email', 'sms', 'push', 'telegram', 'webhook'] }),
        template_id: s('Content', { format: 'template' }),
        require_subscription: { type: 'boolean', title: 'Only to customers who consented (subscribed)', default: true },
      },
      required: ['channel', 'template_id'],
    },
  },
  { type: 'promo_code', group: 'Actions', label: 'Issue promo code', icon: 'ticket', optionalBranches: ['failed'], schema: { properties: { pool_id: s('Pool', { format: 'pool' }) }, required: ['pool_id'] } },
  {
    type: 'loyalty_points',
    group: 'Actions',
    label: 'Loyalty points',
    icon: 'star',
    optionalBranches: ['failed'],
    schema: {
      properties: {
        program_id: s('Program', { format: 'program' }),
        action: s('Action', { enum: ['accrue', 'redeem'] }),
        points: { type: 'integer', title: 'Points' },
        promotion_id: s('Trigger promotion', { format: 'promotion' }),
        expires_in: s('Points expire in', { format: 'duration' }),
      },
      required: ['program_id', 'action', 'points'],
    },
  },
  { type: 'update_profile', group: 'Actions', label: 'Update profile', icon: 'users', schema: { properties: { set: { type: 'object', title: 'Set fields', format: 'json', description: '{"fields.vip": true}' } }, required: ['set'] } },
  {
    type: 'webhook',
    group: 'Actions',
    label: 'Webhook',
    icon: 'hook',
    optionalBranches: ['failed'],
    schema: { properties: { url: s('URL'), method: s('Method', { enum: ['POST', 'PUT', 'GET'] }), body: s('Body (Liquid)', { description: '{"profile": "{{ profile.id }}"}' }) }, required: ['url'] },
  },
];

/** The palette: every type, with the message channels as their own entries like the product shows them. */
export function paletteOf(types: NodeType[]): PaletteItem[] {
  const out: PaletteItem[] = [];
  for (const t of types) {
    if (t.type === 'send')
      for (const [channel, label] of [
        ['email', 'Email'],
        ['sms', 'SMS'],
        ['push', 'Push'],
        ['telegram', 'Telegram'],
      ] as const)
        out.push({ key: `send.${channel}`, label, type: 'send', group: 'Channels', preset: { channel, require_subscription: true }, icon: 'send' });
    else out.push({ key: t.type, label: t.label, type: t.type, group: t.group, icon: t.icon });
  }
  return out;
}

/** One node type as GET /scenario-node-types describes it. */
interface ServerNodeType {
  type: string;
  start?: boolean;
  label?: string;
  description?: string;
  group?: Group;
  /** `[{name, type, required, description?}]`: the config fields. */
  config?: { name: string; type?: string; required?: boolean; description?: string }[];
  schema?: NodeSchema;
  config_schema?: NodeSchema;
  /** Fixed branch labels (with `next` true: branches taken besides next, such as `failed`). */
  branches?: string[] | 'variants';
  /** Continues through `next`. */
  next?: boolean;
  terminal?: boolean;
}

/** How a type's outputs look: `next` only, fixed branches, next plus optional branches, variants, or none. */
function outputsShape(raw: ServerNodeType, base: NodeType | undefined): Pick<NodeType, 'branches' | 'optionalBranches' | 'terminal'> {
  if (typeof raw.next !== 'boolean') return { branches: raw.branches ?? base?.branches, optionalBranches: base?.optionalBranches, terminal: raw.terminal ?? base?.terminal };
  const labels = Array.isArray(raw.branches) ? raw.branches : [];
  if (raw.branches === 'variants' || base?.branches === 'variants') return { branches: 'variants' };
  if (raw.next) return labels.length ? { optionalBranches: labels } : {};
  return labels.length ? { branches: labels } : { terminal: true };
}

/** A form schema from the server's config field list, for a type the editor has no schema of its own for. */
function schemaOf(raw: ServerNodeType): NodeSchema {
  if (raw.schema) return raw.schema;
  if (raw.config_schema) return raw.config_schema;
  const fields = raw.config ?? [];
  return {
    properties: Object.fromEntries(fields.map((f) => [f.name, { type: f.type === 'boolean' ? 'boolean' : f.type === 'integer' ? 'integer' : 'string', title: f.name, ...(f.description ? { description: f.description } : {}) } as PropSchema])),
    required: fields.filter((f) => f.required).map((f) => f.name),
  };
}

/**
 * The server's node types over the built-in ones (`{items: [...]}` or an array): the server says which
 * types exist, their labels and their outputs; the built-in schemas keep their richer pickers.
 */
export function mergeServerTypes(server: unknown): NodeType[] {
  const list = Array.isArray(server) ? server : server && typeof server === 'object' && Array.isArray((server as { items?: unknown }).items) ? (server as { items: unknown[] }).items : [];
  const byType = new Map(BUILT_IN.map((t) => [t.type, t]));
  for (const raw of list as ServerNodeType[]) {
    if (!raw || typeof raw.type !== 'string') continue;
    const base = byType.get(raw.type);
    const starts = raw.start ?? raw.type.startsWith('trigger.');
    const group = (raw.group && GROUPS.includes(raw.group) ? raw.group : base?.group) ?? (starts ? 'Triggers' : 'Actions');
    byType.set(raw.type, {
      type: raw.type,
      group,
      label: raw.label ?? base?.label ?? raw.type,
      description: raw.description ?? base?.description,
      schema: base && !raw.schema && !raw.config_schema ? base.schema : schemaOf(raw),
      ...outputsShape(raw, base),
      icon: base?.icon ?? 'flow',
    });
  }
  return [...byType.values()];
}

export const isTrigger = (type: string) => type.startsWith('trigger.');
