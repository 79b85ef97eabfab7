import type { AppContext } from '../../context.js';
import type { Fault, ScenarioDefinition } from '../../domain/scenarios/model.js';
import { validate } from '../../domain/scenarios/validate.js';
import type { Executor, Tx } from '../../store/db.js';
import { stopInstances } from '../../store/scenario-instances.js';
import {
  changeStatus,
  existingRefs,
  getScenario,
  getVersion,
  referencedIds,
  setInterest,
  versionsInUse,
  type ScenarioRow,
  type ScenarioStatus,
} from '../../store/scenarios.js';
import { SEGMENT_ENTERED } from '../segments.js';
import { SCENARIO_STEP_TASK } from './launch.js';
import { scenarioRegistry } from './registry.js';

export type ScenarioAction = 'activate' | 'pause' | 'resume' | 'stop';

export class ScenarioRefusal extends Error {
  constructor(
    readonly slug: string,
    message: string,
    readonly faults: Fault[] = [],
  ) {
    super(message);
  }
}

export class ScenarioNotFound extends Error {}

/** Every fault of the definition, node references checked against the database. */
export async function faultsOf(ex: Executor, def: ScenarioDefinition): Promise<Fault[]> {
  const refs = await existingRefs(ex, referencedIds(def));
  return validate(def, refs);
}

export async function assertValid(ex: Executor, def: ScenarioDefinition): Promise<void> {
  const faults = await faultsOf(ex, def);
  if (faults.length) throw new ScenarioRefusal('scenario-invalid', `The scenario has ${faults.length} fault${faults.length > 1 ? 's' : ''}; each is listed with its node.`, faults);
}

/** Event names of the start nodes (while active) and of the waits, exits and goals of versions with live instances. */
export function interestOf(defs: ScenarioDefinition[], live: ScenarioDefinition | undefined, active: boolean): { start: string[]; live: string[] } {
  const start: string[] = [];
  const wanted: string[] = [];
  if (live && active)
    for (const n of live.nodes) {
      if (n.type === 'trigger.event' && typeof n.config?.event === 'string') start.push(n.config.event);
      if (n.type === 'trigger.segment_entry') start.push(SEGMENT_ENTERED);
    }
  for (const d of [...defs, ...(live ? [live] : [])]) {
    for (const n of d.nodes) if (n.type === 'wait_event' && typeof n.config?.event === 'string') wanted.push(n.config.event);
    for (const r of d.settings.exit_on ?? []) wanted.push(r.event);
    if (d.settings.goal?.event) wanted.push(d.settings.goal.event);
  }
  return { start, live: wanted };
}

/** Recomputes which events the scenario listens to (after any lifecycle change or new version). */
export async function refreshInterest(ex: Executor, s: ScenarioRow): Promise<void> {
  if (s.status === 'stopped' || s.status === 'draft' || !s.live_version) return setInterest(ex, s.id, [], []);
  const versions = await versionsInUse(ex, s.id);
  const defs = (await Promise.all(versions.map((v) => getVersion(ex, s.id, v)))).filter((d): d is ScenarioDefinition => !!d);
  const live = await getVersion(ex, s.id, s.live_version);
  const i = interestOf(defs, live, s.status === 'active');
  await setInterest(ex, s.id, i.start, i.live);
}

const FROM: Record<ScenarioAction, readonly ScenarioStatus[]> = {
  activate: ['draft'],
  pause: ['active'],
  resume: ['paused'],
  stop: ['draft', 'active', 'paused'],
};

/**
 * Lifecycle: activate (draft → active, the definition validated with its references), pause (instances
 * hold: the runtime takes none of them; waits that come due meanwhile go on at resume), resume, stop
 * (every live instance exits). Each move is one conditional UPDATE on the locked scenario row.
 */
export async function scenarioAction(ctx: AppContext, id: string, action: ScenarioAction): Promise<ScenarioRow> {
  const now = ctx.clock.now();
  const row = await ctx.db.transaction().execute(async (tx: Tx) => {
    const s = await getScenario(tx, id, true);
    if (!s) throw new ScenarioNotFound();
    if (!FROM[action].includes(s.status)) {
      if (action === 'activate' && s.status === 'paused') throw new ScenarioRefusal('scenario-paused', 'The scenario is paused; resume it.');
      throw new ScenarioRefusal(`scenario-${s.status}`, `A ${s.status} scenario cannot ${action}.`);
    }
    let next: ScenarioRow | undefined;
    switch (action) {
      case 'activate': {
        const def = await getVersion(tx, s.id, s.version);
        if (!def) throw new Error(`scenario ${s.id} has no version ${s.version}`);
        await assertValid(tx, def);
        next = await changeStatus(tx, s.id, FROM.activate, { status: 'active', live_version: s.version, activated_at: now, paused_at: null }, now);
        break;
      }
      case 'pause':
        next = await changeStatus(tx, s.id, FROM.pause, { status: 'paused', paused_at: now }, now);
        break;
      case 'resume': {
        const def = await getVersion(tx, s.id, s.version);
        if (def) await assertValid(tx, def);
        next = await changeStatus(tx, s.id, FROM.resume, { status: 'active', paused_at: null, live_version: s.version }, now);
        break;
      }
      case 'stop':
        next = await changeStatus(tx, s.id, FROM.stop, { status: 'stopped', stopped_at: now }, now);
        if (next) await stopInstances(tx, s.id, now);
        break;
    }
    if (!next) throw new ScenarioRefusal('scenario-changed', 'The scenario changed meanwhile; try again.');
    await refreshInterest(tx, next);
    return next;
  });
  await scenarioRegistry(ctx).changed();
  if (action === 'resume' || action === 'activate') await ctx.work.announce(SCENARIO_STEP_TASK);
  return row;
}
