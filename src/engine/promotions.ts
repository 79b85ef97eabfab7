/**
 * The promotions service other modules call: the per-program cache the checkout arbitrates over, and
 * trigger promotions run inside the caller's transaction (`accrue`/`redeem` with `promotion_id`, the
 * scenario `loyalty_points` step).
 *
 * The cache holds a program's settings, promotions and partner products with the program's promotions
 * version and update time. Every checkout reads both in its facts statement and reloads when they moved,
 * so a change made by any process is seen by the next checkout of every process; writes through this
 * process also drop the entry at once.
 */
import { localTime, orderLanguage } from '../domain/promotions/conditions.js';
import type { PartnerProduct } from '../domain/promotions/partner.js';
import { isLimited, type Promotion } from '../domain/promotions/promotion.js';
import { triggerPoints } from '../domain/promotions/trigger.js';
import { checkoutFacts } from '../store/checkout.js';
import { inSavepoint, type Db, type Executor, type Tx } from '../store/db.js';
import { accrue, getProgram, lockMember, redeem, type LedgerResult, type Program } from '../store/loyalty.js';
import { countUses, externalIdSeen, getPromotion, programPartners, programPromotions, promotionsVersion, type StoredPromotion } from '../store/promotions.js';

export interface ProgramBundle {
  program: Program;
  promotions: StoredPromotion[];
  partners: Map<string, PartnerProduct>;
  version: number;
  programUpdatedAt: string;
  /** What the facts statement must read for these promotions. */
  needs: { orders: boolean; uses: boolean; usage: boolean };
}

const caches = new WeakMap<Db, Map<string, ProgramBundle>>();

function cacheOf(db: Db): Map<string, ProgramBundle> {
  let c = caches.get(db);
  if (!c) caches.set(db, (c = new Map()));
  return c;
}

const ORDER_LEAVES = new Set(['orders_count', 'first_order']);

function needsOf(promotions: Promotion[]): ProgramBundle['needs'] {
  const live = promotions.filter((p) => p.status === 'active');
  const orders = live.some((p) => p.conditions && [...orderLanguage.leaves(p.conditions)].some(({ kind }) => kind && ORDER_LEAVES.has(kind.key)));
  return { orders, uses: live.some((p) => p.limits.per_member !== null), usage: live.some((p) => isLimited(p.limits)) };
}

/** Loads a program's bundle (the version first: a change racing the load shows as a newer version later). */
async function load(ex: Executor, programId: string): Promise<ProgramBundle | undefined> {
  const version = await promotionsVersion(ex, programId);
  const program = await getProgram(ex, programId);
  if (!program) return undefined;
  const [promotions, partners] = [await programPromotions(ex, programId), await programPartners(ex, programId)];
  return { program, promotions, partners, version, programUpdatedAt: new Date(program.updated_at).toISOString(), needs: needsOf(promotions) };
}

export class PromotionRefusal extends Error {
  constructor(
    readonly slug: string,
    detail: string,
    readonly status: 404 | 422 = 422,
  ) {
    super(detail);
  }
}

export interface TriggerCall {
  program: Program;
  memberId: string;
  promotionId: string;
  action: 'accrue' | 'redeem';
  /** Points the caller names; a `points_fixed` promotion may decide them when null. */
  points: number | null;
  reason: string;
  now: Date;
  /** Accruals: the lot's expiry (undefined: the program's points_ttl). */
  expiresAt?: Date | null;
  externalId?: string | null;
  requestHash?: string | null;
  holdUntil?: Date | null;
}

export const promotions = {
  /** The program's bundle, loaded when absent; undefined when the program does not exist. */
  async bundle(db: Db, programId: string, ex: Executor = db): Promise<ProgramBundle | undefined> {
    const cache = cacheOf(db);
    const hit = cache.get(programId);
    if (hit) return hit;
    const b = await load(ex, programId);
    if (b) cache.set(programId, b);
    return b;
  },

  /** The bundle again when the facts show that the program or its promotions changed since it was loaded. */
  async fresh(db: Db, b: ProgramBundle, seen: { version: number; program_updated_at: string | null }, ex: Executor = db): Promise<ProgramBundle | undefined> {
    if (seen.version === b.version && seen.program_updated_at === b.programUpdatedAt) return b;
    cacheOf(db).delete(b.program.id);
    return promotions.bundle(db, b.program.id, ex);
  },

  /** Drops a program's bundle (after a write through this process). */
  invalidate(db: Db, programId: string): void {
    cacheOf(db).delete(programId);
  },

  /**
   * Runs a trigger promotion inside the caller's transaction: the promotion's rules decide or bound the
   * points, the ledger moves them (with the promotion on the entry), and the use is counted against the
   * promotion's limits in one conditional UPDATE. Throws PromotionRefusal (404 unknown member, 422 a rule
   * refused: `promotion-not-found`, `promotion-not-trigger`, `promotion-paused`, `not-started`, `ended`, `condition-not-met`,
   * `limit-reached`, `points-above-promotion`, `points-required`) and the ledger's LedgerRefusal. The
   * ledger events in the result are to be appended by the caller, as for `accrue`/`redeem`.
   */
  async trigger(tx: Tx, call: TriggerCall): Promise<LedgerResult & { promotion: StoredPromotion }> {
    // A refusal leaves the caller's transaction as it was, whatever ran before it.
    return inSavepoint(tx, 'trigger_promotion', () => runTrigger(tx, call));
  },
};

async function runTrigger(tx: Tx, call: TriggerCall): Promise<LedgerResult & { promotion: StoredPromotion }> {
  const p = await getPromotion(tx, call.program.id, call.promotionId);
  if (!p) throw new PromotionRefusal('promotion-not-found', 'No promotion of this program has this id.');
  const member = await lockMember(tx, call.memberId);
  if (!member || member.program_id !== call.program.id) throw new PromotionRefusal('not-found', 'Member not found', 404);
  const ledgerCall = { program: call.program, memberId: member.id, reason: call.reason, now: call.now, promotionId: p.id, externalId: call.externalId, requestHash: call.requestHash, holdUntil: call.holdUntil };
  // A repeated call (same external_id) answers the first one, whatever the promotion says now.
  if (call.externalId && (await externalIdSeen(tx, call.program.id, call.externalId))) {
    const points = call.points ?? 1;
    const r = call.action === 'accrue' ? await accrue(tx, { ...ledgerCall, points, expiresAt: call.expiresAt }) : await redeem(tx, { ...ledgerCall, points });
    return { ...r, promotion: p };
  }
  const facts = await checkoutFacts(tx, {
    programId: call.program.id,
    profile: { kind: 'id', value: member.profile_id },
    productIds: [],
    codes: [],
    orderId: null,
    now: call.now,
    orders: needsOf([p]).orders,
    uses: p.limits.per_member !== null,
    usage: false,
  });
  const decided = triggerPoints(p, { action: call.action, points: call.points }, call.program, {
    usage: p.usage,
    memberUses: facts.uses.get(p.id) ?? 0,
    now: call.now,
    conditions: {
      now: call.now,
      local: localTime(call.now, call.program.timezone),
      lines: [],
      subtotal: 0,
      channel: null,
      tier: member.tier,
      orders_count: facts.orders_count,
      profile: facts.profile ?? { email: null, phone: null, external_id: null, fields: {}, created_at: null },
      appliesTo: null,
    },
  });
  if (!('points' in decided)) throw new PromotionRefusal(decided.reason, decided.detail);
  const r =
    call.action === 'accrue'
      ? await accrue(tx, { ...ledgerCall, points: decided.points, expiresAt: call.expiresAt })
      : await redeem(tx, { ...ledgerCall, points: decided.points });
  if (!r.replayed && isLimited(p.limits)) {
    const refused = await countUses(tx, member.id, [
      { promotion_id: p.id, points: call.action === 'accrue' ? decided.points : 0, per_member: p.limits.per_member !== null, total: p.limits.total_uses !== null || p.limits.budget_points !== null },
    ]);
    if (refused.length) throw new PromotionRefusal('limit-reached', 'The promotion reached its limit meanwhile.');
  }
  return { ...r, promotion: p };
}
