import { Type } from 'typebox';
import { CODE_STATUSES } from '../../domain/promo/lifecycle.js';
import { DateTime, JsonObject, ProfileRefSchema, Uuid } from './common.js';

const TemplateName = Type.String({ minLength: 1, maxLength: 64, description: 'Letters, digits and "_"; unique. Message templates use {{ promo.<template_name> }}.' });
const Generator = Type.Union(
  [
    Type.Object({ template: Type.String({ minLength: 1, maxLength: 500, description: 'e.g. {string 4}-{number 4}-{upstring 4}' }) }, { additionalProperties: false }),
    Type.Object(
      {
        remote: Type.Object(
          {
            url: Type.String({ minLength: 1, maxLength: 2000 }),
            max_per_request: Type.Integer({ minimum: 1, maximum: 10_000 }),
            timeout_ms: Type.Optional(Type.Integer({ minimum: 100, maximum: 120_000, description: 'Per request; default 10000' })),
            retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 10, description: 'Further attempts after a failure (timeout, network, 5xx, 429), with doubling back-off; default 3' })),
          },
          { additionalProperties: false },
        ),
      },
      { additionalProperties: false },
    ),
    Type.Null(),
  ],
  { description: 'A template, a remote service, or null (codes come from files only)' },
);
const Ttl = Type.String({ minLength: 2, maxLength: 50, description: 'ISO 8601 duration a code stays usable after it is issued' });
const CustomFields = Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 50 });

const settings = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  template_name: TemplateName,
  generator: Generator,
  valid_from: Type.Union([DateTime, Type.Null()]),
  valid_to: Type.Union([DateTime, Type.Null()]),
  code_ttl: Type.Union([Ttl, Type.Null()]),
  max_codes: Type.Union([Type.Integer({ minimum: 1, maximum: 1_000_000_000 }), Type.Null()]),
  multi_profile: Type.Boolean(),
  auto_link: Type.Boolean(),
  scenario_can_create: Type.Boolean(),
  campaign_can_create: Type.Boolean(),
  custom_fields: CustomFields,
};

export const PoolCreateBody = Type.Object(
  {
    name: settings.name,
    template_name: settings.template_name,
    generator: Type.Optional(settings.generator),
    valid_from: Type.Optional(settings.valid_from),
    valid_to: Type.Optional(settings.valid_to),
    code_ttl: Type.Optional(settings.code_ttl),
    max_codes: Type.Optional(settings.max_codes),
    multi_profile: Type.Optional(settings.multi_profile),
    auto_link: Type.Optional(settings.auto_link),
    scenario_can_create: Type.Optional(settings.scenario_can_create),
    campaign_can_create: Type.Optional(settings.campaign_can_create),
    custom_fields: Type.Optional(settings.custom_fields),
  },
  { additionalProperties: false },
);

export const PoolStatus = Type.Union([Type.Literal('active'), Type.Literal('paused')]);

export const PoolPatchBody = Type.Object(
  {
    name: Type.Optional(settings.name),
    template_name: Type.Optional(settings.template_name),
    generator: Type.Optional(settings.generator),
    valid_from: Type.Optional(settings.valid_from),
    valid_to: Type.Optional(settings.valid_to),
    code_ttl: Type.Optional(settings.code_ttl),
    max_codes: Type.Optional(settings.max_codes),
    multi_profile: Type.Optional(settings.multi_profile),
    auto_link: Type.Optional(settings.auto_link),
    scenario_can_create: Type.Optional(settings.scenario_can_create),
    campaign_can_create: Type.Optional(settings.campaign_can_create),
    custom_fields: Type.Optional(settings.custom_fields),
    status: Type.Optional(PoolStatus),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const PoolCounts = Type.Object(
  {
    available: Type.Integer(),
    issued: Type.Integer(),
    redeemed: Type.Integer(),
    expired: Type.Integer(),
    deleted: Type.Integer(),
  },
  { description: 'Codes of the pool per status; an issued code past its TTL counts as expired' },
);

export const PoolView = Type.Object({
  id: Uuid,
  ...settings,
  status: PoolStatus,
  counts: PoolCounts,
  capacity: Type.Union([Type.String({ pattern: '^[0-9]+$' }), Type.Null()], {
    description: 'How many distinct codes the template can make, as exact decimal digits (it often passes 2^53); null without a template',
  }),
  created_at: DateTime,
  updated_at: DateTime,
});

export const GenerateBody = Type.Object(
  {
    count: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000_000, description: 'How many unissued codes to make' })),
    profiles: Type.Optional(
      Type.Array(ProfileRefSchema, { minItems: 1, maxItems: 10_000, description: 'Make one new code for each of these profiles and issue it to them' }),
    ),
    segment_id: Type.Optional(Type.String({ format: 'uuid', description: "Make one new code for each of the segment's members and issue it to them" })),
    fields: Type.Optional(JsonObject),
  },
  { additionalProperties: false, description: 'Exactly one of count, profiles, segment_id' },
);
export const AsyncQuery = Type.Object({ async: Type.Optional(Type.Boolean()) });

export const GenerateResultView = Type.Object({
  generated: Type.Integer(),
  total: Type.Integer(),
  requested: Type.Optional(Type.Integer()),
  invalid: Type.Optional(Type.Integer()),
  duplicates: Type.Optional(Type.Integer()),
  errors: Type.Optional(
    Type.Array(Type.Object({ chunk: Type.Optional(Type.Integer()), index: Type.Optional(Type.Integer()), message: Type.String() })),
  ),
  issued: Type.Optional(Type.Integer({ description: 'With profiles or segment_id: profiles that received a new code' })),
  skipped: Type.Optional(Type.Integer({ description: 'With profiles or segment_id: profiles that hold a live code of the pool already' })),
});

export const CodeStatus = Type.Union(CODE_STATUSES.map((s) => Type.Literal(s)));
export const CodeView = Type.Object({
  code: Type.String(),
  pool_id: Uuid,
  status: CodeStatus,
  profile_id: Type.Union([Uuid, Type.Null()]),
  issued_at: Type.Union([DateTime, Type.Null()]),
  expires_at: Type.Union([DateTime, Type.Null()]),
  redeemed_at: Type.Union([DateTime, Type.Null()]),
  order_id: Type.Union([Type.String(), Type.Null()]),
  fields: JsonObject,
});

export const CodeListQuery = Type.Object({
  status: Type.Optional(CodeStatus),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 500 })),
});

export const PoolCodeParams = Type.Object({ id: Uuid, code: Type.String({ minLength: 1, maxLength: 200 }) });
export const CodeParams = Type.Object({ code: Type.String({ minLength: 1, maxLength: 200 }) });

export const IssueBody = Type.Object(
  {
    profile: ProfileRefSchema,
    via: Type.Optional(Type.Union([Type.Literal('api'), Type.Literal('scenario'), Type.Literal('campaign')], {
      description: 'Who asks; generating a code on issue follows scenario_can_create / campaign_can_create',
    })),
  },
  { additionalProperties: false },
);
export const IssueView = Type.Object({ code: Type.String(), pool_id: Uuid, expires_at: Type.Union([DateTime, Type.Null()]), existing: Type.Boolean() });

const OrderId = Type.String({ minLength: 1, maxLength: 200 });
export const RedeemBody = Type.Object({ profile: ProfileRefSchema, order_id: Type.Optional(OrderId) }, { additionalProperties: false });
export const ReleaseBody = Type.Object(
  { profile: Type.Optional(ProfileRefSchema), order_id: Type.Optional(OrderId) },
  { additionalProperties: false, description: 'Optional; a shared code needs the profile or the order' },
);
export const DetachBody = Type.Object({ profile: Type.Optional(ProfileRefSchema) }, { additionalProperties: false });
export const TransitionView = Type.Object({ code: Type.String(), pool_id: Uuid, status: CodeStatus, redeemed_at: Type.Optional(DateTime) });

export const ImportQuery = Type.Object({
  column: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Header of the column holding the codes (default: "code", else the first column)' })),
  format: Type.Optional(Type.Union([Type.Literal('csv'), Type.Literal('xlsx')], { description: 'Default: from the content type, else from the first bytes of the file' })),
  delimiter: Type.Optional(Type.String({ minLength: 1, maxLength: 1 })),
  async: Type.Optional(Type.Boolean()),
});
export const ImportResultView = Type.Object({
  added: Type.Integer(),
  duplicates: Type.Integer(),
  invalid: Type.Integer(),
  errors: Type.Array(Type.Object({ row: Type.Integer(), message: Type.String() })),
  errors_truncated: Type.Optional(Type.Boolean()),
  linked: Type.Optional(Type.Integer({ description: 'auto_link pools: added codes issued to the profile their row names (profile, email, phone or external_id column)' })),
});

export const ExportQuery = Type.Object({
  fields: Type.Optional(Type.String({ maxLength: 2000, description: 'Profile fields per row: email, phone, external_id, fields.<name>; comma-separated' })),
});
