/**
 * Campaigns: broadcast, regular (cron) and trigger (API) mailings, their runs and recipients.
 *
 * - `campaigns`: the definition and its lifecycle; `next_run_at` is when the scheduler starts the next run
 *   (the broadcast's `at`, the regular campaign's next cron time), served by `campaigns_next_run`.
 * - `campaign_runs`: one per broadcast, one per cron firing of a regular campaign, one for a trigger
 *   campaign's API sends. `(campaign_id, scheduled_for)` is unique so that a cron time runs once whatever
 *   the number of workers. The throttle window and the test-then-winner decision live on the run.
 * - `campaign_recipients`: the audience snapshot, one row per profile and run (`seq` 0; API sends of a
 *   trigger campaign number their rows from `campaign_send_seq`), written by one INSERT … SELECT in profile
 *   order (so that the primary key grows at its right edge instead of splitting pages all over). `grp` is
 *   `all` (no test), `test`, `rest` (waits for the winner), `control` or `global_control`; `status` moves
 *   `pending` (due) → `sent` | `skipped` (with `reason`); `scheduled` (due later: the profile's local time)
 *   and `held` (the rest, before the winner) → `pending`; `control` and `canceled` are final. No foreign
 *   key: the snapshot writes a million rows without a lookup per row; runs delete their recipients themselves.
 * - Delivery claims a run's pending rows along the primary key (FOR UPDATE SKIP LOCKED), each worker going
 *   on after its previous claim. `campaign_runs.remaining` counts what is not done yet (decremented in each
 *   batch's transaction), so that finding the runs that are done reads no recipients.
 * - `campaign_recipients_later`: only the rows waiting for a time or for the winner, so that a plain
 *   broadcast writes no second index at all.
 */
export default `
CREATE TABLE campaigns (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('broadcast', 'regular', 'trigger')),
  status text NOT NULL CHECK (status IN ('draft', 'scheduled', 'running', 'paused', 'completed', 'canceled')),
  channel text NOT NULL,
  variants jsonb NOT NULL,
  audience jsonb,
  schedule jsonb,
  send_in_profile_timezone boolean NOT NULL DEFAULT false,
  control_percent numeric(5, 2) NOT NULL DEFAULT 0,
  throttle_per_minute integer,
  winner_selection jsonb,
  goal jsonb,
  data jsonb NOT NULL DEFAULT '{}'::jsonb,
  next_run_at timestamptz,
  started_at timestamptz,
  paused_at timestamptz,
  completed_at timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX campaigns_next_run ON campaigns (next_run_at) WHERE next_run_at IS NOT NULL;
CREATE INDEX campaigns_status ON campaigns (status, id);

CREATE TABLE campaign_runs (
  id uuid PRIMARY KEY,
  campaign_id uuid NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
  scheduled_for timestamptz NOT NULL,
  status text NOT NULL CHECK (status IN ('sending', 'completed', 'canceled')),
  audience integer NOT NULL DEFAULT 0,
  remaining integer NOT NULL DEFAULT 0,
  rest integer NOT NULL DEFAULT 0,
  snapshot_ms integer,
  test_sent_at timestamptz,
  winner_due_at timestamptz,
  winner_variant smallint,
  winner_results jsonb,
  throttle_window timestamptz,
  throttle_count integer NOT NULL DEFAULT 0,
  started_at timestamptz NOT NULL,
  completed_at timestamptz,
  UNIQUE (campaign_id, scheduled_for)
);
CREATE INDEX campaign_runs_sending ON campaign_runs (campaign_id) WHERE status = 'sending';

CREATE SEQUENCE campaign_send_seq;

CREATE TABLE campaign_recipients (
  run_id uuid NOT NULL,
  profile_id uuid NOT NULL,
  seq bigint NOT NULL DEFAULT 0,
  grp text NOT NULL,
  variant smallint,
  status text NOT NULL,
  reason text,
  message_id uuid,
  deferred boolean NOT NULL DEFAULT false,
  due_at timestamptz,
  done_at timestamptz,
  PRIMARY KEY (run_id, profile_id, seq)
);
CREATE INDEX campaign_recipients_later ON campaign_recipients (run_id, due_at) WHERE status IN ('scheduled', 'held');
`;
