/**
 * Promo code pools. `promo_codes.code` is the primary key: a code is unique across every pool, for ever
 * (deleted codes keep their row). Pools are never hard-deleted, so codes carry no foreign key (it would
 * cost a lookup per row on million-code generations). `seq` orders codes by creation: lists page on it and
 * the (pool, status, seq) index grows at its right edge, which keeps bulk inserts cheap.
 */
export default `
CREATE TABLE promo_pools (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  template_name text NOT NULL,
  generator jsonb,
  valid_from timestamptz,
  valid_to timestamptz,
  code_ttl text,
  max_codes bigint,
  multi_profile boolean NOT NULL DEFAULT false,
  auto_link boolean NOT NULL DEFAULT false,
  scenario_can_create boolean NOT NULL DEFAULT false,
  campaign_can_create boolean NOT NULL DEFAULT false,
  custom_fields jsonb NOT NULL DEFAULT '[]'::jsonb,
  status text NOT NULL DEFAULT 'active',
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX promo_pools_template_name ON promo_pools (lower(template_name));

CREATE TABLE promo_codes (
  code text PRIMARY KEY,
  pool_id uuid NOT NULL,
  status text NOT NULL DEFAULT 'available',
  profile_id uuid,
  issued_at timestamptz,
  expires_at timestamptz,
  redeemed_at timestamptz,
  order_id text,
  fields jsonb,
  created_at timestamptz NOT NULL,
  seq bigint GENERATED ALWAYS AS IDENTITY (CACHE 1000)
);
CREATE INDEX promo_codes_pool_status ON promo_codes (pool_id, status, seq);
CREATE UNIQUE INDEX promo_codes_one_issued_per_profile ON promo_codes (pool_id, profile_id) WHERE status = 'issued' AND profile_id IS NOT NULL;
CREATE INDEX promo_codes_profile ON promo_codes (profile_id) WHERE profile_id IS NOT NULL;
CREATE INDEX promo_codes_expiry ON promo_codes (expires_at) WHERE status = 'issued' AND expires_at IS NOT NULL;

CREATE TABLE promo_code_holders (
  code text NOT NULL,
  profile_id uuid NOT NULL,
  pool_id uuid NOT NULL,
  issued_at timestamptz NOT NULL,
  expires_at timestamptz,
  redeemed_at timestamptz,
  order_id text,
  PRIMARY KEY (code, profile_id)
);
CREATE INDEX promo_code_holders_pool_profile ON promo_code_holders (pool_id, profile_id);

CREATE TABLE promo_code_events (
  id uuid PRIMARY KEY,
  profile_id uuid NOT NULL,
  pool_id uuid NOT NULL,
  code text NOT NULL,
  kind text NOT NULL,
  at timestamptz NOT NULL,
  data jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX promo_code_events_profile_time ON promo_code_events (profile_id, at DESC, id DESC);
`;
