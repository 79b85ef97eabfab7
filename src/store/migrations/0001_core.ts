/** Platform core: tokens, idempotency, profiles, events, long-running jobs. */
export default `
CREATE TABLE api_tokens (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  scopes text[] NOT NULL,
  token_hash text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL,
  last_used_at timestamptz
);

CREATE TABLE idempotency_keys (
  token_id uuid NOT NULL,
  key text NOT NULL,
  method text NOT NULL,
  path text NOT NULL,
  body_hash text NOT NULL,
  status_code integer,
  response_headers jsonb,
  response_body text,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (token_id, key)
);
CREATE INDEX idempotency_keys_expires_at ON idempotency_keys (expires_at);

CREATE TABLE profiles (
  id uuid PRIMARY KEY,
  email text,
  email_norm text,
  phone text,
  external_id text,
  fields jsonb NOT NULL DEFAULT '{}'::jsonb,
  subscriptions jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  erased_at timestamptz
);
CREATE UNIQUE INDEX profiles_email_norm ON profiles (email_norm) WHERE email_norm IS NOT NULL;
CREATE UNIQUE INDEX profiles_phone ON profiles (phone) WHERE phone IS NOT NULL;
CREATE UNIQUE INDEX profiles_external_id ON profiles (external_id) WHERE external_id IS NOT NULL;

CREATE TABLE events (
  id uuid PRIMARY KEY,
  profile_id uuid NOT NULL,
  name text NOT NULL,
  properties jsonb NOT NULL DEFAULT '{}'::jsonb,
  occurred_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL,
  event_id text
);
CREATE UNIQUE INDEX events_event_id ON events (event_id) WHERE event_id IS NOT NULL;
CREATE INDEX events_profile_time ON events (profile_id, occurred_at DESC, id DESC);
CREATE INDEX events_name_time ON events (name, occurred_at);

CREATE TABLE jobs (
  id uuid PRIMARY KEY,
  kind text NOT NULL,
  status text NOT NULL,
  done bigint NOT NULL DEFAULT 0,
  total bigint,
  result jsonb,
  error text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
`;
