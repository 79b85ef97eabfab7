/**
 * Promotions, partner products and the checkout's records.
 *
 * - `loyalty_promotions`: the settings as written (benefit and limits as JSON, amounts in minor units).
 *   `uses` and `points_given` are counted only for promotions with limits: each commit that applies one
 *   bumps them in one conditional UPDATE whose WHERE clause carries the limits, so parallel commits can
 *   never pass `total_uses` or `budget_points`. Unlimited promotions take no row lock at checkout.
 * - `loyalty_promotion_members`: uses per member of promotions with a per-member limit (written under the
 *   member row lock every checkout and trigger takes first, so no race).
 * - `loyalty_promotion_versions`: one counter per program, bumped by every change to its promotions or
 *   partner products; caches compare it to know when to reload.
 * - `market_checkouts`: the first answer of each `preorder_commit` by `order_id` with the hash of its
 *   request, so a repeat returns it and another body is refused; what a cancel or refund gave back to the
 *   promotions' counters (`uses_released`, `points_released` per promotion) so nothing is given back twice.
 * - `loyalty_programs.timezone`: the zone order conditions read weekday and hour in.
 * - `market_catalogue_version`: one counter that every statement writing products or categories bumps
 *   (a statement trigger, in the writing transaction), so the checkout can keep the catalogue in memory
 *   and read only the counter: it becomes visible together with the change it counts.
 */
export default `
ALTER TABLE loyalty_programs ADD COLUMN timezone text NOT NULL DEFAULT 'UTC';

CREATE TABLE loyalty_promotions (
  id uuid PRIMARY KEY,
  program_id uuid NOT NULL REFERENCES loyalty_programs (id),
  name text NOT NULL,
  type text NOT NULL,
  priority integer NOT NULL,
  combinable boolean NOT NULL,
  starts_at timestamptz,
  ends_at timestamptz,
  status text NOT NULL,
  conditions jsonb,
  applies_to jsonb,
  promo_code_pool_id uuid,
  benefit jsonb NOT NULL,
  limits jsonb NOT NULL,
  limit_total_uses integer,
  limit_budget_points bigint,
  uses integer NOT NULL DEFAULT 0,
  points_given bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX loyalty_promotions_program ON loyalty_promotions (program_id, created_at, id);

CREATE TABLE loyalty_promotion_members (
  promotion_id uuid NOT NULL,
  member_id uuid NOT NULL,
  uses integer NOT NULL,
  PRIMARY KEY (member_id, promotion_id)
);

CREATE TABLE loyalty_promotion_versions (
  program_id uuid PRIMARY KEY,
  version bigint NOT NULL
);

CREATE TABLE loyalty_partner_products (
  program_id uuid NOT NULL REFERENCES loyalty_programs (id),
  product_id text NOT NULL,
  cashback_percent numeric,
  discount_percent numeric,
  starts_at timestamptz,
  ends_at timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (program_id, product_id)
);

CREATE TABLE market_checkouts (
  order_id text PRIMARY KEY,
  program_id uuid NOT NULL,
  profile_id uuid NOT NULL,
  member_id uuid NOT NULL,
  request_hash text NOT NULL,
  calculation_id text NOT NULL,
  result jsonb NOT NULL,
  uses_released boolean NOT NULL DEFAULT false,
  points_released jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL
);

CREATE TABLE market_catalogue_version (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  version bigint NOT NULL
);
INSERT INTO market_catalogue_version (id, version) VALUES (true, 1);

CREATE FUNCTION market_catalogue_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE market_catalogue_version SET version = version + 1;
  RETURN NULL;
END
$$;
CREATE TRIGGER market_products_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON market_products
  FOR EACH STATEMENT EXECUTE FUNCTION market_catalogue_changed();
CREATE TRIGGER market_categories_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON market_categories
  FOR EACH STATEMENT EXECUTE FUNCTION market_catalogue_changed();
`;
