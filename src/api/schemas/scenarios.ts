import { Type, type TSchema } from 'typebox';
import { MAX_LAUNCH_BATCH } from '../../engine/scenarios/launch.js';
import { DateTime, JsonObject, PageQuery, ProfileRefSchema, Uuid } from './common.js';

const lit = <T extends readonly string[]>(values: T) => Type.Union(values.map((v) => Type.Literal(v)));
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const SCENARIO_STATUSES = ['draft', 'active', 'paused', 'stopped'] as const;
export const INSTANCE_STATUSES = ['active', 'waiting', 'completed', 'exited', 'failed'] as const;
export const SKIP_REASONS = ['reentry-once', 'reentry-ignore', 'not-active', 'holdout', 'max-active', 'no-start-node'] as const;

const EventRule = Type.Object(
  { event: Type.String({ minLength: 1, maxLength: 200 }), where: Type.Optional(Type.Unknown({ description: 'Event property filters as in segments' })) },
  { additionalProperties: false },
);

export const SettingsSchema = Type.Object(
  {
    reentry: lit(['once', 'ignore', 'restart', 'new_instance'] as const),
    exit_on: Type.Optional(Type.Array(EventRule, { maxItems: 50, description: 'Events that end a running instance' })),
    goal: Type.Optional(
      Type.Object(
        { event: Type.String({ minLength: 1, maxLength: 200 }), where: Type.Optional(Type.Unknown()), within: Type.Optional(Type.String({ maxLength: 40 })) },
        { additionalProperties: false },
      ),
    ),
    max_active_per_profile: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    holdout_percent: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
  },
  { additionalProperties: false },
);

export const NodeSchema = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 100 }),
    type: Type.String({ minLength: 1, maxLength: 60, description: 'trigger.event, trigger.api, …, send, wait, wait_event, condition, split, promo_code, loyalty_points, update_profile, webhook, goal, exit' }),
    config: Type.Optional(JsonObject),
    next: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    branches: Type.Optional(Type.Record(Type.String(), Type.String({ minLength: 1, maxLength: 100 }))),
  },
  { additionalProperties: false },
);

const Layout = Type.Record(Type.String(), Type.Object({ x: Type.Number(), y: Type.Number() }, { additionalProperties: true }), {
  description: 'Node id → position in the editor',
});

export const ScenarioBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.Optional(Nullable(Type.String({ maxLength: 5000 }))),
    settings: SettingsSchema,
    nodes: Type.Array(NodeSchema, { maxItems: 500 }),
    layout: Type.Optional(Nullable(Layout)),
  },
  { additionalProperties: false },
);

export const ScenarioCreateBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    description: Type.Optional(Nullable(Type.String({ maxLength: 5000 }))),
    settings: Type.Optional(SettingsSchema),
    nodes: Type.Optional(Type.Array(NodeSchema, { maxItems: 500 })),
    layout: Type.Optional(Nullable(Layout)),
    from_template: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'A key of GET /scenario-templates: nodes, settings and sample message templates are created from it' })),
    template_refs: Type.Optional(
      Type.Record(Type.String(), Uuid, {
        description: 'Ids for the template\'s placeholders, e.g. {"pool:welcome": "<pool id>", "segment:vip": "<segment id>"}; placeholders left out stay for the editor (activate lists them)',
      }),
    ),
  },
  { additionalProperties: false },
);

export const ScenarioView = Type.Object({
  id: Uuid,
  name: Type.String(),
  description: Nullable(Type.String()),
  status: lit(SCENARIO_STATUSES),
  version: Type.Integer({ description: 'The latest version (what GET shows and PUT replaces or follows)' }),
  live_version: Nullable(Type.Integer({ description: 'The version new instances start on' })),
  settings: JsonObject,
  nodes: Type.Array(JsonObject),
  layout: Nullable(Type.Record(Type.String(), Type.Unknown())),
  template_key: Nullable(Type.String()),
  created_templates: Type.Optional(Type.Array(Type.Object({ key: Type.String(), id: Uuid, name: Type.String() }))),
  created_at: DateTime,
  updated_at: DateTime,
  activated_at: Nullable(DateTime),
  paused_at: Nullable(DateTime),
  stopped_at: Nullable(DateTime),
});

export const ScenarioListQuery = Type.Object({ ...PageQuery.properties, status: Type.Optional(lit(SCENARIO_STATUSES)) });

export const VersionView = Type.Object({ version: Type.Integer(), settings: JsonObject, nodes: Type.Array(JsonObject), created_at: DateTime, live: Type.Boolean() });

export const LaunchBody = Type.Object({ profile: ProfileRefSchema, data: Type.Optional(JsonObject) }, { additionalProperties: false });

export const LaunchView = Type.Object({ instance_id: Type.Optional(Uuid), skipped: Type.Optional(lit(SKIP_REASONS)) });

export const LaunchBatchBody = Type.Object(
  {
    launches: Type.Array(
      Type.Object({ profile: Type.Unknown({ description: 'A profile reference; a bad one is reported at its index' }), data: Type.Optional(Type.Unknown()) }),
      { minItems: 1, maxItems: MAX_LAUNCH_BATCH },
    ),
  },
  { additionalProperties: false },
);

export const LaunchBatchView = Type.Object({
  results: Type.Array(Type.Object({ index: Type.Integer(), instance_id: Type.Optional(Uuid), skipped: Type.Optional(lit(SKIP_REASONS)), error: Type.Optional(Type.String()) })),
});

const NodeStatsView = Type.Object({
  entered: Type.Integer(),
  passed: Type.Integer(),
  waiting: Type.Integer(),
  failed: Type.Integer(),
  branches: Type.Record(Type.String(), Type.Integer()),
});

const StatsFields = {
  entered: Type.Integer(),
  active: Type.Integer(),
  completed: Type.Integer(),
  exited: Type.Integer(),
  failed: Type.Integer(),
  goals: Type.Integer(),
  holdout: Type.Integer(),
  nodes: Type.Record(Type.String(), NodeStatsView),
};

export const StatsView = Type.Object({
  ...StatsFields,
  version: Type.Optional(Type.Integer()),
  versions: Type.Optional(Type.Array(Type.Object({ version: Type.Integer(), ...StatsFields }))),
});

export const StatsQuery = Type.Object({ version: Type.Optional(Type.Integer({ minimum: 1 })) });

export const InstanceQuery = Type.Object({
  ...PageQuery.properties,
  profile: Type.Optional(Uuid),
  status: Type.Optional(lit(INSTANCE_STATUSES)),
});

export const InstanceView = Type.Object({
  id: Uuid,
  scenario_id: Uuid,
  profile_id: Uuid,
  version: Type.Integer(),
  status: lit(INSTANCE_STATUSES),
  node_id: Type.String(),
  wake_at: Nullable(DateTime),
  data: JsonObject,
  holdout: Type.Boolean(),
  reason: Nullable(Type.String()),
  entered_at: DateTime,
  finished_at: Nullable(DateTime),
  history: Type.Array(Type.Object({ node_id: Type.String(), at: DateTime, outcome: Type.String() })),
});

export const SimulateBody = Type.Object(
  {
    profile: ProfileRefSchema,
    data: Type.Optional(JsonObject),
    events: Type.Optional(
      Type.Array(
        Type.Object({ at: DateTime, name: Type.String({ minLength: 1, maxLength: 200 }), properties: Type.Optional(JsonObject) }, { additionalProperties: false }),
        { maxItems: 1000 },
      ),
    ),
    until: Type.Optional(Type.String({ maxLength: 40, description: 'Duration from the start, default P30D' })),
    version: Type.Optional(Type.Integer({ minimum: 1, description: 'Default: the latest version' })),
  },
  { additionalProperties: false },
);

export const SimulateView = Type.Object({
  trace: Type.Array(Type.Object({ at: DateTime, node_id: Type.String(), outcome: Type.String() })),
  effects: Type.Array(JsonObject),
  status: Type.String(),
  node_id: Type.String(),
  data: JsonObject,
});
