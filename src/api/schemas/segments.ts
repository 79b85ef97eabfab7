import { Type } from 'typebox';
import { DateTime, Uuid } from './common.js';

export const Conditions = Type.Record(Type.String(), Type.Unknown(), {
  description:
    'A condition tree: {all|any: [...]}, {not: …}, {field: "fields.city"|"email"|"phone"|"external_id"|"created_at"|"updated_at", ' +
    'op: eq|neq|in|contains|gt|gte|lt|lte|exists|between, value, ignore_year?} (dates as "YYYY-MM-DD", {ago: "P30D"} or {in: "P3D"}), ' +
    '{event: name, where?: {property: value | {op: value}}, count?: {gte|gt|lte|lt|eq: n}, within?: "P30D"}, ' +
    '{subscription: {channel, status}}, {orders: {count?, total_spent?: {gte|gt|lte|lt|eq: amount}, within?}} (orders not canceled nor fully refunded; money in major units, net of refunds), ' +
    '{loyalty: {program_id, member: true|false} | {program_id, balance?: {gte: n}, tier?: name | [names]}}, ' +
    '{rfm: {r?: [1..5], f?: [..], m?: [..]}} (quintiles over the last 365 days of orders, 5 = most recent / most orders / most spent), {segment: id}.',
  examples: [{ all: [{ field: 'fields.city', op: 'eq', value: 'Berlin' }, { event: 'purchase', count: { gte: 2 }, within: 'P30D' }] }],
});

const SegmentType = Type.Union([Type.Literal('dynamic'), Type.Literal('static')]);
const Name = Type.String({ minLength: 1, maxLength: 200 });
const Description = Type.Union([Type.String({ maxLength: 2000 }), Type.Null()]);

export const SegmentCreateBody = Type.Object(
  {
    name: Name,
    description: Type.Optional(Description),
    type: SegmentType,
    conditions: Type.Optional(Conditions),
  },
  { additionalProperties: false, description: 'A dynamic segment needs conditions; a static one given conditions starts with the profiles that match them now.' },
);

export const SegmentPatchBody = Type.Object(
  { name: Type.Optional(Name), description: Type.Optional(Description), conditions: Type.Optional(Conditions) },
  { additionalProperties: false, minProperties: 1 },
);

export const SegmentView = Type.Object({
  id: Uuid,
  name: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  type: SegmentType,
  conditions: Type.Union([Conditions, Type.Null()]),
  time_relative: Type.Boolean({ description: 'Refreshed on a schedule because time alone changes who matches' }),
  refreshed_at: Type.Union([DateTime, Type.Null()]),
  created_at: DateTime,
  updated_at: DateTime,
});

export const SegmentListQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 500 })),
  type: Type.Optional(SegmentType),
});

export const SegmentCreateQuery = Type.Object({ async: Type.Optional(Type.Boolean()) });

export const CountView = Type.Object({ count: Type.Integer() });

export const CountBody = Type.Object({ conditions: Conditions }, { additionalProperties: false, description: 'Conditions as a dynamic segment takes them' });

export const MembersBody = Type.Object(
  { profiles: Type.Array(Type.Unknown(), { minItems: 1, maxItems: 10_000, description: 'Profile references {id|email|phone|external_id}' }) },
  { additionalProperties: false },
);

export const MembersQuery = Type.Object({
  column: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'CSV: the column holding the reference (default: the first of id, email, phone, external_id)' })),
  delimiter: Type.Optional(Type.String({ minLength: 1, maxLength: 1 })),
});

export const MembersResult = Type.Object({
  added: Type.Optional(Type.Integer()),
  removed: Type.Optional(Type.Integer()),
  unchanged: Type.Integer({ description: 'References already in (add) or not in (remove) the segment' }),
  failed: Type.Integer(),
  errors: Type.Array(
    Type.Object({ index: Type.Optional(Type.Integer()), row: Type.Optional(Type.Integer()), message: Type.String() }),
    { description: 'Bad references by index (JSON) or line (CSV, header is line 1); the good ones are applied' },
  ),
});

export const RfmView = Type.Object({
  profile_id: Uuid,
  r: Type.Union([Type.Integer({ minimum: 1, maximum: 5 }), Type.Null()], { description: 'Recency quintile: 5 = ordered most recently' }),
  f: Type.Union([Type.Integer({ minimum: 1, maximum: 5 }), Type.Null()], { description: 'Frequency quintile: 5 = most orders' }),
  m: Type.Union([Type.Integer({ minimum: 1, maximum: 5 }), Type.Null()], { description: 'Monetary quintile: 5 = most spent' }),
  last_order_at: Type.Union([DateTime, Type.Null()]),
  orders: Type.Integer({ description: 'Counted orders in the last 365 days' }),
  monetary: Type.Number({ description: 'Money they came to, net of refunds, major units' }),
  refreshed_at: Type.Union([DateTime, Type.Null()], { description: 'When the scores were computed; null before the first refresh' }),
}, { description: 'A profile without a counted order in the last 365 days has no score (r, f, m null)' });

export const RfmStatusView = Type.Object({
  refreshed_at: Type.Union([DateTime, Type.Null()]),
  next_refresh_at: DateTime,
  scored: Type.Integer({ description: 'Profiles with a score' }),
});
