import { Type } from 'typebox';
import { DateTime, ProfileRefSchema, Uuid } from './common.js';

const Duration = Type.String({ minLength: 2, maxLength: 40, description: 'ISO 8601 duration, e.g. P365D' });
const Money = Type.Number({ description: 'major units, at most 2 decimals' });
const Rounding = Type.Union([Type.Literal('floor'), Type.Literal('round'), Type.Literal('ceil')]);

const TierBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    min_spend: Money,
    accrual_multiplier: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1000 })),
  },
  { additionalProperties: false },
);

export const ProgramBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    currency: Type.String({ pattern: '^[A-Za-z]{3}$' }),
    welcome_points: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000 })),
    point_value: Money,
    points_rounding: Rounding,
    points_ttl: Type.Optional(Type.Union([Duration, Type.Null()])),
    accrual_hold: Type.Optional(Type.Union([Duration, Type.Null()])),
    redeem_max_share: Type.Number({ minimum: 0, maximum: 1 }),
    tiers: Type.Optional(Type.Array(TierBody, { maxItems: 50 })),
    tier_window: Type.Optional(Duration),
    expiry_notice: Type.Optional(Duration),
    timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone order conditions read weekday and hour in; default UTC' })),
  },
  { additionalProperties: false },
);

export const ProgramPatchBody = Type.Partial(ProgramBody, { additionalProperties: false, minProperties: 1, description: 'Any settings of a program; the others keep their values' });

export const ProgramView = Type.Object({
  id: Uuid,
  name: Type.String(),
  currency: Type.String(),
  welcome_points: Type.Integer(),
  point_value: Type.Number(),
  points_rounding: Rounding,
  points_ttl: Type.Union([Type.String(), Type.Null()]),
  accrual_hold: Type.Union([Type.String(), Type.Null()]),
  redeem_max_share: Type.Number(),
  tiers: Type.Array(Type.Object({ name: Type.String(), min_spend: Type.Number(), accrual_multiplier: Type.Number() })),
  tier_window: Type.String(),
  expiry_notice: Type.String(),
  timezone: Type.String(),
  created_at: DateTime,
  updated_at: DateTime,
});

export const ProgramParams = Type.Object({ pid: Uuid });
export const MemberParams = Type.Object({ pid: Uuid, ref: Type.String({ minLength: 1, maxLength: 254 }) });
export const TransactionParams = Type.Object({ pid: Uuid, id: Uuid });

export const MemberBody = Type.Object({ profile: ProfileRefSchema }, { additionalProperties: false });

export const MemberView = Type.Object({
  id: Uuid,
  program_id: Uuid,
  profile_id: Uuid,
  balance: Type.Integer(),
  pending: Type.Integer(),
  tier: Type.Union([Type.String(), Type.Null()]),
  joined_at: DateTime,
  expiring: Type.Optional(Type.Array(Type.Object({ points: Type.Integer(), expires_at: DateTime }))),
});

const target = {
  profile: Type.Optional(ProfileRefSchema),
  member_id: Type.Optional(Uuid),
  points: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000_000, description: 'required unless a points_fixed trigger promotion decides them' })),
  reason: Type.String({ minLength: 1, maxLength: 500 }),
  promotion_id: Type.Optional(Uuid),
  external_id: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  hold: Type.Optional(Duration),
};

export const AccrueBody = Type.Object({ ...target, expires_at: Type.Optional(DateTime) }, { additionalProperties: false });
export const RedeemBody = Type.Object(target, { additionalProperties: false });

export const TransactionView = Type.Object({
  id: Uuid,
  kind: Type.Union([Type.Literal('accrue'), Type.Literal('redeem')]),
  status: Type.String({ description: 'held | pending | done | rolled_back | canceled' }),
  points: Type.Integer(),
  member_id: Uuid,
  reason: Type.String(),
  external_id: Type.Union([Type.String(), Type.Null()]),
  hold_until: Type.Union([DateTime, Type.Null()]),
  order_id: Type.Union([Type.String(), Type.Null()]),
  balance: Type.Optional(Type.Integer()),
  pending: Type.Optional(Type.Integer()),
  created_at: DateTime,
});

export const EntryView = Type.Object({
  id: Uuid,
  kind: Type.String({ description: 'accrual | redemption | expiration | reversal | adjustment' }),
  points: Type.Integer({ description: 'signed: a redemption is negative' }),
  balance_after: Type.Integer(),
  order_id: Type.Optional(Type.String()),
  promotion_id: Type.Optional(Uuid),
  reverses_id: Type.Optional(Uuid),
  transaction_id: Type.Optional(Uuid),
  reason: Type.String(),
  created_at: DateTime,
  expires_at: Type.Optional(DateTime),
});

export const ReportQuery = Type.Object({ from: Type.Optional(DateTime), to: Type.Optional(DateTime) });

export const ReportView = Type.Object({
  from: DateTime,
  to: DateTime,
  members: Type.Integer(),
  new_members: Type.Integer(),
  points: Type.Object({ accrued: Type.Integer(), redeemed: Type.Integer(), expired: Type.Integer(), reversed: Type.Integer() }),
  orders: Type.Integer(),
  revenue: Type.Number(),
  discount_total: Type.Number(),
  promotions: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), applied: Type.Integer(), discount: Type.Number(), points: Type.Integer() })),
  tiers: Type.Array(Type.Object({ name: Type.String(), members: Type.Integer() })),
});
