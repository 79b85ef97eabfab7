import { Type } from 'typebox';
import { MESSAGE_STATUSES } from '../../store/messages.js';
import { PARSE_MODES, TEMPLATE_CHANNELS, TEMPLATE_FORMATS } from '../../domain/messaging/template.js';
import { JsonObject, PageQuery, ProfileRefSchema, Uuid } from './common.js';

const lit = <T extends readonly string[]>(values: T) => Type.Union(values.map((v) => Type.Literal(v)));
const Text = (max: number) => Type.String({ maxLength: max });
const Duration = Type.String({
  pattern: '^P(?!$)(\\d+Y)?(\\d+M)?(\\d+W)?(\\d+D)?(T(?=\\d)(\\d+H)?(\\d+M)?(\\d+(\\.\\d+)?S)?)?$',
  maxLength: 40,
  description: 'ISO 8601 duration, e.g. PT30S, P1D',
});

export const TemplateBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    channel: lit(TEMPLATE_CHANNELS),
    format: Type.Optional(lit(TEMPLATE_FORMATS)),
    subject: Type.Optional(Type.Union([Text(2000), Type.Null()])),
    preheader: Type.Optional(Type.Union([Text(2000), Type.Null()])),
    from: Type.Optional(Type.Union([Text(500), Type.Null()])),
    title: Type.Optional(Type.Union([Text(2000), Type.Null()])),
    url: Type.Optional(Type.Union([Text(4000), Type.Null()])),
    parse_mode: Type.Optional(Type.Union([lit(PARSE_MODES), Type.Null()])),
    body: Type.String({ maxLength: 1_000_000 }),
    transactional: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const RenderBody = Type.Object({ profile: ProfileRefSchema, data: Type.Optional(JsonObject) }, { additionalProperties: false });

export const TemplateListQuery = Type.Object({ ...PageQuery.properties, channel: Type.Optional(lit(TEMPLATE_CHANNELS)) });

export const CHANNEL_PROVIDERS = ['smtp', 'http', 'telegram_bot', 'outbox'] as const;

export const ChannelBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    type: lit(TEMPLATE_CHANNELS),
    provider: lit(CHANNEL_PROVIDERS),
    config: Type.Optional(JsonObject),
    default: Type.Optional(Type.Boolean({ description: 'Used for sends that name only the channel type (default true)' })),
  },
  { additionalProperties: false },
);

const Headers = Type.Record(Type.String({ minLength: 1, maxLength: 200 }), Type.String({ maxLength: 8000 }), { maxProperties: 50 });

export const SmtpConfigSchema = Type.Object(
  {
    host: Type.String({ minLength: 1, maxLength: 500 }),
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
    secure: Type.Boolean(),
    user: Type.Optional(Type.String({ maxLength: 500 })),
    pass: Type.Optional(Type.String({ maxLength: 2000 })),
    from: Type.String({ minLength: 3, maxLength: 500 }),
    tls_insecure: Type.Optional(Type.Boolean()),
    pool_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  },
  { additionalProperties: false },
);

export const HttpProviderConfigSchema = Type.Object(
  {
    url: Type.String({ format: 'uri', pattern: '^https?://', maxLength: 4000 }),
    method: Type.Optional(Type.Union([Type.Literal('POST'), Type.Literal('PUT')])),
    headers: Type.Optional(Headers),
    body_template: Type.Optional(Type.String({ maxLength: 100_000 })),
    timeout_ms: Type.Optional(Type.Integer({ minimum: 100, maximum: 120_000 })),
  },
  { additionalProperties: false },
);

export const TelegramConfigSchema = Type.Object(
  {
    token: Type.String({ minLength: 5, maxLength: 500 }),
    api_base: Type.Optional(Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2000 })),
    timeout_ms: Type.Optional(Type.Integer({ minimum: 100, maximum: 120_000 })),
  },
  { additionalProperties: false },
);

export const OutboxConfigSchema = Type.Object({}, { additionalProperties: false });

export const MessageListQuery = Type.Object({
    ...PageQuery.properties,
    profile: Type.Optional(Type.String({ minLength: 1, maxLength: 254, description: 'Profile id, email or phone' })),
    scenario_id: Type.Optional(Uuid),
    campaign_id: Type.Optional(Type.String({ maxLength: 200 })),
    status: Type.Optional(lit(MESSAGE_STATUSES)),
    channel: Type.Optional(lit(TEMPLATE_CHANNELS)),
    template_id: Type.Optional(Uuid),
});

export const SendBody = Type.Object(
  {
    profile: ProfileRefSchema,
    template_id: Uuid,
    channel: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Channel id or type; default: the template channel' })),
    data: Type.Optional(JsonObject),
    require_subscription: Type.Optional(Type.Boolean()),
    dedupe_key: Type.Optional(Type.String({ minLength: 1, maxLength: 300 })),
    campaign_id: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);

export const MessagingSettingsBody = Type.Object(
  {
    frequency_cap: Type.Optional(Type.Object({ max: Type.Integer({ minimum: 1, maximum: 10_000 }), per: Duration }, { additionalProperties: false })),
    quiet_hours: Type.Optional(
      Type.Object(
        {
          from: Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' }),
          to: Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' }),
          timezone: Type.Optional(Type.String({ maxLength: 100 })),
        },
        { additionalProperties: false },
      ),
    ),
    public_url: Type.Optional(Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2000 })),
    unsubscribe_landing_url: Type.Optional(Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2000 })),
    control_group_percent: Type.Optional(
      Type.Number({ minimum: 0, maximum: 50, multipleOf: 0.01, description: 'Global control group: this share of profiles (a stable hash share) gets no marketing campaign; reports compare against it' }),
    ),
    retry: Type.Optional(
      Type.Object({ max_attempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })), backoff: Type.Optional(Duration) }, { additionalProperties: false }),
    ),
    tracking: Type.Optional(
      Type.Object(
        {
          opens: Type.Optional(Type.Boolean({ description: 'Open pixel in HTML emails (default true)' })),
          clicks: Type.Optional(Type.Boolean({ description: 'Links of HTML emails rewritten to tracked redirects (default true; unsubscribe links never)' })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, description: 'The whole messaging settings; a rule left out is off' },
);

const EventNames = Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { minItems: 1, maxItems: 200, uniqueItems: true });

export const HttpHookTarget = Type.Object(
  {
    type: Type.Literal('http'),
    url: Type.String({ format: 'uri', pattern: '^https?://', maxLength: 4000 }),
    batch_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    headers: Type.Optional(Headers),
    flush_interval: Type.Optional(Duration),
    timeout: Type.Optional(Duration),
  },
  { additionalProperties: false },
);

export const RabbitHookTarget = Type.Object(
  {
    type: Type.Literal('rabbitmq'),
    url: Type.String({ pattern: '^amqps?://', maxLength: 4000 }),
    exchange: Type.String({ maxLength: 255 }),
    routing_key: Type.String({ maxLength: 255 }),
  },
  { additionalProperties: false },
);

export const HookBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    events: EventNames,
    target: Type.Union([HttpHookTarget, RabbitHookTarget]),
    active: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const DeliveryListQuery = Type.Object({
  status: Type.Optional(lit(['pending', 'delivered', 'failed'] as const)),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
});

export const TokenParams = Type.Object({ token: Type.String({ maxLength: 200 }) });
/** Click tokens carry the original address: longer than the others. */
export const TrackingTokenParams = Type.Object({ token: Type.String({ maxLength: 12_000 }) });

export const SubscriptionParams = Type.Object({ id: Uuid, channel: lit(['email', 'sms', 'push', 'telegram'] as const) });
export const SubscriptionBody = Type.Object(
  { status: lit(['subscribed', 'unsubscribed', 'pending', 'suppressed'] as const) },
  { additionalProperties: false },
);
