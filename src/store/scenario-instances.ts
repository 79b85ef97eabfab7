import { sql } from 'kysely';
import type { Executor } from './db.js';
import type { InstanceRow } from './scenarios.js';

/** Scenario instances, their history and the events delivered to them; the scenario runtime's SQL. */

export const LIVE_STATUSES = ['active', 'waiting', 'calling'] as const;

export interface NewInstance {
  id: string;
  scenario_id: string;
  version: number;
  profile_id: string;
  status: InstanceRow['status'];
  node_id: string;
  data: Record<string, unknown>;
  state: Record<string, unknown>;
  wake_at: Date | null;
  holdout: boolean;
  reason: string | null;
  entered_at: Date;
  finished_at: Date | null;
}

export interface HistoryRow {
  instance_id: string;
  scenario_id: string;
  version: number;
  profile_id: string;
  node_id: string;
  outcome: string;
  at: Date;
}

/**
 * Serialises launches per (scenario, profile) for the rest of the transaction: reentry and the
 * max-active rule read the profile's instances and insert under this lock, so two launches never race.
 * Keys are taken in one sorted order, so concurrent batches cannot deadlock.
 */
export async function lockLaunches(ex: Executor, scenarioId: string, profileIds: string[]): Promise<void> {
  if (!profileIds.length) return;
  const keys = [...new Set(profileIds)].map((p) => `scenario:${scenarioId}:${p}`);
  await sql`
    SELECT pg_advisory_xact_lock(k) FROM (
      SELECT hashtextextended(x, 0) AS k FROM unnest(${sql.val(keys)}::text[]) AS x ORDER BY 1
    ) s`.execute(ex);
}

/** Every instance of these profiles in the scenario (for reentry decisions), oldest first. */
export async function instancesOfProfiles(ex: Executor, scenarioId: string, profileIds: string[]) {
  if (!profileIds.length) return [];
  return ex
    .selectFrom('scenario_instances')
    .select(['id', 'profile_id', 'status', 'holdout', 'entered_at'])
    .where('scenario_id', '=', scenarioId)
    .where('profile_id', 'in', profileIds)
    .orderBy('entered_at')
    .execute();
}

const INSTANCE_COLUMNS: [keyof NewInstance, string][] = [
  ['id', 'uuid'],
  ['scenario_id', 'uuid'],
  ['version', 'int4'],
  ['profile_id', 'uuid'],
  ['status', 'text'],
  ['node_id', 'text'],
  ['data', 'jsonb'],
  ['state', 'jsonb'],
  ['wake_at', 'timestamptz'],
  ['holdout', 'bool'],
  ['reason', 'text'],
  ['entered_at', 'timestamptz'],
  ['finished_at', 'timestamptz'],
];

const cell = (v: unknown) => (v instanceof Date ? v.toISOString() : v !== null && typeof v === 'object' ? JSON.stringify(v) : v);

/** Inserts instances in one statement (arrays, so a batch of thousands is a handful of parameters). */
export async function insertInstances(ex: Executor, rows: NewInstance[]): Promise<void> {
  if (!rows.length) return;
  const names = INSTANCE_COLUMNS.map(([c]) => c);
  const arrays = INSTANCE_COLUMNS.map(([c, t]) => sql`${sql.val(rows.map((r) => cell(r[c])))}::${sql.raw(t)}[]`);
  await sql`
    INSERT INTO scenario_instances (${sql.raw(names.join(', '))}, updated_at)
    SELECT *, t.entered_at FROM unnest(${sql.join(arrays)}) AS t(${sql.raw(names.join(', '))})`.execute(ex);
}

export async function insertHistory(ex: Executor, rows: HistoryRow[]): Promise<void> {
  if (!rows.length) return;
  await sql`
    INSERT INTO scenario_history (instance_id, scenario_id, version, profile_id, node_id, outcome, at)
    SELECT * FROM unnest(
      ${sql.val(rows.map((r) => r.instance_id))}::uuid[],
      ${sql.val(rows.map((r) => r.scenario_id))}::uuid[],
      ${sql.val(rows.map((r) => r.version))}::int4[],
      ${sql.val(rows.map((r) => r.profile_id))}::uuid[],
      ${sql.val(rows.map((r) => r.node_id))}::text[],
      ${sql.val(rows.map((r) => r.outcome))}::text[],
      ${sql.val(rows.map((r) => r.at.toISOString()))}::timestamptz[])`.execute(ex);
}

/** Ends live instances (restart, stop); returns their ids. */
export async function endInstances(ex: Executor, ids: string[], status: 'exited' | 'completed', reason: string, now: Date) {
  if (!ids.length) return [];
  const r = await ex
    .updateTable('scenario_instances')
    .set({ status, reason, wake_at: null, finished_at: now, updated_at: now })
    .where('id', 'in', ids)
    .where('status', 'in', [...LIVE_STATUSES])
    .returning(['id', 'scenario_id', 'version', 'profile_id', 'node_id'])
    .execute();
  return r;
}

/** Ends every live instance of a stopped scenario, with a history entry each; returns how many. */
export async function stopInstances(ex: Executor, scenarioId: string, now: Date): Promise<number> {
  const r = await sql<{ n: number }>`
    WITH ended AS (
      UPDATE scenario_instances SET status = 'exited', reason = 'stopped', wake_at = NULL, finished_at = ${now}, updated_at = ${now}
      WHERE scenario_id = ${scenarioId} AND status IN ('active', 'waiting', 'calling')
      RETURNING id, scenario_id, version, profile_id, node_id
    ), h AS (
      INSERT INTO scenario_history (instance_id, scenario_id, version, profile_id, node_id, outcome, at)
      SELECT id, scenario_id, version, profile_id, node_id, 'exited: scenario stopped', ${now} FROM ended
    )
    SELECT count(*)::int AS n FROM ended`.execute(ex);
  return r.rows[0]?.n ?? 0;
}

/** Due live instances of running scenarios, locked for this worker (others skip them). */
export async function claimDueInstances(ex: Executor, scenarioIds: string[], now: Date, limit: number): Promise<InstanceRow[]> {
  if (!scenarioIds.length) return [];
  const r = await sql<InstanceRow>`
    SELECT * FROM scenario_instances
    WHERE status IN ('active', 'waiting') AND wake_at <= ${now} AND scenario_id = ANY(${sql.val(scenarioIds)}::uuid[])
    ORDER BY wake_at
    LIMIT ${limit}
    FOR UPDATE SKIP LOCKED`.execute(ex);
  return r.rows;
}

/** Instances whose webhook call is due (new, to retry, or whose caller died), locked for this worker. */
export async function claimDueCalls(ex: Executor, scenarioIds: string[], now: Date, limit: number): Promise<InstanceRow[]> {
  if (!scenarioIds.length) return [];
  const r = await sql<InstanceRow>`
    SELECT * FROM scenario_instances
    WHERE status = 'calling' AND wake_at <= ${now} AND scenario_id = ANY(${sql.val(scenarioIds)}::uuid[])
    ORDER BY wake_at
    LIMIT ${limit}
    FOR UPDATE SKIP LOCKED`.execute(ex);
  return r.rows;
}

export async function leaseCalls(ex: Executor, ids: string[], until: Date): Promise<void> {
  if (!ids.length) return;
  await ex.updateTable('scenario_instances').set({ wake_at: until }).where('id', 'in', ids).execute();
}

/** One instance, locked (the webhook answer path); undefined when another worker holds it. */
export async function lockInstance(ex: Executor, id: string): Promise<InstanceRow | undefined> {
  const r = await sql<InstanceRow>`SELECT * FROM scenario_instances WHERE id = ${id} FOR UPDATE SKIP LOCKED`.execute(ex);
  return r.rows[0];
}

export interface InstanceUpdate {
  id: string;
  status: InstanceRow['status'];
  node_id: string;
  data: Record<string, unknown>;
  state: Record<string, unknown>;
  wake_at: Date | null;
  goal_reached: boolean;
  reason: string | null;
  finished_at: Date | null;
}

/** Writes the new state of stepped instances in one statement; each step counts one more in `steps`. */
export async function updateInstances(ex: Executor, rows: InstanceUpdate[], now: Date): Promise<void> {
  if (!rows.length) return;
  await sql`
    UPDATE scenario_instances i SET
      status = u.status, node_id = u.node_id, data = u.data, state = u.state, wake_at = u.wake_at,
      goal_reached = i.goal_reached OR u.goal_reached, reason = u.reason, finished_at = u.finished_at,
      steps = i.steps + 1, updated_at = ${now}
    FROM unnest(
      ${sql.val(rows.map((r) => r.id))}::uuid[],
      ${sql.val(rows.map((r) => r.status))}::text[],
      ${sql.val(rows.map((r) => r.node_id))}::text[],
      ${sql.val(rows.map((r) => JSON.stringify(r.data)))}::jsonb[],
      ${sql.val(rows.map((r) => JSON.stringify(r.state)))}::jsonb[],
      ${sql.val(rows.map((r) => (r.wake_at ? r.wake_at.toISOString() : null)))}::timestamptz[],
      ${sql.val(rows.map((r) => r.goal_reached))}::bool[],
      ${sql.val(rows.map((r) => r.reason))}::text[],
      ${sql.val(rows.map((r) => (r.finished_at ? r.finished_at.toISOString() : null)))}::timestamptz[]
    ) AS u(id, status, node_id, data, state, wake_at, goal_reached, reason, finished_at)
    WHERE i.id = u.id`.execute(ex);
}

// ---------------------------------------------------------------------------------------------------
// Events

export interface QueuedEvent {
  id: number;
  event_id: string;
  profile_id: string;
  name: string;
  properties: Record<string, unknown>;
  occurred_at: Date;
}

/** Events queued for scenario matching, oldest first, locked for this worker; deleted in the same transaction. */
export async function takeQueuedEvents(ex: Executor, limit: number): Promise<QueuedEvent[]> {
  const r = await sql<QueuedEvent>`
    DELETE FROM scenario_event_queue WHERE id IN (
      SELECT id FROM scenario_event_queue ORDER BY id LIMIT ${limit} FOR UPDATE SKIP LOCKED
    ) RETURNING id, event_id, profile_id, name, properties, occurred_at`.execute(ex);
  return r.rows.sort((a, b) => Number(a.id) - Number(b.id));
}

export async function queuedEventCount(ex: Executor): Promise<number> {
  const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM scenario_event_queue`.execute(ex);
  return r.rows[0].n;
}

/** Live instances of these profiles in these scenarios (the ones an event may concern). */
export async function liveInstancesOf(ex: Executor, scenarioIds: string[], profileIds: string[]) {
  if (!scenarioIds.length || !profileIds.length) return [];
  return ex
    .selectFrom('scenario_instances')
    .select(['id', 'scenario_id', 'profile_id', 'status'])
    .where('profile_id', 'in', [...new Set(profileIds)])
    .where('scenario_id', 'in', scenarioIds)
    .where('status', 'in', [...LIVE_STATUSES])
    .execute();
}

export interface DeliveredEvent {
  instance_id: string;
  name: string;
  properties: Record<string, unknown>;
  occurred_at: Date;
}

/** Hands events to instances and makes them due now (their next step reads the events first). */
export async function deliverEvents(ex: Executor, rows: DeliveredEvent[], now: Date): Promise<void> {
  if (!rows.length) return;
  await sql`
    INSERT INTO scenario_instance_events (instance_id, name, properties, occurred_at)
    SELECT * FROM unnest(
      ${sql.val(rows.map((r) => r.instance_id))}::uuid[],
      ${sql.val(rows.map((r) => r.name))}::text[],
      ${sql.val(rows.map((r) => JSON.stringify(r.properties)))}::jsonb[],
      ${sql.val(rows.map((r) => r.occurred_at.toISOString()))}::timestamptz[])`.execute(ex);
  // due now; a waiting instance keeps its own timer in `state.timer` (the step reads it back)
  await sql`
    UPDATE scenario_instances
    SET wake_at = ${now},
      state = CASE WHEN wake_at IS NOT NULL AND NOT (state ? 'timer') THEN jsonb_set(state, '{timer}', to_jsonb(wake_at)) ELSE state END
    WHERE id = ANY(${sql.val([...new Set(rows.map((r) => r.instance_id))])}::uuid[])
      AND status IN ('active', 'waiting') AND (wake_at IS NULL OR wake_at > ${now})`.execute(ex);
}

/** The events delivered to these instances, in order, removed (the caller's step consumes them). */
export async function takeInstanceEvents(ex: Executor, instanceIds: string[]): Promise<Map<string, DeliveredEvent[]>> {
  const out = new Map<string, DeliveredEvent[]>();
  if (!instanceIds.length) return out;
  const r = await sql<DeliveredEvent & { id: number }>`
    DELETE FROM scenario_instance_events WHERE instance_id = ANY(${sql.val(instanceIds)}::uuid[])
    RETURNING id, instance_id, name, properties, occurred_at`.execute(ex);
  for (const e of r.rows.sort((a, b) => Number(a.id) - Number(b.id))) {
    const list = out.get(e.instance_id) ?? [];
    list.push({ ...e, occurred_at: new Date(e.occurred_at) });
    out.set(e.instance_id, list);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Reads

export async function instancesOf(ex: Executor, scenarioId: string, f: { profile_id?: string; status?: string }, limit: number, after?: string) {
  let q = ex.selectFrom('scenario_instances').selectAll().where('scenario_id', '=', scenarioId).orderBy('id', 'desc').limit(limit);
  if (f.profile_id) q = q.where('profile_id', '=', f.profile_id);
  if (f.status) q = q.where('status', 'in', (f.status === 'active' ? ['active', 'calling'] : [f.status]) as InstanceRow['status'][]);
  if (after) q = q.where('id', '<', after);
  return q.execute();
}

export async function getInstance(ex: Executor, id: string) {
  return ex.selectFrom('scenario_instances').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function historyOf(ex: Executor, instanceIds: string[]): Promise<Map<string, { node_id: string; at: Date; outcome: string }[]>> {
  const out = new Map<string, { node_id: string; at: Date; outcome: string }[]>();
  if (!instanceIds.length) return out;
  const rows = await ex
    .selectFrom('scenario_history')
    .select(['instance_id', 'node_id', 'at', 'outcome'])
    .where('instance_id', 'in', instanceIds)
    .orderBy('id')
    .execute();
  for (const r of rows) {
    const list = out.get(r.instance_id) ?? [];
    list.push({ node_id: r.node_id, at: new Date(r.at), outcome: r.outcome });
    out.set(r.instance_id, list);
  }
  return out;
}

/** Instance counts by status (holdout and goals apart), exact, for one version or all. */
export async function instanceCounts(ex: Executor, scenarioId: string, version?: number) {
  const v = version === undefined ? sql`` : sql` AND version = ${version}`;
  const r = await sql<{ entered: number; active: number; completed: number; exited: number; failed: number; goals: number; holdout: number }>`
    SELECT count(*)::int AS entered,
      count(*) FILTER (WHERE status IN ('active', 'waiting', 'calling'))::int AS active,
      count(*) FILTER (WHERE status = 'completed')::int AS completed,
      count(*) FILTER (WHERE status = 'exited')::int AS exited,
      count(*) FILTER (WHERE status = 'failed')::int AS failed,
      count(*) FILTER (WHERE goal_reached)::int AS goals,
      count(*) FILTER (WHERE holdout)::int AS holdout
    FROM scenario_instances WHERE scenario_id = ${scenarioId}${v}`.execute(ex);
  return r.rows[0];
}

/** History outcomes per node, and instances waiting per node. */
export async function nodeCounts(ex: Executor, scenarioId: string, version?: number) {
  const v = version === undefined ? sql`` : sql` AND version = ${version}`;
  const outcomes = await sql<{ node_id: string; outcome: string; n: number }>`
    SELECT node_id, outcome, count(*)::int AS n FROM scenario_history WHERE scenario_id = ${scenarioId}${v} GROUP BY 1, 2`.execute(ex);
  const waiting = await sql<{ node_id: string; n: number }>`
    SELECT node_id, count(*)::int AS n FROM scenario_instances
    WHERE scenario_id = ${scenarioId}${v} AND status IN ('waiting', 'calling') GROUP BY 1`.execute(ex);
  return { outcomes: outcomes.rows, waiting: waiting.rows };
}

/** A webhook call to be tried again at `wake`: the attempt count and the last error kept in the state. */
export async function retryCallLater(ex: Executor, row: InstanceRow, wake: Date, state: Record<string, unknown>, now: Date): Promise<void> {
  await ex.updateTable('scenario_instances').set({ wake_at: wake, state: JSON.stringify(state), updated_at: now }).where('id', '=', row.id).execute();
}

/** Ends an instance that could not be stepped (its own error, not its batch's) as failed, with the reason on its history. */
export async function failInstance(ex: Executor, id: string, reason: string, now: Date): Promise<void> {
  const row = await ex.selectFrom('scenario_instances').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  if (!row || !['active', 'waiting', 'calling'].includes(row.status)) return;
  await ex
    .updateTable('scenario_instances')
    .set({ status: 'failed', reason: reason.slice(0, 500), wake_at: null, finished_at: now, updated_at: now, steps: row.steps + 1 })
    .where('id', '=', id)
    .execute();
  await insertHistory(ex, [{ instance_id: id, scenario_id: row.scenario_id, version: row.version, profile_id: row.profile_id, node_id: row.node_id, outcome: `failed: ${reason.slice(0, 200)}`, at: now }]);
}
