import type { AppContext } from '../../context.js';
import { addDuration, parseDuration } from '../../domain/duration.js';
import { evaluateScenarioConditions } from '../../domain/scenarios/conditions.js';
import type { Answer, Request } from '../../domain/scenarios/model.js';
import { factsNeeded, type FactsNeeded } from '../../domain/segments/facts-needed.js';
import type { ConditionNode } from '../../domain/conditions/tree.js';
import type { ProfileFacts, SegmentRef } from '../../domain/segments/leaves.js';
import type { Executor, Tx } from '../../store/db.js';
import { accrue, appendLedgerEvents, getProgram, joinProgram, LedgerRefusal, membershipsOfProfile, redeem, type Program } from '../../store/loyalty.js';
import { loadEvaluationState, referencedSegments } from '../../store/segments.js';
import type { StoredEvent } from '../../store/events.js';
import { promo, PromoNotFound, PromoRefusal, type IssuedCode } from '../promo.js';
import { isUuid } from '../../domain/profiles/ref.js';
import { promotions, PromotionRefusal } from '../promotions.js';

/** Who asks: the instance (for idempotency keys) and its profile. */
export interface Asker {
  instance_id: string;
  profile_id: string;
  node_id: string;
  step: number;
  data: Record<string, unknown>;
}

/** The profile's loyalty state as `loyalty.*` conditions read it: the first membership, plus each program by id. */
export async function loyaltyOf(ex: Executor, profileId: string): Promise<Record<string, unknown>> {
  const rows = (await membershipsOfProfile(ex, profileId)) as unknown as { program_id: string; balance: number; tier: string | null; pending?: number }[];
  const programs: Record<string, unknown> = {};
  for (const m of rows) programs[m.program_id] = { balance: Number(m.balance), tier: m.tier, pending: Number(m.pending ?? 0) };
  const first = rows[0];
  return {
    member: rows.length > 0,
    balance: first ? Number(first.balance) : 0,
    tier: first?.tier ?? null,
    program_id: first?.program_id ?? null,
    programs,
  };
}

/** `order.*` of a condition: the order the instance carries (launch or event data `order`, else the data of an order event). */
export function orderOf(data: Record<string, unknown>): Record<string, unknown> {
  if (data.order && typeof data.order === 'object') return data.order as Record<string, unknown>;
  return data;
}

const SCENARIO_SOURCES = ['data.', 'loyalty.', 'order.'];

/** The leaves of a scenario condition tree that the segment language knows (what facts must be loaded for). */
export function segmentPart(tree: unknown): ConditionNode {
  const leaves: ConditionNode[] = [];
  const walk = (n: unknown) => {
    if (!n || typeof n !== 'object') return;
    const o = n as Record<string, unknown>;
    if (Array.isArray(o.all)) return o.all.forEach(walk);
    if (Array.isArray(o.any)) return o.any.forEach(walk);
    if ('not' in o) return walk(o.not);
    if (typeof o.field === 'string' && SCENARIO_SOURCES.some((p) => (o.field as string).startsWith(p))) return;
    leaves.push(o as ConditionNode);
  };
  walk(tree);
  return leaves.length ? { all: leaves } : { all: [{ field: 'email', op: 'exists', value: true }] };
}

const shapes = new WeakMap<object, { key: string; part: ConditionNode; loyalty: boolean }>();

/** A tree's segment part, its text and whether it reads `loyalty.*`, computed once per tree object (definitions are cached). */
function shapeOf(tree: ConditionNode): { key: string; part: ConditionNode; loyalty: boolean } {
  const hit = shapes.get(tree);
  if (hit) return hit;
  const part = segmentPart(tree);
  const text = JSON.stringify(tree);
  const shape = { key: JSON.stringify(part), part, loyalty: text.includes('"loyalty.') };
  if (tree && typeof tree === 'object') shapes.set(tree, shape);
  return shape;
}

const emptyFacts = (profileId: string, now: Date): ProfileFacts => ({
  profile: { id: profileId, email: null, phone: null, external_id: null, fields: {}, subscriptions: {}, created_at: now, updated_at: now },
  events: [],
  staticSegments: new Set(),
  orders: [],
  loyalty: [],
  rfm: null,
});

/**
 * What condition nodes read, loaded for a whole batch of instances at once: the referenced segments and,
 * per profile, the facts every condition tree of the batch's definitions needs (one query for the batch,
 * not one per instance). A profile the step changes is dropped and read again when next asked.
 */
export class ConditionFacts {
  private segments = new Map<string, SegmentRef>();
  private trees: ConditionNode[] = [];
  private facts = new Map<string, ProfileFacts>();
  private needs: FactsNeeded | null = null;

  constructor(
    private ex: Executor,
    private now: Date,
  ) {}

  private keys = new Set<string>();
  private candidates: string[] = [];
  private prepared: Promise<void> | null = null;
  private pendingTrees: unknown[] = [];

  /**
   * The batch's condition trees and profiles: the first condition asked about loads the facts of every
   * profile of the batch at once (a batch that reaches no condition reads nothing).
   */
  prefetch(trees: unknown[], profileIds: string[]): void {
    this.pendingTrees = trees;
    this.candidates = profileIds;
  }

  private prepare(): Promise<void> {
    this.prepared ??= (async () => {
      for (const t of this.pendingTrees) {
        const shape = shapeOf(t as ConditionNode);
        if (this.keys.has(shape.key)) continue;
        this.keys.add(shape.key);
        this.trees.push(shape.part);
        for (const [id, seg] of await referencedSegments(this.ex, shape.part)) this.segments.set(id, seg);
      }
      if (this.candidates.length) await this.load(this.candidates);
    })();
    return this.prepared;
  }

  private async load(profileIds: string[]): Promise<void> {
    const all = new Map(this.segments);
    this.trees.forEach((t, i) => all.set(`condition-${i}`, { type: 'dynamic', conditions: t }));
    this.needs = factsNeeded(this.trees.map((_, i) => `condition-${i}`), all, this.now);
    const state = await loadEvaluationState(this.ex, profileIds, this.needs, (id) => this.segments.get(id)?.type === 'static');
    for (const id of profileIds) this.facts.set(id, state.get(id)?.facts ?? emptyFacts(id, this.now));
  }

  /** The profile changed (update_profile, points): read again when next asked. */
  forget(profileId: string): void {
    this.facts.delete(profileId);
  }

  async evaluate(profileId: string, conditions: unknown, data: Record<string, unknown>): Promise<boolean> {
    await this.prepare();
    const tree = conditions as ConditionNode;
    const shape = shapeOf(tree);
    if (!this.keys.has(shape.key)) {
      this.keys.add(shape.key);
      if (!this.trees.some((t) => shapeOf(t).key === shape.key)) {
        this.trees.push(shape.part);
        for (const [id, seg] of await referencedSegments(this.ex, shape.part)) this.segments.set(id, seg);
        this.facts.clear();
      }
    }
    if (!this.facts.has(profileId)) await this.load([profileId]);
    const facts = this.facts.get(profileId)!;
    const loyalty = shape.loyalty ? await loyaltyOf(this.ex, profileId) : {};
    return evaluateScenarioConditions(tree, {
      segment: { now: this.now, facts, segment: (id) => this.segments.get(id) },
      data,
      loyalty,
      order: orderOf(data),
    });
  }
}

/** Evaluates a condition node's tree for a profile, in memory over facts read in one query. */
export async function evaluateConditions(ex: Executor, profileId: string, conditions: unknown, data: Record<string, unknown>, now: Date): Promise<boolean> {
  return new ConditionFacts(ex, now).evaluate(profileId, conditions, data);
}

const failed = (reason: string): Answer => ({ type: 'failed', reason });

/**
 * Answers what a node asks of the world inside the step's transaction: condition truth, a promo code
 * (issued as the scenario), a loyalty accrual or redemption (the member registered when needed; a
 * `promotion_id` runs the program's trigger promotion). Ledger events are appended in the same
 * transaction and returned to be published after commit. Webhooks are not answered here (see webhook.ts).
 */
export async function answerRequest(
  ctx: AppContext,
  tx: Tx,
  req: Request,
  who: Asker,
  now: Date,
  events: StoredEvent[],
  facts?: ConditionFacts,
  codes?: CodeBatcher,
): Promise<Answer> {
  switch (req.type) {
    case 'evaluate':
      return { type: 'evaluate', result: await (facts ?? new ConditionFacts(tx, now)).evaluate(who.profile_id, req.conditions, req.data ?? who.data) };
    case 'issue_code':
      if (codes) return codes.issue(req.pool_id, who.profile_id);
      return issueOne(tx, req.pool_id, who.profile_id, now);
  }
  switch (req.type) {
    case 'loyalty':
      return loyaltyAnswer(ctx, tx, req, who, now, events);
    case 'webhook':
      throw new Error('webhook requests are answered outside the step transaction');
  }
}

async function issueOne(tx: Tx, poolId: string, profileId: string, now: Date): Promise<Answer> {
      try {
        const c = await promo.issueCode(tx, poolId, profileId, now, 'scenario');
        return { type: 'issue_code', code: c.code, expires_at: c.expires_at ? new Date(c.expires_at).toISOString() : null };
      } catch (err) {
        if (err instanceof PromoRefusal) return failed(`${err.slug}: ${err.message}`);
        if (err instanceof PromoNotFound) return failed('the promo pool does not exist');
        throw err;
      }
}

/**
 * Promo codes for the instances of one batch, stepped side by side: each instance's `promo_code` request
 * waits until every instance of the batch is either done or waiting for a code, then the codes are issued
 * together (single-profile pools in a few statements for all; the rest, and whatever is left without a free
 * code, through promo.issueCode one by one: generation, shared pools, refusals).
 */
export class CodeBatcher {
  private waiting: { pool: string; profile: string; resolve: (a: Answer) => void; reject: (e: unknown) => void }[] = [];

  constructor(
    private tx: Tx,
    private now: Date,
    private running: number,
  ) {}

  issue(pool: string, profile: string): Promise<Answer> {
    return new Promise<Answer>((resolve, reject) => {
      this.waiting.push({ pool, profile, resolve, reject });
      this.running--;
      this.maybeFlush();
    });
  }

  /** An instance of the batch is done (or failed). */
  done(): void {
    this.running--;
    this.maybeFlush();
  }

  private maybeFlush(): void {
    if (this.running > 0 || !this.waiting.length) return;
    const batch = this.waiting;
    this.waiting = [];
    this.flush(batch).then(
      (answers) => {
        this.running += batch.length;
        batch.forEach((w, i) => w.resolve(answers[i]));
      },
      (err) => {
        this.running += batch.length;
        for (const w of batch) w.reject(err);
      },
    );
  }

  private async flush(batch: { pool: string; profile: string }[]): Promise<Answer[]> {
    const answers: (Answer | null)[] = batch.map(() => null);
    const byPool = new Map<string, number[]>();
    batch.forEach((w, i) => (byPool.get(w.pool) ?? byPool.set(w.pool, []).get(w.pool)!).push(i));
    for (const [poolId, idx] of byPool) {
      const got = isUuid(poolId) ? await promo.issueCodesAtOnce(this.tx, poolId, idx.map((i) => batch[i].profile), this.now) : new Map<string, IssuedCode>();
      for (const i of idx) {
        const c = got.get(batch[i].profile);
        if (c) answers[i] = { type: 'issue_code', code: c.code, expires_at: c.expires_at ? new Date(c.expires_at).toISOString() : null };
      }
      for (const i of idx) answers[i] ??= await issueOne(this.tx, poolId, batch[i].profile, this.now);
    }
    return answers as Answer[];
  }
}

async function loyaltyAnswer(ctx: AppContext, tx: Tx, req: Extract<Request, { type: 'loyalty' }>, who: Asker, now: Date, events: StoredEvent[]): Promise<Answer> {
  const program: Program | undefined = await getProgram(tx, req.program_id);
  if (!program) return failed('the loyalty program does not exist');
  const joined = await joinProgram(tx, program, who.profile_id, now);
  const ledgerEvents = [...joined.events];
  const externalId = `scenario:${who.instance_id}:${who.node_id}:${who.step}`;
  const reason = `scenario step ${who.node_id}`;
  const expiresAt = req.expires_in && parseDuration(req.expires_in) ? addDuration(now, req.expires_in) : undefined;
  try {
    let r;
    if (req.promotion_id) {
      r = await promotions.trigger(tx, {
        program,
        memberId: joined.member.id,
        promotionId: req.promotion_id,
        action: req.action,
        points: req.points,
        reason,
        now,
        expiresAt,
        externalId,
      });
    } else {
      if (!req.points || req.points <= 0) return failed('points must be a positive integer');
      const call = { program, memberId: joined.member.id, points: req.points, reason, now, externalId };
      r = req.action === 'accrue' ? await accrue(tx, { ...call, expiresAt }) : await redeem(tx, call);
    }
    ledgerEvents.push(...r.events);
    events.push(...(await appendLedgerEvents(tx, ledgerEvents, now)));
    return { type: 'loyalty', transaction_id: r.transaction.id, points: r.transaction.points };
  } catch (err) {
    if (err instanceof LedgerRefusal || err instanceof PromotionRefusal) {
      events.push(...(await appendLedgerEvents(tx, joined.events, now)));
      return failed(`${err.slug}: ${err.message}`);
    }
    throw err;
  } finally {
    void ctx;
  }
}
