/**
 * Scenarios (customer journeys): definitions with versions, instances, their history and the events
 * they wait for.
 *
 * - `scenarios`: name, lifecycle status (draft → active ⇄ paused → stopped), the latest `version` and the
 *   `live_version` new instances start on (the latest one activated), the editor's `layout`.
 * - `scenario_versions`: one immutable definition per version; instances name theirs.
 * - `scenario_instances`: one per profile run through a scenario. Due work is `wake_at <= now` among live
 *   instances (`scenario_instances_due`), claimed FOR UPDATE SKIP LOCKED; `calling` marks an instance
 *   whose webhook call is in flight (committed before the call, so no row lock is held over HTTP).
 *   `steps` counts the instance's step transactions: the dedupe key of a send names it, so a retried step
 *   never sends twice.
 * - `scenario_history`: every step of every instance (node, outcome), the instance's history, the
 *   timeline's scenario entries and the source of the per-node stats.
 * - `scenario_event_interest`: which event names some scenario listens to (a start node, a wait, exit_on,
 *   goal), kept by the engine on every lifecycle change.
 * - `scenario_event_queue`: events of those names, queued by the database in the very transaction that
 *   stores the event (so a crash loses none, whichever process stored it); the event task matches them
 *   against start nodes and the profile's live instances.
 * - `scenario_instance_events`: events delivered to one instance, consumed by its next step.
 * - `scenario_fired`: trigger firings done once (a date, a cron time, a field date per profile and day).
 */
export default `
CREATE TABLE scenarios (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  description text,
  status text NOT NULL CHECK (status IN ('draft', 'active', 'paused', 'stopped')),
  version integer NOT NULL DEFAULT 1,
  live_version integer,
  layout jsonb,
  template_key text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  activated_at timestamptz,
  paused_at timestamptz,
  stopped_at timestamptz
);
CREATE INDEX scenarios_status ON scenarios (status, id);

CREATE TABLE scenario_versions (
  scenario_id uuid NOT NULL REFERENCES scenarios (id) ON DELETE CASCADE,
  version integer NOT NULL,
  definition jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (scenario_id, version)
);

CREATE TABLE scenario_instances (
  id uuid PRIMARY KEY,
  scenario_id uuid NOT NULL REFERENCES scenarios (id) ON DELETE CASCADE,
  version integer NOT NULL,
  profile_id uuid NOT NULL,
  status text NOT NULL CHECK (status IN ('active', 'waiting', 'calling', 'completed', 'exited', 'failed')),
  node_id text NOT NULL,
  data jsonb NOT NULL DEFAULT '{}'::jsonb,
  state jsonb NOT NULL DEFAULT '{}'::jsonb,
  wake_at timestamptz,
  steps integer NOT NULL DEFAULT 0,
  holdout boolean NOT NULL DEFAULT false,
  goal_reached boolean NOT NULL DEFAULT false,
  reason text,
  entered_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  finished_at timestamptz
);
CREATE INDEX scenario_instances_due ON scenario_instances (wake_at) WHERE status IN ('active', 'waiting') AND wake_at IS NOT NULL;
CREATE INDEX scenario_instances_calling ON scenario_instances (wake_at) WHERE status = 'calling';
CREATE INDEX scenario_instances_profile ON scenario_instances (profile_id, scenario_id, entered_at);
CREATE INDEX scenario_instances_scenario ON scenario_instances (scenario_id, version, status, node_id);

CREATE TABLE scenario_history (
  id bigserial PRIMARY KEY,
  instance_id uuid NOT NULL,
  scenario_id uuid NOT NULL,
  version integer NOT NULL,
  profile_id uuid NOT NULL,
  node_id text NOT NULL,
  outcome text NOT NULL,
  at timestamptz NOT NULL
);
CREATE INDEX scenario_history_instance ON scenario_history (instance_id, id);
CREATE INDEX scenario_history_scenario ON scenario_history (scenario_id, version, node_id);
CREATE INDEX scenario_history_profile ON scenario_history (profile_id, at DESC, id DESC);

CREATE TABLE scenario_event_interest (
  event_name text NOT NULL,
  scenario_id uuid NOT NULL REFERENCES scenarios (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('start', 'live')),
  PRIMARY KEY (event_name, scenario_id, kind)
);

CREATE TABLE scenario_event_queue (
  id bigserial PRIMARY KEY,
  event_id uuid NOT NULL,
  profile_id uuid NOT NULL,
  name text NOT NULL,
  properties jsonb NOT NULL,
  occurred_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL
);

CREATE TABLE scenario_instance_events (
  id bigserial PRIMARY KEY,
  instance_id uuid NOT NULL,
  name text NOT NULL,
  properties jsonb NOT NULL,
  occurred_at timestamptz NOT NULL
);
CREATE INDEX scenario_instance_events_instance ON scenario_instance_events (instance_id, id);

CREATE TABLE scenario_fired (
  scenario_id uuid NOT NULL REFERENCES scenarios (id) ON DELETE CASCADE,
  node_id text NOT NULL,
  key text NOT NULL,
  fired_at timestamptz NOT NULL,
  PRIMARY KEY (scenario_id, node_id, key)
);

CREATE FUNCTION queue_scenario_events() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO scenario_event_queue (event_id, profile_id, name, properties, occurred_at, created_at)
  SELECT e.id, e.profile_id, e.name, e.properties, e.occurred_at, e.received_at
  FROM new_events e
  WHERE EXISTS (SELECT 1 FROM scenario_event_interest i WHERE i.event_name = e.name);
  RETURN NULL;
END
$fn$;

CREATE TRIGGER events_queue_scenario_events AFTER INSERT ON events
  REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION queue_scenario_events();
`;
