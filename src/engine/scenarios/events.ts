import type { AppContext } from '../../context.js';
import { dataFromEvent, eventMatchesStart } from '../../domain/scenarios/matching.js';
import type { ScenarioEvent, ScenarioNode } from '../../domain/scenarios/model.js';
import type { Tx } from '../../store/db.js';
import { deliverEvents, liveInstancesOf, takeQueuedEvents, type DeliveredEvent, type QueuedEvent } from '../../store/scenario-instances.js';
import { getScenario, interestedNames } from '../../store/scenarios.js';
import { SEGMENT_ENTERED } from '../segments.js';
import type { WorkTask } from '../work-loop.js';
import { launchInstances, SCENARIO_STEP_TASK } from './launch.js';
import { scenarioRegistry } from './registry.js';

export const SCENARIO_EVENTS_TASK = 'scenario-events';

/** True when this start node is started by the event (`trigger.event` by name and where, `trigger.segment_entry` by segment). */
export function startedBy(node: ScenarioNode, ev: ScenarioEvent): boolean {
  if (node.type === 'trigger.event') return eventMatchesStart(node, ev);
  if (node.type === 'trigger.segment_entry') return ev.name === SEGMENT_ENTERED && ev.properties?.segment_id === node.config?.segment_id;
  return false;
}

/**
 * Matches queued events (queued by the database in the transaction that stored each event, whichever process
 * stored it) in one transaction per batch: an event starts instances at the matching start nodes of active
 * scenarios, and is handed to the live instances of the profile in scenarios that listen to its name (a
 * wait_event, exit_on or goal), which become due at once. The cost of an event is the scenarios that listen
 * to its name and the profile's instances in them.
 */
export async function matchQueuedEvents(ctx: AppContext, limit: number): Promise<number> {
  let delivered = false;
  const n = await ctx.db.transaction().execute(async (tx) => {
    const events = await takeQueuedEvents(tx, limit);
    if (!events.length) return 0;
    const interest = await interestedNames(tx);
    const startBy = new Map<string, Set<string>>();
    const liveBy = new Map<string, Set<string>>();
    for (const i of interest) {
      const m = i.kind === 'start' ? startBy : liveBy;
      (m.get(i.event_name) ?? m.set(i.event_name, new Set()).get(i.event_name)!).add(i.scenario_id);
    }
    // Live instances first (an event that starts an instance is not also delivered to it).
    const deliveries: DeliveredEvent[] = [];
    const liveScenarios = [...new Set(events.flatMap((e) => [...(liveBy.get(e.name) ?? [])]))];
    if (liveScenarios.length) {
      const instances = await liveInstancesOf(tx, liveScenarios, events.filter((e) => liveBy.has(e.name)).map((e) => e.profile_id));
      const byProfile = new Map<string, typeof instances>();
      for (const i of instances) (byProfile.get(i.profile_id) ?? byProfile.set(i.profile_id, []).get(i.profile_id)!).push(i);
      for (const e of events) {
        const wanted = liveBy.get(e.name);
        if (!wanted) continue;
        for (const i of byProfile.get(e.profile_id) ?? [])
          if (wanted.has(i.scenario_id)) deliveries.push({ instance_id: i.id, name: e.name, properties: e.properties, occurred_at: new Date(e.occurred_at) });
      }
      await deliverEvents(tx, deliveries, ctx.clock.now());
    }
    const started = await startInstances(ctx, tx, events, startBy);
    delivered = deliveries.length > 0 || started > 0;
    return events.length;
  });
  if (delivered) await ctx.work.announce(SCENARIO_STEP_TASK);
  return n;
}

/** Starts instances at the start nodes the events match; returns how many entered (announced by the caller after commit). */
async function startInstances(ctx: AppContext, tx: Tx, events: QueuedEvent[], startBy: Map<string, Set<string>>): Promise<number> {
  let entered = 0;
  const registry = scenarioRegistry(ctx);
  const byScenario = new Map<string, QueuedEvent[]>();
  for (const e of events) for (const sid of startBy.get(e.name) ?? []) (byScenario.get(sid) ?? byScenario.set(sid, []).get(sid)!).push(e);
  for (const [sid, evs] of byScenario) {
    const s = await getScenario(tx, sid);
    if (!s || s.status !== 'active' || !s.live_version) continue;
    const def = await registry.definition(s.id, s.live_version, tx);
    if (!def) continue;
    const starts = def.nodes.filter((n) => n.type === 'trigger.event' || n.type === 'trigger.segment_entry');
    for (const node of starts) {
      const launches = evs
        .map((e) => ({ e, ev: { name: e.name, properties: e.properties, at: new Date(e.occurred_at) } as ScenarioEvent }))
        .filter(({ ev }) => startedBy(node, ev))
        .map(({ e, ev }) => ({ profile_id: e.profile_id, data: node.type === 'trigger.event' ? { ...dataFromEvent(ev), event: { name: ev.name, properties: ev.properties } } : { segment_id: ev.properties.segment_id } }));
      if (launches.length) entered += (await launchInstances(ctx, s.id, launches, { tx, scenario: s, node: () => node })).filter((r) => r.instance_id && !r.skipped).length;
    }
  }
  return entered;
}

/** Matches queued events; subscribes to the bus so an event this process stored wakes the task at once. */
export function scenarioEventsTask(ctx: AppContext): WorkTask {
  const registry = scenarioRegistry(ctx);
  ctx.bus.on('events', async (events) => {
    for (const e of events)
      if (await registry.interested(e.name)) {
        await ctx.work.announce(SCENARIO_EVENTS_TASK);
        return;
      }
  });
  return { name: SCENARIO_EVENTS_TASK, batchSize: 1_000, idleMs: 500, run: (limit) => matchQueuedEvents(ctx, limit) };
}
