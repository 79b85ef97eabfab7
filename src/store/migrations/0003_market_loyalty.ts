/** Market catalogue and orders; loyalty programs, members, transactions and the points ledger. */
export default `
CREATE TABLE market_categories (
  id text PRIMARY KEY,
  name text NOT NULL,
  parent_id text,
  updated_at timestamptz NOT NULL
);
CREATE INDEX market_categories_parent ON market_categories (parent_id);

CREATE TABLE market_products (
  id text PRIMARY KEY,
  name text NOT NULL,
  price bigint NOT NULL,
  old_price bigint,
  currency text,
  categories text[] NOT NULL DEFAULT '{}',
  url text,
  picture text,
  vendor text,
  params jsonb NOT NULL DEFAULT '{}'::jsonb,
  available boolean NOT NULL DEFAULT true,
  skus jsonb NOT NULL DEFAULT '[]'::jsonb,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX market_products_categories ON market_products USING gin (categories);

CREATE TABLE market_orders (
  id text PRIMARY KEY,
  profile_id uuid NOT NULL,
  program_id uuid,
  status text NOT NULL,
  channel text,
  currency text,
  subtotal bigint NOT NULL DEFAULT 0,
  discount_total bigint NOT NULL DEFAULT 0,
  points_redeemed integer NOT NULL DEFAULT 0,
  points_redeemed_value bigint NOT NULL DEFAULT 0,
  total bigint NOT NULL DEFAULT 0,
  points_accrued integer NOT NULL DEFAULT 0,
  refunded_total bigint NOT NULL DEFAULT 0,
  applied_promotions jsonb NOT NULL DEFAULT '[]'::jsonb,
  request_hash text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX market_orders_profile ON market_orders (profile_id, created_at DESC, id DESC);
CREATE INDEX market_orders_program_time ON market_orders (program_id, created_at);

CREATE TABLE market_order_items (
  order_id text NOT NULL,
  line integer NOT NULL,
  product_id text NOT NULL,
  sku_id text,
  quantity integer NOT NULL,
  price bigint NOT NULL,
  discount bigint NOT NULL DEFAULT 0,
  total bigint NOT NULL,
  points_accrued integer NOT NULL DEFAULT 0,
  points_redeemed integer NOT NULL DEFAULT 0,
  refunded_quantity integer NOT NULL DEFAULT 0,
  promotions jsonb NOT NULL DEFAULT '[]'::jsonb,
  PRIMARY KEY (order_id, line)
);

CREATE TABLE loyalty_programs (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  currency text NOT NULL,
  welcome_points integer NOT NULL DEFAULT 0,
  point_value bigint NOT NULL,
  points_rounding text NOT NULL,
  points_ttl text,
  accrual_hold text,
  redeem_max_share text NOT NULL,
  tiers jsonb NOT NULL DEFAULT '[]'::jsonb,
  tier_window text NOT NULL,
  expiry_notice text NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);

CREATE TABLE loyalty_members (
  id uuid PRIMARY KEY,
  program_id uuid NOT NULL REFERENCES loyalty_programs (id),
  profile_id uuid NOT NULL,
  tier text,
  balance integer NOT NULL DEFAULT 0 CHECK (balance >= 0),
  pending integer NOT NULL DEFAULT 0,
  joined_at timestamptz NOT NULL,
  tier_due_at timestamptz,
  updated_at timestamptz NOT NULL,
  UNIQUE (program_id, profile_id)
);
CREATE INDEX loyalty_members_profile ON loyalty_members (profile_id);
CREATE INDEX loyalty_members_tier_due ON loyalty_members (tier_due_at) WHERE tier_due_at IS NOT NULL;

CREATE TABLE loyalty_entries (
  id uuid PRIMARY KEY,
  program_id uuid NOT NULL,
  member_id uuid NOT NULL,
  profile_id uuid NOT NULL,
  kind text NOT NULL,
  points integer NOT NULL,
  balance_after integer NOT NULL CHECK (balance_after >= 0),
  takes jsonb NOT NULL,
  reverses_id uuid,
  reversed integer NOT NULL DEFAULT 0,
  transaction_id uuid,
  order_id text,
  promotion_id uuid,
  reason text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL,
  expires_at timestamptz
);
CREATE INDEX loyalty_entries_member ON loyalty_entries (member_id, created_at DESC, id DESC);
CREATE INDEX loyalty_entries_profile ON loyalty_entries (profile_id, created_at DESC, id DESC);
CREATE INDEX loyalty_entries_order ON loyalty_entries (order_id) WHERE order_id IS NOT NULL;
CREATE INDEX loyalty_entries_reverses ON loyalty_entries (reverses_id) WHERE reverses_id IS NOT NULL;
CREATE INDEX loyalty_entries_program_time ON loyalty_entries (program_id, created_at);

CREATE TABLE loyalty_lots (
  id uuid PRIMARY KEY,
  program_id uuid NOT NULL,
  member_id uuid NOT NULL,
  remaining integer NOT NULL CHECK (remaining >= 0),
  expires_at timestamptz,
  notify_at timestamptz,
  notified boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL
);
CREATE INDEX loyalty_lots_open ON loyalty_lots (member_id, expires_at) WHERE remaining > 0;
CREATE INDEX loyalty_lots_expiry ON loyalty_lots (expires_at) WHERE remaining > 0;
CREATE INDEX loyalty_lots_notice ON loyalty_lots (notify_at) WHERE remaining > 0 AND NOT notified;

CREATE TABLE loyalty_transactions (
  id uuid PRIMARY KEY,
  program_id uuid NOT NULL,
  member_id uuid NOT NULL,
  kind text NOT NULL,
  status text NOT NULL,
  points integer NOT NULL,
  reversed integer NOT NULL DEFAULT 0,
  reason text NOT NULL DEFAULT '',
  external_id text,
  request_hash text,
  hold_until timestamptz,
  release_at timestamptz,
  expires_at timestamptz,
  promotion_id uuid,
  order_id text,
  entry_id uuid,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX loyalty_transactions_external ON loyalty_transactions (program_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX loyalty_transactions_hold ON loyalty_transactions (hold_until) WHERE status = 'held';
CREATE INDEX loyalty_transactions_release ON loyalty_transactions (release_at) WHERE status = 'pending';
CREATE INDEX loyalty_transactions_order ON loyalty_transactions (order_id) WHERE order_id IS NOT NULL;
`;
