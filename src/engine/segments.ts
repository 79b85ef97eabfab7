import type { AppContext } from '../context.js';
import type { ConditionNode } from '../domain/conditions/tree.js';
import { factsNeeded } from '../domain/segments/facts-needed.js';
import { changesOfEvent, dependencyIndex, LEDGER_CHANGES, ORDER_CHANGES } from '../domain/segments/index-of-dependencies.js';
import { segmentLanguage, type SegmentRef } from '../domain/segments/leaves.js';
import { allowLargeSorts, type Executor, type Tx } from '../store/db.js';
import {
  addMembers,
  claimDueRefreshes,
  loadEvaluationState,
  lockProfilesForMembership,
  markRefreshed,
  membershipsOf,
  profilesCreatedAt,
  membershipCondition,
  referencedSegments,
  removeMembers,
  segmentGraph,
  syncMembers,
  type MemberChange,
} from '../store/segments.js';
import { ingestEvents } from './ingest.js';
import type { WorkTask } from './work-loop.js';

export const SEGMENT_ENTERED = 'segment_entered';
export const SEGMENT_EXITED = 'segment_exited';
/** Time-relative segments (`within`, relative dates) are recomputed this often. */
export const REFRESH_EVERY_MS = 15 * 60_000;
const CHANGED_CHANNEL = 'retenta_segments_changed';
const CHUNK = 500;

/**
 * Event-driven membership of dynamic segments. When events arrive, a profile changes (API, CSV import),
 * its orders change (PUT /market/orders, status, refund, checkout's `order_finalized`), its loyalty ledger
 * moves (ledger events, joins, transaction moves) or a static list changes, only the profiles concerned
 * are re-evaluated, and only against the segments whose conditions can be affected (looked up in a
 * dependency index: `event:<name>`, `profile`, `orders`, `loyalty`, `segment:<static id>`), in one narrow
 * query per chunk of profiles. Entries and exits are stored and recorded as the internal events
 * `segment_entered` / `segment_exited` with `{segment_id}`. RFM scores change only when the RFM refresh
 * recomputes them; it re-syncs the segments that read them (`resyncDependents('rfm')`).
 */
export class SegmentMembership {
  private index: Map<string, Set<string>> | null = null;
  private trees = new Map<string, SegmentRef>();
  private queue: Promise<void> = Promise.resolve();
  private pending = 0;
  private unsubscribe: (() => void)[] = [];

  constructor(private ctx: AppContext) {}

  async start(): Promise<void> {
    this.unsubscribe.push(
      this.ctx.bus.on('events', (events) =>
        this.enqueue(async () => {
          const changes = new Map<string, Set<string>>();
          await this.loadIndex();
          if (![...this.trees.values()].some((t) => t.type === 'dynamic')) return changes;
          for (const e of events) {
            if (!changes.has(e.profile_id)) changes.set(e.profile_id, new Set());
            for (const d of changesOfEvent(e.name)) changes.get(e.profile_id)!.add(d);
          }
          // a profile the events created is new to every segment (`{not: …}`, `count: {eq: 0}` may hold for it)
          for (const id of await profilesCreatedAt(this.ctx.db, [...changes.keys()], events[0].received_at)) changes.get(id)!.add('*');
          return changes;
        }),
      ),
      this.ctx.bus.on('orders', (ids) => this.enqueue(async () => new Map(ids.map((id) => [id, new Set(ORDER_CHANGES)])))),
      this.ctx.bus.on('ledger', (ids) => this.enqueue(async () => new Map(ids.map((id) => [id, new Set(LEDGER_CHANGES)])))),
      this.ctx.bus.on('profiles', (ids) =>
        this.enqueue(async () => {
          const changes = new Map(ids.map((id) => [id, new Set(['profile'])]));
          await this.loadIndex();
          if (![...this.trees.values()].some((t) => t.type === 'dynamic')) return new Map();
          // a profile never changed since it was created is new to every segment
          for (const id of await profilesCreatedAt(this.ctx.db, ids, null)) changes.get(id)!.add('*');
          // an erased profile leaves every segment it is in, whatever the segment looks at
          for (const m of await membershipsOf(this.ctx.db, ids)) changes.get(m.profile_id)!.add(`member:${m.segment_id}`);
          return changes;
        }),
      ),
    );
    const stop = await this.ctx.database.listen(CHANGED_CHANNEL, () => (this.index = null));
    this.unsubscribe.push(() => void stop());
  }

  stop(): void {
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
  }

  /** Segment definitions changed: rebuild the index here and in every process. */
  async definitionsChanged(): Promise<void> {
    this.index = null;
    await this.ctx.database.notify(CHANGED_CHANNEL, '');
  }

  /** Static members changed: segments that include that list re-evaluate those profiles. */
  staticMembersChanged(segmentId: string, profileIds: string[]): Promise<void> {
    return this.enqueue(async () => new Map(profileIds.map((id) => [id, new Set([`segment:${segmentId}`])])));
  }

  /** Resolves when every change handed over so far has been applied (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.pending) await this.queue;
  }

  /** Changes are applied one batch after another, in arrival order. */
  private enqueue(changes: () => Promise<Map<string, Set<string>>>): Promise<void> {
    this.pending++;
    const run = this.queue.then(async () => this.apply(await changes()));
    this.queue = run
      .catch((err) => this.ctx.log.error({ err }, 'segment membership update failed'))
      .finally(() => this.pending--);
    // a failure is logged, never thrown into the publisher or the request that caused the change
    return this.queue;
  }

  private async loadIndex(): Promise<Map<string, Set<string>>> {
    if (this.index) return this.index;
    const graph = await segmentGraph(this.ctx.db);
    this.trees = new Map([...graph].map(([id, g]) => [id, { type: g.type, conditions: g.conditions }]));
    this.index = dependencyIndex(graph);
    return this.index;
  }

  /** Re-evaluates the given profiles against the segments their changes can affect. */
  private async apply(changes: Map<string, Set<string>>): Promise<void> {
    const index = await this.loadIndex();
    // group profiles by the set of segments to evaluate, so one query serves many profiles
    const bySegments = new Map<string, { segments: string[]; profiles: string[] }>();
    for (const [profileId, deps] of changes) {
      const segs = new Set<string>();
      for (const d of deps) {
        if (d === '*') {
          for (const [id, t] of this.trees) if (t.type === 'dynamic') segs.add(id);
        }
        else if (d.startsWith('member:')) segs.add(d.slice('member:'.length));
        else for (const s of index.get(d) ?? []) segs.add(s);
      }
      if (!segs.size) continue;
      const list = [...segs].sort();
      const key = list.join(',');
      if (!bySegments.has(key)) bySegments.set(key, { segments: list, profiles: [] });
      bySegments.get(key)!.profiles.push(profileId);
    }
    for (const { segments, profiles } of bySegments.values())
      for (let i = 0; i < profiles.length; i += CHUNK) await this.reevaluate(segments, profiles.slice(i, i + CHUNK));
  }

  /**
   * The narrow re-evaluation: a few profiles × a few segments. One query loads the profiles, their events
   * of the names those segments ask about and their memberships; the trees are evaluated in memory (the
   * same evaluator the differential tests hold equal to the SQL). Only when membership changes does it
   * lock the profiles, look again and write the difference, in one transaction.
   */
  async reevaluate(segmentIds: string[], profileIds: string[]): Promise<{ entered: MemberChange[]; exited: MemberChange[] }> {
    const now = this.ctx.clock.now();
    const sorted = [...new Set(profileIds)].sort();
    await this.loadIndex();
    const trees = this.trees;
    segmentIds = segmentIds.filter((id) => trees.get(id)?.type === 'dynamic' && trees.get(id)?.conditions);
    if (!segmentIds.length || !sorted.length) return { entered: [], exited: [] };
    const needs = factsNeeded(segmentIds, trees, now);
    const lookup = (id: string) => trees.get(id);
    const isStatic = (id: string) => trees.get(id)?.type === 'static';
    const diff = async (ex: Executor) => {
      const state = await loadEvaluationState(ex, sorted, needs, isStatic);
      const enter: MemberChange[] = [];
      const exit: MemberChange[] = [];
      for (const [p, { facts, memberships }] of state)
        for (const s of segmentIds) {
          const should = facts !== null && segmentLanguage.evaluate(trees.get(s)!.conditions!, { now, facts, segment: lookup });
          if (should && !memberships.has(s)) enter.push({ segment_id: s, profile_id: p });
          if (!should && memberships.has(s)) exit.push({ segment_id: s, profile_id: p });
        }
      return { enter, exit };
    };
    const first = await diff(this.ctx.db);
    if (!first.enter.length && !first.exit.length) return { entered: [], exited: [] };
    const result = await this.ctx.db.transaction().execute(async (tx) => {
      // serialise with other writers of the same profiles' memberships (in any process), then look again
      await lockProfilesForMembership(tx, sorted);
      const { enter, exit } = await diff(tx);
      return { entered: await addMembers(tx, enter, now), exited: await removeMembers(tx, exit) };
    });
    await this.record(result.entered, result.exited);
    return result;
  }

  /** Writes the entries and exits as internal events (which scenario triggers and other segments see). */
  async record(entered: MemberChange[], exited: MemberChange[]): Promise<void> {
    const at = this.ctx.clock.now().toISOString();
    const events = [
      ...entered.map((m) => ({ profile: { id: m.profile_id }, name: SEGMENT_ENTERED, properties: { segment_id: m.segment_id }, occurred_at: at })),
      ...exited.map((m) => ({ profile: { id: m.profile_id }, name: SEGMENT_EXITED, properties: { segment_id: m.segment_id }, occurred_at: at })),
    ];
    for (let i = 0; i < events.length; i += 1000) await ingestEvents(this.ctx, events.slice(i, i + 1000));
  }

  /**
   * Recomputes a whole segment's membership (definition changed, or its time-relative refresh is due).
   * With `quiet`, the new member list becomes the baseline without entry/exit events.
   */
  async resync(tx: Tx, seg: { id: string; type: 'dynamic' | 'static'; conditions: ConditionNode | null }, quiet: boolean): Promise<{ entered: MemberChange[]; exited: MemberChange[] }> {
    const now = this.ctx.clock.now();
    const segments = await referencedSegments(tx, seg.conditions);
    await allowLargeSorts(tx);
    const r = await syncMembers(tx, seg.id, membershipCondition(seg, { now, scope: null, segments }), now);
    if (quiet) return { entered: [], exited: [] };
    return {
      entered: r.entered.map((profile_id) => ({ segment_id: seg.id, profile_id })),
      exited: r.exited.map((profile_id) => ({ segment_id: seg.id, profile_id })),
    };
  }

  /**
   * Recomputes every dynamic segment that reads `dependency` (directly or through included segments) and
   * records who entered and left: for data that changes in bulk, such as RFM scores after a refresh.
   */
  async resyncDependents(dependency: string): Promise<{ segments: number; entered: number; exited: number }> {
    this.index = null;
    const ids = [...((await this.loadIndex()).get(dependency) ?? [])].sort();
    let entered = 0;
    let exited = 0;
    for (const id of ids) {
      const seg = this.trees.get(id);
      if (!seg?.conditions) continue;
      const r = await this.ctx.db.transaction().execute((tx) => this.resync(tx, { id, type: 'dynamic', conditions: seg.conditions }, false));
      await this.record(r.entered, r.exited);
      entered += r.entered.length;
      exited += r.exited.length;
    }
    return { segments: ids.length, entered, exited };
  }

  /** The scheduled refresh of time-relative segments, on the shared work loop. */
  refreshTask(): WorkTask {
    return {
      name: 'segment-refresh',
      batchSize: 5,
      idleMs: 60_000,
      run: async (limit, now) => {
        const changes: { entered: MemberChange[]; exited: MemberChange[] }[] = [];
        const n = await this.ctx.db.transaction().execute(async (tx) => {
          const due = await claimDueRefreshes(tx, now, limit);
          for (const seg of due) {
            changes.push(await this.resync(tx, seg, false));
            await markRefreshed(tx, seg.id, now, new Date(now.getTime() + REFRESH_EVERY_MS));
          }
          return due.length;
        });
        for (const c of changes) await this.record(c.entered, c.exited);
        return n;
      },
    };
  }
}

const engines = new WeakMap<AppContext, SegmentMembership>();

/** The process's membership engine (created on first use). */
export function segmentMembership(ctx: AppContext): SegmentMembership {
  let e = engines.get(ctx);
  if (!e) engines.set(ctx, (e = new SegmentMembership(ctx)));
  return e;
}
