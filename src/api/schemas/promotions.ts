import { Type } from 'typebox';
import { DateTime, JsonObject, Uuid } from './common.js';

const Type_ = Type.Union([Type.Literal('trigger'), Type.Literal('discount'), Type.Literal('points')]);
const Status = Type.Union([Type.Literal('active'), Type.Literal('paused')]);
const Kind = Type.Union(['percent', 'fixed', 'fixed_price', 'points_percent', 'points_fixed', 'points_multiplier'].map((k) => Type.Literal(k)));
const Limit = Type.Union([Type.Integer({ maximum: 2_000_000_000, description: 'from 1' }), Type.Null()]);

const benefit = {
  kind: Kind,
  value: Type.Number({ description: 'percent (0–100], amount in major units (fixed, fixed_price), points (points_fixed) or a factor (points_multiplier)' }),
  max_discount: Type.Optional(Type.Union([Type.Number({ description: 'major units; discount benefits only' }), Type.Null()])),
};
const limits = Type.Object(
  { per_member: Type.Optional(Limit), total_uses: Type.Optional(Limit), budget_points: Type.Optional(Limit) },
  { additionalProperties: false },
);

const fields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  type: Type_,
  priority: Type.Optional(Type.Integer({ minimum: -1_000_000, maximum: 1_000_000, description: 'higher first; default 100' })),
  combinable: Type.Optional(Type.Boolean({ description: 'default true' })),
  starts_at: Type.Optional(Type.Union([DateTime, Type.Null()])),
  ends_at: Type.Optional(Type.Union([DateTime, Type.Null()])),
  status: Type.Optional(Status),
  conditions: Type.Optional(Type.Union([JsonObject, Type.Null()], { description: 'order segment: {all|any: [...]}, {not: …}, leaves on subtotal, items_count, quantity, contains, channel, tier, orders_count, first_order, field, weekday, hour' })),
  applies_to: Type.Optional(Type.Union([JsonObject, Type.Null()], { description: '{product_ids?, categories?, skus?}' })),
  promo_code_pool_id: Type.Optional(Type.Union([Uuid, Type.Null()])),
};

export const PromotionBody = Type.Object(
  { ...fields, benefit: Type.Object(benefit, { additionalProperties: false }), limits: Type.Optional(Type.Union([limits, Type.Null()])) },
  { additionalProperties: false },
);

export const PromotionPatch = Type.Object(
  {
    ...Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, Type.Optional(v)])),
    benefit: Type.Optional(Type.Object({ kind: Type.Optional(Kind), value: Type.Optional(benefit.value), max_discount: benefit.max_discount }, { additionalProperties: false })),
    limits: Type.Optional(Type.Union([limits, Type.Null()])),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const PromotionView = Type.Object({
  id: Uuid,
  program_id: Uuid,
  name: Type.String(),
  type: Type_,
  priority: Type.Integer(),
  combinable: Type.Boolean(),
  starts_at: Type.Union([DateTime, Type.Null()]),
  ends_at: Type.Union([DateTime, Type.Null()]),
  status: Status,
  conditions: Type.Union([JsonObject, Type.Null()]),
  applies_to: Type.Union([Type.Object({ product_ids: Type.Array(Type.String()), categories: Type.Array(Type.String()), skus: Type.Array(Type.String()) }), Type.Null()]),
  promo_code_pool_id: Type.Union([Uuid, Type.Null()]),
  benefit: Type.Object({ kind: Kind, value: Type.Number(), max_discount: Type.Union([Type.Number(), Type.Null()]) }),
  limits: Type.Object({ per_member: Limit, total_uses: Limit, budget_points: Limit }),
  usage: Type.Object(
    { uses: Type.Integer(), points: Type.Integer() },
    { description: 'uses and points given, counted for promotions with total_uses or budget_points' },
  ),
  created_at: DateTime,
  updated_at: DateTime,
});

export const PromotionParams = Type.Object({ pid: Uuid, id: Uuid });

export const PromotionListQuery = Type.Object({
  status: Type.Optional(Status),
  type: Type.Optional(Type_),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 500 })),
});

const Percent = (max: number) => Type.Union([Type.Number({ description: `above 0, at most ${max}` }), Type.Null()]);

export const PartnerBody = Type.Object(
  {
    cashback_percent: Type.Optional(Percent(1000)),
    discount_percent: Type.Optional(Percent(100)),
    starts_at: Type.Optional(Type.Union([DateTime, Type.Null()])),
    ends_at: Type.Optional(Type.Union([DateTime, Type.Null()])),
  },
  { additionalProperties: false },
);

export const PartnerView = Type.Object({
  program_id: Uuid,
  product_id: Type.String(),
  cashback_percent: Type.Union([Type.Number(), Type.Null()]),
  discount_percent: Type.Union([Type.Number(), Type.Null()]),
  starts_at: Type.Union([DateTime, Type.Null()]),
  ends_at: Type.Union([DateTime, Type.Null()]),
  created_at: DateTime,
  updated_at: DateTime,
});

export const PartnerParams = Type.Object({ pid: Uuid, product_id: Type.String({ minLength: 1, maxLength: 200 }) });
