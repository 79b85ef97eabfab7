/**
 * Segments: definitions and memberships.
 *
 * `segment_members` holds the members of static segments (the list itself) and the current members of
 * dynamic ones (kept by event-driven re-evaluation and the time-relative refresh, so that entries and exits
 * can be told apart). Counts and profile lists of dynamic segments are always computed live.
 *
 * Indexes that make the common conditions fast:
 * - `profiles_fields_gin` (jsonb_path_ops): `{field: "fields.x", op: "eq"}` compiles to `fields @> {"x": v}`,
 *   which this index answers without a scan of all profiles.
 * - `profiles_subscriptions_gin` (jsonb_path_ops): `{subscription: {channel, status}}` compiles to
 *   `subscriptions @> {"email": "subscribed"}`.
 * - `events_name_time_profile` (name, occurred_at) INCLUDE (profile_id): `{event, within, count}` compiles to
 *   `p.id IN (SELECT profile_id FROM events WHERE name = $ AND occurred_at >= $ GROUP BY profile_id HAVING …)`,
 *   an index-only range scan of one event name's recent rows (core's events_name_time cannot skip the heap).
 * - `events_profile_time` (core): single-profile re-evaluation (`profile_id = ANY($ids)` inside the same subquery).
 * - `segment_members` primary key (segment_id, profile_id): static-segment and `{segment: id}` membership;
 *   `segment_members_profile`: a profile's segments, and cleanup when a profile goes.
 * - `segments_refresh_at`: the time-relative refresh task claims due segments by this index.
 */
export default `
CREATE TABLE segments (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  description text,
  type text NOT NULL CHECK (type IN ('dynamic', 'static')),
  conditions jsonb,
  refs uuid[] NOT NULL DEFAULT '{}',
  dependencies text[] NOT NULL DEFAULT '{}',
  time_relative boolean NOT NULL DEFAULT false,
  refresh_at timestamptz,
  refreshed_at timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX segments_refresh_at ON segments (refresh_at) WHERE refresh_at IS NOT NULL;

CREATE TABLE segment_members (
  segment_id uuid NOT NULL REFERENCES segments (id) ON DELETE CASCADE,
  profile_id uuid NOT NULL,
  since timestamptz NOT NULL,
  PRIMARY KEY (segment_id, profile_id)
);
CREATE INDEX segment_members_profile ON segment_members (profile_id);

CREATE INDEX profiles_fields_gin ON profiles USING gin (fields jsonb_path_ops);
CREATE INDEX profiles_subscriptions_gin ON profiles USING gin (subscriptions jsonb_path_ops);
-- the covering index serves every query core's events_name_time served: keep one, not two, on the hot insert path
DROP INDEX IF EXISTS events_name_time;
CREATE INDEX events_name_time_profile ON events (name, occurred_at) INCLUDE (profile_id);
`;
