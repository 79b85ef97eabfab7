import { sql, type Selectable } from 'kysely';
import type { ScenarioDefinition } from '../domain/scenarios/model.js';
import type { Executor } from './db.js';
import { newId } from './ids.js';
import type { ScenarioInstancesTable, ScenariosTable } from './schema.js';
import type { TimelineEntry } from './timeline.js';

/** Scenario definitions, their versions and lifecycle. Instances and their history are in scenario-instances.ts. */
export type ScenarioRow = Selectable<ScenariosTable>;
export type ScenarioStatus = ScenarioRow['status'];
export type Layout = Record<string, { x: number; y: number }>;

export interface ScenarioWrite {
  name: string;
  description: string | null;
  layout: Layout | null;
  template_key?: string | null;
}

const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));

export async function insertScenario(ex: Executor, w: ScenarioWrite, def: ScenarioDefinition, now: Date): Promise<ScenarioRow> {
  const id = newId();
  const row = await ex
    .insertInto('scenarios')
    .values({
      id,
      name: w.name,
      description: w.description,
      layout: json(w.layout),
      template_key: w.template_key ?? null,
      status: 'draft',
      version: 1,
      live_version: null,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await ex.insertInto('scenario_versions').values({ scenario_id: id, version: 1, definition: JSON.stringify(def), created_at: now }).execute();
  return row;
}

export async function getScenario(ex: Executor, id: string, forUpdate = false): Promise<ScenarioRow | undefined> {
  let q = ex.selectFrom('scenarios').selectAll().where('id', '=', id);
  if (forUpdate) q = q.forUpdate();
  return q.executeTakeFirst();
}

export async function listScenarios(ex: Executor, limit: number, after?: string, status?: string): Promise<ScenarioRow[]> {
  let q = ex.selectFrom('scenarios').selectAll().orderBy('id', 'desc').limit(limit);
  if (after) q = q.where('id', '<', after);
  if (status) q = q.where('status', '=', status as ScenarioStatus);
  return q.execute();
}

export async function getVersion(ex: Executor, scenarioId: string, version: number): Promise<ScenarioDefinition | undefined> {
  const r = await ex
    .selectFrom('scenario_versions')
    .select('definition')
    .where('scenario_id', '=', scenarioId)
    .where('version', '=', version)
    .executeTakeFirst();
  return r?.definition as unknown as ScenarioDefinition | undefined;
}

export async function listVersions(ex: Executor, scenarioId: string) {
  return ex.selectFrom('scenario_versions').selectAll().where('scenario_id', '=', scenarioId).orderBy('version', 'desc').execute();
}

/**
 * Saves an edit. A draft's one version is replaced; a scenario that has run gets a new version (instances
 * stay on theirs) which new instances use at once (`live_version`). Call it with the scenario row locked.
 */
export async function saveEdit(ex: Executor, cur: ScenarioRow, w: ScenarioWrite, def: ScenarioDefinition, now: Date): Promise<ScenarioRow> {
  let version = cur.version;
  if (cur.status === 'draft') {
    await ex
      .updateTable('scenario_versions')
      .set({ definition: JSON.stringify(def), created_at: now })
      .where('scenario_id', '=', cur.id)
      .where('version', '=', version)
      .execute();
  } else {
    version++;
    await ex.insertInto('scenario_versions').values({ scenario_id: cur.id, version, definition: JSON.stringify(def), created_at: now }).execute();
  }
  return ex
    .updateTable('scenarios')
    .set({
      name: w.name,
      description: w.description,
      layout: json(w.layout),
      version,
      live_version: cur.status === 'draft' ? cur.live_version : version,
      updated_at: now,
    })
    .where('id', '=', cur.id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export interface StatusChange {
  status: ScenarioStatus;
  live_version?: number;
  activated_at?: Date;
  paused_at?: Date | null;
  stopped_at?: Date;
}

/** Moves the scenario from one of `from` to a new status in one conditional UPDATE; undefined when it was elsewhere. */
export async function changeStatus(ex: Executor, id: string, from: readonly ScenarioStatus[], to: StatusChange, now: Date): Promise<ScenarioRow | undefined> {
  return ex
    .updateTable('scenarios')
    .set({ ...to, updated_at: now })
    .where('id', '=', id)
    .where('status', 'in', [...from])
    .returningAll()
    .executeTakeFirst();
}

/** Scenarios whose instances may run (active) and those whose instances hold (paused), with a change stamp. */
export async function liveScenarios(ex: Executor): Promise<{ id: string; status: ScenarioStatus; live_version: number | null; updated_at: Date }[]> {
  return ex.selectFrom('scenarios').select(['id', 'status', 'live_version', 'updated_at']).where('status', 'in', ['active', 'paused']).execute();
}

/** Versions that still have live instances, per scenario (the runtime needs their definitions). */
export async function versionsInUse(ex: Executor, scenarioId: string): Promise<number[]> {
  const r = await sql<{ version: number }>`
    SELECT DISTINCT version FROM scenario_instances
    WHERE scenario_id = ${scenarioId} AND status IN ('active', 'waiting', 'calling')`.execute(ex);
  return r.rows.map((x) => x.version);
}

// ---------------------------------------------------------------------------------------------------
// Event interest: which event names a scenario listens to.

export async function setInterest(ex: Executor, scenarioId: string, start: string[], live: string[]): Promise<void> {
  await ex.deleteFrom('scenario_event_interest').where('scenario_id', '=', scenarioId).execute();
  const rows = [
    ...[...new Set(start)].map((event_name) => ({ event_name, scenario_id: scenarioId, kind: 'start' as const })),
    ...[...new Set(live)].map((event_name) => ({ event_name, scenario_id: scenarioId, kind: 'live' as const })),
  ];
  if (rows.length) await ex.insertInto('scenario_event_interest').values(rows).onConflict((oc) => oc.doNothing()).execute();
}

export async function interestedNames(ex: Executor): Promise<{ event_name: string; scenario_id: string; kind: 'start' | 'live' }[]> {
  return ex.selectFrom('scenario_event_interest').selectAll().execute();
}

// ---------------------------------------------------------------------------------------------------
// Once-only firings (dates, cron times, field dates)

/** Records a firing; false when it was recorded before (another worker, an earlier run). */
export async function markFired(ex: Executor, scenarioId: string, nodeId: string, key: string, now: Date): Promise<boolean> {
  const r = await ex
    .insertInto('scenario_fired')
    .values({ scenario_id: scenarioId, node_id: nodeId, key, fired_at: now })
    .onConflict((oc) => oc.doNothing())
    .returning('key')
    .executeTakeFirst();
  return r !== undefined;
}

export async function markFiredMany(ex: Executor, scenarioId: string, nodeId: string, keys: string[], now: Date): Promise<Set<string>> {
  if (!keys.length) return new Set();
  const r = await sql<{ key: string }>`
    INSERT INTO scenario_fired (scenario_id, node_id, key, fired_at)
    SELECT ${scenarioId}, ${nodeId}, k, ${now} FROM unnest(${sql.val(keys)}::text[]) AS k
    ON CONFLICT DO NOTHING RETURNING key`.execute(ex);
  return new Set(r.rows.map((x) => x.key));
}

export type InstanceRow = Selectable<ScenarioInstancesTable>;

/** The scenario steps of a profile on its timeline. */
export async function scenarioTimeline(ex: Executor, profileId: string, before: TimelineEntry | null, limit: number): Promise<TimelineEntry[]> {
  let q = ex
    .selectFrom('scenario_history as h')
    .innerJoin('scenarios as s', 's.id', 'h.scenario_id')
    .select(['h.id', 'h.instance_id', 'h.scenario_id', 'h.version', 'h.node_id', 'h.outcome', 'h.at', 's.name'])
    .where('h.profile_id', '=', profileId)
    .orderBy('h.at', 'desc')
    .orderBy('h.id', 'desc')
    .limit(limit);
  if (before) q = q.where('h.at', '<=', new Date(before.at));
  const rows = await q.execute();
  return rows
    .map((r) => ({
      id: `scenario-step-${String(r.id).padStart(12, '0')}`,
      at: new Date(r.at).toISOString(),
      kind: 'scenario_step',
      title: `scenario ${r.name}: ${r.node_id} ${r.outcome}`,
      data: { scenario_id: r.scenario_id, version: r.version, instance_id: r.instance_id, node_id: r.node_id, outcome: r.outcome },
    }))
    .filter((e) => !before || e.at < before.at || (e.at === before.at && e.id < before.id));
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Every UUID-shaped string anywhere in the nodes' configs (the ids a definition may refer to). */
export function referencedIds(def: ScenarioDefinition): string[] {
  const out = new Set<string>();
  const walk = (v: unknown) => {
    if (typeof v === 'string') {
      if (UUID_RE.test(v)) out.add(v.toLowerCase());
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  for (const n of Array.isArray(def.nodes) ? def.nodes : []) walk(n?.config);
  return [...out];
}

/** Which of the ids exist as templates, promo pools, segments, loyalty programs and promotions. */
export async function existingRefs(ex: Executor, ids: string[]) {
  const empty = { templates: new Set<string>(), pools: new Set<string>(), segments: new Set<string>(), programs: new Set<string>(), promotions: new Set<string>() };
  if (!ids.length) return empty;
  const of = async (table: 'message_templates' | 'promo_pools' | 'segments' | 'loyalty_programs' | 'loyalty_promotions') =>
    new Set((await ex.selectFrom(table).select('id').where('id', 'in', ids).execute()).map((r) => r.id as string));
  const [templates, pools, segments, programs, promotions] = await Promise.all([
    of('message_templates'),
    of('promo_pools'),
    of('segments'),
    of('loyalty_programs'),
    of('loyalty_promotions'),
  ]);
  return { templates, pools, segments, programs, promotions };
}
