import { Type, type TSchema } from 'typebox';
import { CAMPAIGN_KINDS, CAMPAIGN_STATUSES, MAX_CONTROL_PERCENT, MAX_VARIANTS } from '../../domain/campaigns/campaign.js';
import { WINNER_METRICS } from '../../domain/campaigns/winner.js';
import { MAX_TRIGGER_BATCH } from '../../engine/campaigns/trigger.js';
import { DateTime, JsonObject, PageQuery, ProfileRefSchema, Uuid } from './common.js';

const lit = <T extends readonly string[]>(values: T) => Type.Union(values.map((v) => Type.Literal(v)));
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Duration = (example: string) =>
  Type.String({
    pattern: '^P(?!$)(\\d+Y)?(\\d+M)?(\\d+W)?(\\d+D)?(T(?=\\d)(\\d+H)?(\\d+M)?(\\d+(\\.\\d+)?S)?)?$',
    maxLength: 40,
    description: `ISO 8601 duration, e.g. ${example}`,
  });
const Percent = (max: number, description: string) => Type.Number({ minimum: 0, maximum: max, multipleOf: 0.01, description });

export const Variant = Type.Object(
  { template_id: Uuid, weight: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 1, description: 'Relative share of the audience (default 1)' })) },
  { additionalProperties: false },
);

export const AudienceSchema = Type.Object(
  {
    segment_ids: Type.Array(Uuid, { minItems: 1, maxItems: 50, uniqueItems: true, description: 'Profiles in any of these segments…' }),
    exclude_segment_ids: Type.Optional(Type.Array(Uuid, { maxItems: 50, uniqueItems: true, description: '…and in none of these' })),
  },
  { additionalProperties: false },
);

export const ScheduleSchema = Type.Union(
  [
    Type.Object({ at: DateTime }, { additionalProperties: false, description: 'A broadcast: when to send' }),
    Type.Object(
      { cron: Type.String({ minLength: 1, maxLength: 100, description: 'Five fields, e.g. "0 10 * * 1" (Mondays at 10:00)' }), timezone: Type.String({ minLength: 1, maxLength: 100 }) },
      { additionalProperties: false, description: 'A regular campaign: each cron time starts a run with its own audience snapshot' },
    ),
  ],
  { description: '{at} for a broadcast (without it, the broadcast goes at start), {cron, timezone} for a regular campaign' },
);

export const WinnerSelectionSchema = Type.Object(
  {
    test_percent: Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 100, multipleOf: 0.01, description: 'Share of the audience that gets the variants first' }),
    metric: lit(WINNER_METRICS),
    window: Duration('PT4H'),
  },
  { additionalProperties: false, description: 'Test then winner: after the window, the best variant by the metric goes to the rest' },
);

export const GoalSchema = Type.Object(
  { event: Type.String({ minLength: 1, maxLength: 200 }), within: Duration('P7D') },
  { additionalProperties: false, description: 'Success: the event within this time of the send; reports compare sent and control groups' },
);

const definitionFields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  kind: lit(CAMPAIGN_KINDS),
  channel: Type.String({ minLength: 1, maxLength: 100, description: 'A channel type (email, sms, push, telegram, webhook) or a channel id' }),
  template_id: Type.Optional(Uuid),
  variants: Type.Optional(Type.Array(Variant, { minItems: 1, maxItems: MAX_VARIANTS, description: 'Multivariate: each profile gets one, split by weight' })),
  audience: Type.Optional(AudienceSchema),
  schedule: Type.Optional(Nullable(ScheduleSchema)),
  send_in_profile_timezone: Type.Optional(Type.Boolean({ description: "A broadcast with schedule.at goes at that wall-clock time in each profile's time zone (field timezone)" })),
  control_percent: Type.Optional(Percent(MAX_CONTROL_PERCENT, 'Share of the audience held out as this campaign’s control group')),
  throttle: Type.Optional(Nullable(Type.Object({ per_minute: Type.Integer({ minimum: 1, maximum: 10_000_000 }) }, { additionalProperties: false }))),
  winner_selection: Type.Optional(Nullable(WinnerSelectionSchema)),
  goal: Type.Optional(Nullable(GoalSchema)),
  data: Type.Optional(JsonObject),
};

export const CampaignCreateBody = Type.Object(definitionFields, {
  additionalProperties: false,
  description: 'One of template_id or variants',
});

export const CampaignPatchBody = Type.Partial(Type.Object(definitionFields), {
  additionalProperties: false,
  minProperties: 1,
  description: 'Fields to change on a draft; the rest stays (null clears an optional setting)',
});

export const CampaignView = Type.Object({
  id: Uuid,
  name: Type.String(),
  kind: lit(CAMPAIGN_KINDS),
  status: lit(CAMPAIGN_STATUSES),
  channel: Type.String(),
  template_id: Nullable(Uuid),
  variants: Type.Array(Type.Object({ template_id: Uuid, weight: Type.Integer() })),
  audience: Nullable(AudienceSchema),
  schedule: Nullable(ScheduleSchema),
  send_in_profile_timezone: Type.Boolean(),
  control_percent: Type.Number(),
  throttle: Nullable(Type.Object({ per_minute: Type.Integer() })),
  winner_selection: Nullable(WinnerSelectionSchema),
  goal: Nullable(GoalSchema),
  data: JsonObject,
  next_run_at: Nullable(DateTime),
  started_at: Nullable(DateTime),
  completed_at: Nullable(DateTime),
  created_at: DateTime,
  updated_at: DateTime,
});

export const CampaignListQuery = Type.Object({
  ...PageQuery.properties,
  status: Type.Optional(lit(CAMPAIGN_STATUSES)),
  kind: Type.Optional(lit(CAMPAIGN_KINDS)),
});

export const CampaignActionParams = Type.Object({ id: Uuid, action: lit(['start', 'pause', 'resume', 'cancel'] as const) });

const Counts = {
  pending: Type.Integer(),
  queued: Type.Integer(),
  deferred: Type.Integer(),
  sent: Type.Integer(),
  failed: Type.Integer(),
};
const Conversion = Type.Object({ profiles: Type.Integer(), converted: Type.Integer(), rate: Type.Number() });

export const CampaignStatsQuery = Type.Object({ run_id: Type.Optional(Uuid) });

export const CampaignStatsView = Type.Object({
  campaign_id: Uuid,
  status: lit(CAMPAIGN_STATUSES),
  runs: Type.Integer(),
  audience: Type.Integer({ description: 'Everyone the snapshots (or API sends) took in, control groups included' }),
  control_group: Type.Integer(),
  global_control_group: Type.Integer(),
  ...Counts,
  held_for_winner: Type.Integer(),
  skipped: Type.Object({ total: Type.Integer(), by_reason: Type.Record(Type.String(), Type.Integer()) }),
  canceled: Type.Integer(),
  variants: Type.Array(
    Type.Object({ variant: Type.Integer(), template_id: Uuid, weight: Type.Integer(), recipients: Type.Integer(), ...Counts, skipped: Type.Integer(), winner: Type.Boolean() }),
  ),
  winner: Nullable(Type.Object({ run_id: Uuid, variant: Nullable(Type.Integer()), due_at: Nullable(DateTime), results: Nullable(Type.Array(JsonObject)) })),
  conversions: Nullable(Type.Object({ event: Type.String(), within: Type.String(), sent: Conversion, control: Conversion, global_control: Conversion })),
});

export const RunView = Type.Object({
  id: Uuid,
  scheduled_for: DateTime,
  status: Type.String(),
  audience: Type.Integer(),
  snapshot_ms: Nullable(Type.Integer()),
  winner_due_at: Nullable(DateTime),
  winner_variant: Nullable(Type.Integer()),
  started_at: DateTime,
  completed_at: Nullable(DateTime),
});

export const RecipientListQuery = Type.Object({
  ...PageQuery.properties,
  run_id: Type.Optional(Uuid),
  status: Type.Optional(lit(['pending', 'scheduled', 'held', 'sent', 'skipped', 'control', 'canceled'] as const)),
  group: Type.Optional(lit(['all', 'test', 'rest', 'control', 'global_control'] as const)),
  profile: Type.Optional(Uuid),
});

export const RecipientView = Type.Object({
  run_id: Uuid,
  profile_id: Uuid,
  group: Type.String(),
  variant: Nullable(Type.Integer()),
  status: Type.String(),
  reason: Nullable(Type.String()),
  message_id: Nullable(Uuid),
  deferred: Type.Boolean(),
  due_at: Nullable(DateTime),
  done_at: Nullable(DateTime),
});

const SendItem = Type.Object(
  {
    profile: ProfileRefSchema,
    data: Type.Optional(JsonObject),
    dedupe_key: Type.Optional(Type.String({ minLength: 1, maxLength: 300, description: 'A repeat with the same key answers with the first message' })),
  },
  { additionalProperties: false },
);
export const TriggerSendBody = SendItem;
export const TriggerBatchBody = Type.Object({ sends: Type.Array(SendItem, { minItems: 1, maxItems: MAX_TRIGGER_BATCH }) }, { additionalProperties: false });

const TriggerResultFields = {
  message_id: Nullable(Uuid),
  status: lit(['queued', 'skipped'] as const),
  reason: Nullable(Type.String()),
  skipped: Type.Optional(lit(['control-group', 'global-control-group', 'not-in-audience'] as const)),
  group: Type.String(),
  variant: Nullable(Type.Integer()),
  deferred_until: Nullable(DateTime),
  duplicate: Type.Boolean(),
};
export const TriggerResultView = Type.Object(TriggerResultFields);
export const TriggerBatchView = Type.Object({
  results: Type.Array(
    Type.Object({
      index: Type.Integer(),
      ...Object.fromEntries(Object.entries(TriggerResultFields).map(([k, v]) => [k, Type.Optional(v)])),
      error: Type.Optional(Type.String()),
    }),
  ),
});
