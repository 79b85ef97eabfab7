import { Type } from 'typebox';
import { ProfileRefSchema, Uuid } from './common.js';

const Id = Type.String({ minLength: 1, maxLength: 200 });
const Money = Type.Number({ description: 'major units' });

const request = {
  program_id: Uuid,
  profile: ProfileRefSchema,
  items: Type.Array(
    Type.Object(
      {
        product_id: Id,
        sku_id: Type.Optional(Type.Union([Id, Type.Null()])),
        quantity: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
        price: Type.Optional(Type.Number({ minimum: 0, description: 'unit price, major units; defaults to the catalogue price (an unknown product with a price is still priced)' })),
      },
      { additionalProperties: false },
    ),
    { minItems: 1, maxItems: 1000 },
  ),
  promo_codes: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 50 })),
  redeem_points: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 2_000_000_000 }), Type.Literal('max')])),
  channel: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 100 }), Type.Null()])),
};

export const PreorderBody = Type.Object({ ...request, order_id: Type.Optional(Id) }, { additionalProperties: false });

export const CommitBody = Type.Object(
  {
    ...request,
    order_id: Id,
    calculation_id: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'from the preorder: refused with 422 calculation-changed when the order now prices differently' })),
  },
  { additionalProperties: false },
);

export const PreorderQuery = Type.Object({ explain: Type.Optional(Type.Boolean()) });

const Line = Type.Object({
  product_id: Type.String(),
  sku_id: Type.Union([Type.String(), Type.Null()]),
  quantity: Type.Integer(),
  price: Money,
  discount: Money,
  points_redeemed: Type.Integer(),
  points_redeemed_value: Money,
  total: Money,
  points_accrued: Type.Integer(),
  promotions: Type.Array(Type.String()),
});

const calculation = {
  calculation_id: Type.String(),
  currency: Type.String(),
  subtotal: Money,
  discount_total: Money,
  points_redeemed: Type.Integer(),
  points_redeemed_value: Money,
  total: Money,
  points_accrued: Type.Integer(),
  redeem_max_points: Type.Integer({ description: 'the most points this order could be paid with' }),
  items: Type.Array(Line),
  applied_promotions: Type.Array(
    Type.Object({
      id: Type.String({ description: 'a promotion id, or partner:<product id>' }),
      name: Type.String(),
      type: Type.Union([Type.Literal('discount'), Type.Literal('points'), Type.Literal('partner')]),
      discount: Money,
      points: Type.Integer(),
    }),
  ),
  rejected: Type.Array(
    Type.Object({ promotion_id: Type.Optional(Type.String()), code: Type.Optional(Type.String()), reason: Type.String(), detail: Type.Optional(Type.String()) }),
  ),
};

export const PreorderView = Type.Object({
  ...calculation,
  explain: Type.Optional(
    Type.Array(
      Type.Object({
        promotion_id: Type.Union([Type.String(), Type.Null()]),
        line: Type.Optional(Type.Integer({ description: 'index of the item in the request' })),
        step: Type.String({ description: 'eligibility | discount | redeem | accrual' }),
        outcome: Type.String(),
        reason: Type.String(),
        amount_before: Money,
        amount_after: Money,
        points: Type.Optional(Type.Integer()),
      }),
    ),
  ),
});

export const CommitView = Type.Object({
  ...calculation,
  order_id: Type.String(),
  status: Type.Literal('new'),
  accrual: Type.Union([Type.Literal('pending'), Type.Literal('done'), Type.Literal('none')], { description: 'pending while the program’s accrual_hold runs' }),
});
