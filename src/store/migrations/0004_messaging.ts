/** Messaging: templates, channels, messages (the transactional outbox), settings, action hooks and their deliveries. */
export default `
CREATE TABLE message_templates (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  channel text NOT NULL,
  format text NOT NULL,
  subject text,
  preheader text,
  from_address text,
  title text,
  url text,
  parse_mode text,
  body text NOT NULL,
  compiled_body text NOT NULL,
  transactional boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX message_templates_name ON message_templates (name);

CREATE TABLE message_channels (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  type text NOT NULL,
  provider text NOT NULL,
  config jsonb NOT NULL DEFAULT '{}'::jsonb,
  secrets text,
  is_default boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX message_channels_type ON message_channels (type, created_at DESC);

CREATE TABLE messages (
  id uuid PRIMARY KEY,
  profile_id uuid NOT NULL,
  template_id uuid,
  channel text NOT NULL,
  channel_id uuid,
  provider text NOT NULL,
  to_address text,
  subject text,
  body text,
  text_body text,
  extra jsonb NOT NULL DEFAULT '{}'::jsonb,
  transactional boolean NOT NULL DEFAULT false,
  status text NOT NULL,
  reason text,
  deferred_reason text,
  attempts integer NOT NULL DEFAULT 0,
  due_at timestamptz,
  scheduled_at timestamptz NOT NULL,
  provider_response jsonb,
  dedupe_key text NOT NULL,
  scenario_id uuid,
  scenario_version integer,
  node_id text,
  instance_id uuid,
  campaign_id text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  sent_at timestamptz
);
CREATE UNIQUE INDEX messages_dedupe_key ON messages (dedupe_key);
CREATE INDEX messages_due ON messages (due_at) WHERE due_at IS NOT NULL;
CREATE INDEX messages_profile_time ON messages (profile_id, created_at DESC, id DESC);
CREATE INDEX messages_profile_scheduled ON messages (profile_id, scheduled_at) WHERE transactional = false;
CREATE INDEX messages_scenario ON messages (scenario_id, created_at DESC) WHERE scenario_id IS NOT NULL;
CREATE INDEX messages_status ON messages (status, id DESC);

CREATE TABLE app_settings (
  key text PRIMARY KEY,
  value jsonb NOT NULL,
  updated_at timestamptz NOT NULL
);

CREATE TABLE app_secrets (
  name text PRIMARY KEY,
  value text NOT NULL,
  created_at timestamptz NOT NULL
);

CREATE TABLE action_hooks (
  id uuid PRIMARY KEY,
  name text,
  events text[] NOT NULL,
  target_type text NOT NULL,
  target jsonb NOT NULL,
  secrets text,
  active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);

CREATE TABLE hook_deliveries (
  id uuid PRIMARY KEY,
  hook_id uuid NOT NULL REFERENCES action_hooks (id) ON DELETE CASCADE,
  event_id uuid NOT NULL,
  event_type text NOT NULL,
  event_date timestamptz NOT NULL,
  profile_id uuid NOT NULL,
  event_data jsonb NOT NULL DEFAULT '{}'::jsonb,
  status text NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  due_at timestamptz,
  last_error text,
  created_at timestamptz NOT NULL,
  delivered_at timestamptz
);
CREATE UNIQUE INDEX hook_deliveries_hook_event ON hook_deliveries (hook_id, event_id);
CREATE INDEX hook_deliveries_due ON hook_deliveries (due_at) WHERE due_at IS NOT NULL;
`;
