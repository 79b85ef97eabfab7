import { Type } from 'typebox';
import { SUBSCRIPTION_STATUSES } from '../../domain/profiles/subscriptions.js';
import { DateTime, JsonObject, Uuid } from './common.js';

export const SubscriptionStatus = Type.Union(SUBSCRIPTION_STATUSES.map((s) => Type.Literal(s)));
export const Subscriptions = Type.Object(
  {
    email: Type.Optional(SubscriptionStatus),
    sms: Type.Optional(SubscriptionStatus),
    push: Type.Optional(SubscriptionStatus),
    telegram: Type.Optional(SubscriptionStatus),
  },
  { additionalProperties: false },
);

const Email = Type.String({ minLength: 3, maxLength: 254 });
const Phone = Type.String({ minLength: 3, maxLength: 40 });
const ExternalId = Type.String({ minLength: 1, maxLength: 200 });
const Fields = Type.Record(Type.String({ maxLength: 100 }), Type.Unknown(), { maxProperties: 500 });

export const ProfileUpsertBody = Type.Object(
  {
    email: Type.Optional(Email),
    phone: Type.Optional(Phone),
    external_id: Type.Optional(ExternalId),
    fields: Type.Optional(Fields),
    subscriptions: Type.Optional(Subscriptions),
  },
  { additionalProperties: false },
);

export const ProfilePatchBody = Type.Object(
  {
    email: Type.Optional(Type.Union([Email, Type.Null()])),
    phone: Type.Optional(Type.Union([Phone, Type.Null()])),
    external_id: Type.Optional(Type.Union([ExternalId, Type.Null()])),
    fields: Type.Optional(Fields),
    subscriptions: Type.Optional(Subscriptions),
  },
  { additionalProperties: false },
);

export const ProfileView = Type.Object({
  id: Uuid,
  email: Type.Union([Type.String(), Type.Null()]),
  phone: Type.Union([Type.String(), Type.Null()]),
  external_id: Type.Union([Type.String(), Type.Null()]),
  fields: JsonObject,
  subscriptions: Subscriptions,
  created_at: DateTime,
  updated_at: DateTime,
});

export const ProfileLookupQuery = Type.Object(
  {
    email: Type.Optional(Email),
    phone: Type.Optional(Phone),
    external_id: Type.Optional(ExternalId),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);

export const TimelineEntryView = Type.Object({
  id: Type.String(),
  at: DateTime,
  kind: Type.String(),
  title: Type.String(),
  data: Type.Unknown(),
});

export const ImportQuery = Type.Object(
  {
    match: Type.Optional(Type.Union([Type.Literal('email'), Type.Literal('phone'), Type.Literal('external_id')])),
    mapping: Type.Optional(Type.String({ description: 'JSON object: CSV header → email | phone | external_id | subscriptions.<channel> | fields.<name> | "" (skip)' })),
    delimiter: Type.Optional(Type.String({ minLength: 1, maxLength: 1 })),
    async: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
