import { Type } from 'typebox';
import { DateTime, JsonObject, ProfileRefSchema, Uuid } from './common.js';

const Money = Type.Number({ minimum: 0, description: 'major units, at most 2 decimals' });
const Id = Type.String({ minLength: 1, maxLength: 200 });

const SkuBody = Type.Object(
  { id: Id, price: Money, quantity: Type.Optional(Type.Union([Type.Integer({ minimum: 0 }), Type.Null()])), params: Type.Optional(JsonObject) },
  { additionalProperties: false },
);

export const ProductBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 1000 }),
    price: Money,
    old_price: Type.Optional(Type.Union([Money, Type.Null()])),
    currency: Type.Optional(Type.Union([Type.String({ pattern: '^[A-Za-z]{3}$' }), Type.Null()])),
    categories: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 100 }),
    url: Type.Optional(Type.Union([Type.String({ maxLength: 2000 }), Type.Null()])),
    picture: Type.Optional(Type.Union([Type.String({ maxLength: 2000 }), Type.Null()])),
    vendor: Type.Optional(Type.Union([Type.String({ maxLength: 500 }), Type.Null()])),
    params: Type.Optional(JsonObject),
    available: Type.Boolean(),
    skus: Type.Optional(Type.Array(SkuBody, { maxItems: 1000 })),
  },
  { additionalProperties: false },
);

export const ProductView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  price: Type.Number(),
  old_price: Type.Union([Type.Number(), Type.Null()]),
  currency: Type.Union([Type.String(), Type.Null()]),
  categories: Type.Array(Type.String()),
  url: Type.Union([Type.String(), Type.Null()]),
  picture: Type.Union([Type.String(), Type.Null()]),
  vendor: Type.Union([Type.String(), Type.Null()]),
  params: JsonObject,
  available: Type.Boolean(),
  skus: Type.Array(Type.Object({ id: Type.String(), price: Type.Number(), quantity: Type.Union([Type.Integer(), Type.Null()]), params: JsonObject })),
  created_at: DateTime,
  updated_at: DateTime,
});

export const StringIdParams = Type.Object({ id: Id });

export const ProductListQuery = Type.Object({
  category: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 500 })),
});

export const ImportQuery = Type.Object({
  mode: Type.Optional(Type.Union([Type.Literal('upsert'), Type.Literal('add'), Type.Literal('update')], { description: 'add+update (default), add only, update only' })),
  format: Type.Optional(Type.Union([Type.Literal('yml'), Type.Literal('csv')], { description: 'guessed from the content type when absent' })),
  delimiter: Type.Optional(Type.String({ minLength: 1, maxLength: 1 })),
  async: Type.Optional(Type.Boolean()),
});

export const ImportResult = Type.Object({
  created: Type.Integer(),
  updated: Type.Integer(),
  failed: Type.Integer(),
  skipped: Type.Optional(Type.Integer()),
  errors: Type.Array(Type.Object({ line: Type.Integer(), row: Type.Optional(Type.Integer()), id: Type.Optional(Type.String()), message: Type.String() })),
  errors_truncated: Type.Optional(Type.Boolean()),
});

const OrderStatus = Type.Union(['new', 'paid', 'delivered', 'canceled', 'part_refunded', 'refunded'].map((s) => Type.Literal(s)));

const OrderItemBody = Type.Object(
  {
    product_id: Id,
    sku_id: Type.Optional(Type.Union([Id, Type.Null()])),
    quantity: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    price: Money,
    discount: Type.Optional(Money),
    total: Type.Optional(Money),
    points_accrued: Type.Optional(Type.Integer({ minimum: 0 })),
    points_redeemed: Type.Optional(Type.Integer({ minimum: 0 })),
    promotions: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 100 })),
  },
  { additionalProperties: false },
);

export const OrderBody = Type.Object(
  {
    profile: ProfileRefSchema,
    status: Type.Optional(OrderStatus),
    program_id: Type.Optional(Type.Union([Uuid, Type.Null()])),
    channel: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 100 }), Type.Null()])),
    currency: Type.Optional(Type.Union([Type.String({ pattern: '^[A-Za-z]{3}$' }), Type.Null()])),
    items: Type.Array(OrderItemBody, { minItems: 1, maxItems: 10_000 }),
    applied_promotions: Type.Optional(Type.Array(JsonObject, { maxItems: 100 })),
    created_at: Type.Optional(DateTime),
  },
  { additionalProperties: false },
);

export const OrderView = Type.Object({
  id: Type.String(),
  profile_id: Uuid,
  program_id: Type.Union([Uuid, Type.Null()]),
  status: Type.String(),
  channel: Type.Union([Type.String(), Type.Null()]),
  currency: Type.Union([Type.String(), Type.Null()]),
  items: Type.Array(
    Type.Object({
      product_id: Type.String(),
      sku_id: Type.Union([Type.String(), Type.Null()]),
      quantity: Type.Integer(),
      price: Type.Number(),
      discount: Type.Number(),
      total: Type.Number(),
      points_accrued: Type.Integer(),
      points_redeemed: Type.Integer(),
      refunded_quantity: Type.Integer(),
      promotions: Type.Array(Type.String()),
    }),
  ),
  subtotal: Type.Number(),
  discount_total: Type.Number(),
  points_redeemed: Type.Integer(),
  total: Type.Number(),
  refunded_total: Type.Number(),
  points_accrued: Type.Integer(),
  applied_promotions: Type.Array(Type.Unknown()),
  created_at: DateTime,
  updated_at: DateTime,
});

export const OrderListQuery = Type.Object({
  profile: Type.Optional(Type.String({ minLength: 1, maxLength: 254, description: 'a profile id, email, phone or external_id; without it, every order' })),
  status: Type.Optional(
    Type.Union(['new', 'paid', 'delivered', 'canceled', 'part_refunded', 'refunded'].map((s) => Type.Literal(s)), { description: 'only orders in this status' }),
  ),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 500 })),
});

export const StatusBody = Type.Object({ status: Type.Union(['new', 'paid', 'delivered', 'canceled'].map((s) => Type.Literal(s))) }, { additionalProperties: false });

export const RefundBody = Type.Object(
  {
    items: Type.Array(
      Type.Object({ product_id: Id, sku_id: Type.Optional(Type.Union([Id, Type.Null()])), quantity: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
      { minItems: 1, maxItems: 10_000 },
    ),
  },
  { additionalProperties: false },
);
