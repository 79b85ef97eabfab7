import { sql } from 'kysely';
import type { AppContext } from '../../context.js';
import type { ScenarioDefinition, ScenarioNode } from '../../domain/scenarios/model.js';
import { DEFAULT_TIMEZONE, isTimezone, nextFieldDate, nextScheduleRun, parseInstant } from '../../domain/scenarios/time.js';
import { getScenario, markFired, markFiredMany, type ScenarioRow } from '../../store/scenarios.js';
import { getSegment, matchingIds, membershipCondition, referencedSegments } from '../../store/segments.js';
import type { WorkTask } from '../work-loop.js';
import { launchInstances } from './launch.js';
import { scenarioRegistry } from './registry.js';

export const SCENARIO_TRIGGERS_TASK = 'scenario-triggers';
const PAGE = 1_000;
/** A cron time missed by more than this (all workers down) is not fired late. */
const CATCH_UP_MS = 24 * 3_600_000;

/** Enters every member of the segment at the start node, a page of members at a time. */
export async function enterSegment(ctx: AppContext, s: ScenarioRow, node: ScenarioNode, segmentId: string, data: Record<string, unknown>): Promise<number> {
  const seg = await getSegment(ctx.db, segmentId);
  if (!seg) return 0;
  const now = ctx.clock.now();
  const cond = membershipCondition(seg, { now, scope: null, segments: await referencedSegments(ctx.db, seg.conditions) });
  const ids = await matchingIds(ctx.db, cond);
  let entered = 0;
  for (let i = 0; i < ids.length; i += PAGE) {
    const r = await launchInstances(
      ctx,
      s.id,
      ids.slice(i, i + PAGE).map((profile_id) => ({ profile_id, data })),
      { node: () => node },
    );
    entered += r.filter((x) => x.instance_id && !x.skipped).length;
  }
  return entered;
}

/** `trigger.date {at, segment_id}`: once, when `at` has come. */
async function fireDate(ctx: AppContext, s: ScenarioRow, node: ScenarioNode, now: Date): Promise<number> {
  const at = parseInstant(node.config?.at);
  if (!at || at.getTime() > now.getTime()) return 0;
  if (!(await markFired(ctx.db, s.id, node.id, `date:${at.toISOString()}`, now))) return 0;
  return enterSegment(ctx, s, node, String(node.config?.segment_id), { trigger: { node_id: node.id, at: at.toISOString() } });
}

/** `trigger.schedule {cron, segment_id, timezone}`: each cron time since the scenario was activated, once whatever the number of workers. */
async function fireSchedule(ctx: AppContext, s: ScenarioRow, node: ScenarioNode, def: ScenarioDefinition, now: Date): Promise<number> {
  const cron = String(node.config?.cron ?? '');
  const tzRaw = node.config?.timezone ?? def.settings.timezone;
  const tz = isTimezone(tzRaw) ? tzRaw : DEFAULT_TIMEZONE;
  const from = new Date(Math.max(new Date(s.activated_at ?? now).getTime(), now.getTime() - CATCH_UP_MS) - 1);
  let due: Date | null = null;
  for (let t = nextScheduleRun(cron, tz, from); t && t.getTime() <= now.getTime(); t = nextScheduleRun(cron, tz, t)) due = t;
  if (!due) return 0;
  if (!(await markFired(ctx.db, s.id, node.id, `cron:${due.toISOString()}`, now))) return 0;
  return enterSegment(ctx, s, node, String(node.config?.segment_id), { trigger: { node_id: node.id, at: due.toISOString() } });
}

/**
 * `trigger.field_date {field, offset?, time?, yearly?}`: profiles whose date field, moved by the offset, is
 * due at the time of day in the profile's time zone (`fields.timezone`, else the scenario's); each profile
 * once per occurrence. Yearly (birthdays, anniversaries) unless `yearly: false`.
 */
async function fireFieldDates(ctx: AppContext, s: ScenarioRow, node: ScenarioNode, def: ScenarioDefinition, now: Date): Promise<number> {
  const field = String(node.config?.field ?? '').replace(/^fields\./, '');
  if (!field) return 0;
  const offset = typeof node.config?.offset === 'string' ? node.config.offset : null;
  const time = typeof node.config?.time === 'string' ? node.config.time : null;
  const yearly = node.config?.yearly !== false;
  const fallbackTz = isTimezone(def.settings.timezone) ? def.settings.timezone : DEFAULT_TIMEZONE;
  const windowStart = new Date(now.getTime() - 24 * 3_600_000);
  let entered = 0;
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const r = await sql<{ id: string; v: unknown; tz: unknown }>`
      SELECT id, fields -> ${field} AS v, fields -> 'timezone' AS tz FROM profiles
      WHERE erased_at IS NULL AND fields ? ${field} AND id > ${after}::uuid ORDER BY id LIMIT ${5_000}`.execute(ctx.db);
    if (!r.rows.length) break;
    after = r.rows[r.rows.length - 1].id;
    const due: { id: string; key: string }[] = [];
    for (const p of r.rows) {
      const tz = isTimezone(p.tz) ? p.tz : fallbackTz;
      let at: Date | null = null;
      try {
        at = nextFieldDate(p.v, offset, time, tz, windowStart, yearly);
      } catch {
        at = null;
      }
      if (at && at.getTime() <= now.getTime()) due.push({ id: p.id, key: `${p.id}:${at.toISOString()}` });
    }
    const fresh = await markFiredMany(ctx.db, s.id, node.id, due.map((d) => d.key), now);
    const launches = due.filter((d) => fresh.has(d.key)).map((d) => ({ profile_id: d.id, data: { trigger: { node_id: node.id, field } } }));
    if (launches.length) entered += (await launchInstances(ctx, s.id, launches, { node: () => node })).filter((x) => x.instance_id && !x.skipped).length;
    if (r.rows.length < 5_000) break;
  }
  return entered;
}

/** Time-based start nodes of active scenarios: dates, cron schedules, field dates. */
export async function fireTimeTriggers(ctx: AppContext, now: Date, fieldDates: boolean): Promise<number> {
  const registry = scenarioRegistry(ctx);
  let n = 0;
  for (const id of await registry.activeIds()) {
    const live = await registry.scenario(id);
    if (!live?.live_version) continue;
    const def = await registry.definition(id, live.live_version);
    if (!def) continue;
    const nodes = def.nodes.filter((x) => x.type === 'trigger.date' || x.type === 'trigger.schedule' || (fieldDates && x.type === 'trigger.field_date'));
    if (!nodes.length) continue;
    const s = await getScenario(ctx.db, id);
    if (!s || s.status !== 'active') continue;
    for (const node of nodes) {
      if (node.type === 'trigger.date') n += await fireDate(ctx, s, node, now);
      else if (node.type === 'trigger.schedule') n += await fireSchedule(ctx, s, node, def, now);
      else n += await fireFieldDates(ctx, s, node, def, now);
    }
  }
  return n;
}

/** Checks dates and cron times every few seconds, field dates every minute (a scan of the profiles holding the field). */
export function scenarioTriggersTask(ctx: AppContext): WorkTask {
  let lastFieldScan = 0;
  return {
    name: SCENARIO_TRIGGERS_TASK,
    batchSize: Number.MAX_SAFE_INTEGER,
    idleMs: 2_000,
    run: async (_limit, now) => {
      const fieldDates = now.getTime() - lastFieldScan >= 60_000;
      if (fieldDates) lastFieldScan = now.getTime();
      await fireTimeTriggers(ctx, now, fieldDates);
      return 0;
    },
  };
}
