/**
 * Segments over orders, loyalty and RFM: per-profile RFM scores, the refresh schedule, and the index the
 * order conditions need.
 *
 * `rfm_scores` holds one row per profile with a counted order (not canceled, not fully refunded) in the
 * last 365 days: its recency, frequency and monetary quintiles (`ntile(5)`, 5 = most recent / most orders /
 * most spent), and the figures they came from (monetary in minor units). `rfm_refresh` is a single row: when scores were last
 * computed and when the scheduled refresh is next due (claimed under its row lock, so one worker computes).
 *
 * Indexes that make the common conditions fast:
 * - `market_orders_time_segments` (created_at) INCLUDE (profile_id, status, total, refunded_total):
 *   `{orders: {count|total_spent, within}}` compiles to `p.id IN (SELECT profile_id FROM market_orders
 *   WHERE status <> ALL(…) AND created_at >= $ GROUP BY 1 HAVING …)`, an index-only range scan of the window;
 *   the RFM computation reads the last 365 days the same way.
 * - `market_orders_profile_totals` (profile_id, created_at) INCLUDE (status, total, refunded_total): an orders
 *   condition next to a narrowing one (`{all: [{event: …, within: …}, {orders: {total_spent: …}}]}`) compiles
 *   to `EXISTS (SELECT 1 FROM market_orders WHERE profile_id = p.id … HAVING …)`, an index-only look at each
 *   remaining profile's orders; the single-profile load and narrow query (`profile_id = ANY($ids)`) read it too.
 * - `loyalty_members` unique (program_id, profile_id) (loyalty): `{loyalty: {program_id, …}}` reads one
 *   program's members. Deliberately no index on balance or tier: they change on every ledger write, and an
 *   index on them would cost every accrual and redemption (no HOT updates).
 * - `rfm_scores` primary key (profile_id): the narrow query and `rfmOf`; a full `{rfm}` count scans the
 *   small scores table once.
 */
export default `
CREATE TABLE rfm_scores (
  profile_id uuid PRIMARY KEY,
  r smallint NOT NULL CHECK (r BETWEEN 1 AND 5),
  f smallint NOT NULL CHECK (f BETWEEN 1 AND 5),
  m smallint NOT NULL CHECK (m BETWEEN 1 AND 5),
  last_order_at timestamptz NOT NULL,
  orders integer NOT NULL,
  monetary bigint NOT NULL
);

CREATE TABLE rfm_refresh (
  id smallint PRIMARY KEY CHECK (id = 1),
  refreshed_at timestamptz,
  next_at timestamptz NOT NULL,
  scored integer NOT NULL DEFAULT 0
);
INSERT INTO rfm_refresh (id, refreshed_at, next_at) VALUES (1, NULL, '1970-01-01T00:00:00Z');

CREATE INDEX market_orders_time_segments ON market_orders (created_at) INCLUDE (profile_id, status, total, refunded_total);
CREATE INDEX market_orders_profile_totals ON market_orders (profile_id, created_at) INCLUDE (status, total, refunded_total);
`;
