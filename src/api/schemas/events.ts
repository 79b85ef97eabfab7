import { Type } from 'typebox';
import { DateTime, JsonObject, ProfileRefSchema } from './common.js';

export const EventName = Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_.:\\-]+$' });

export const EventBody = Type.Object(
  {
    profile: ProfileRefSchema,
    name: EventName,
    properties: Type.Optional(JsonObject),
    occurred_at: Type.Optional(DateTime),
    event_id: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);

export const MAX_BATCH = 1000;

export const EventBatchBody = Type.Object(
  { events: Type.Array(Type.Object({}, { additionalProperties: true }), { minItems: 1, maxItems: MAX_BATCH }) },
  { additionalProperties: false },
);

export const EventAccepted = Type.Object({ id: Type.String(), duplicate: Type.Optional(Type.Boolean()) });

export const EventBatchResult = Type.Object({
  accepted: Type.Integer(),
  duplicates: Type.Integer(),
  rejected: Type.Array(
    Type.Object({ index: Type.Integer(), errors: Type.Array(Type.Object({ path: Type.String(), message: Type.String() })) }),
  ),
});
