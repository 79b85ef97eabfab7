import { randomFillSync } from 'node:crypto';
import { CodeDrawer } from '../domain/promo/draw.js';
import { expiryOf, generationRefusal, issueRefusal, redeemRefusal, statusAt, type Refusal } from '../domain/promo/lifecycle.js';
import { poolCapacity } from '../domain/promo/pool.js';
import { parseTemplate } from '../domain/promo/template.js';
import { RemoteGeneratorFailed, requestOneCode } from '../promo/remote.js';
import type { Executor, Tx } from '../store/db.js';
import * as store from '../store/promo.js';

/** A business rule refused the operation: `slug` is the problem type of API.md (422). */
export class PromoRefusal extends Error {
  constructor(
    readonly slug: string,
    detail: string,
  ) {
    super(detail);
  }
  static of(r: Refusal) {
    return new PromoRefusal(r.slug, r.detail);
  }
}

export { RemoteGeneratorFailed };

/** The pool or code does not exist (404). */
export class PromoNotFound extends Error {
  constructor(readonly what: 'Pool' | 'Code') {
    super(`${what} not found`);
  }
}

export interface IssuedCode {
  code: string;
  pool_id: string;
  expires_at: Date | null;
  /** True when the profile already held this code. */
  existing: boolean;
}

/** Who asks for a code: generate-on-issue follows the pool's `scenario_can_create` / `campaign_can_create`. */
export type IssueVia = 'api' | 'scenario' | 'campaign';

async function poolOf(ex: Executor, poolId: string) {
  const pool = await store.getPool(ex, poolId);
  if (!pool) throw new PromoNotFound('Pool');
  return pool;
}

function mayGenerateOnIssue(pool: store.Pool, via: IssueVia): boolean {
  if (!pool.generator) return false;
  if (via === 'scenario') return pool.scenario_can_create;
  if (via === 'campaign') return pool.campaign_can_create;
  return pool.scenario_can_create || pool.campaign_can_create;
}

/**
 * Makes room for one more code in the pool's counter (one conditional UPDATE: racing issues never pass
 * `max_codes`); refuses with pool-exhausted when it is not there. The room is given back if the
 * transaction rolls back.
 */
export async function reserveOne(tx: Tx, pool: store.Pool): Promise<void> {
  const cap = poolCapacity(pool.generator);
  if ((await store.reserveCodes(tx, pool.id, 1, cap)) !== undefined) return;
  const refusal = generationRefusal(1, await store.codesTotal(tx, pool.id), cap, pool.max_codes);
  throw PromoRefusal.of(refusal ?? { slug: 'pool-exhausted', detail: 'The pool has no room for another code.' });
}

/**
 * Generate-on-issue: reserves room for one code, then draws it from the template (again on a collision, a
 * bounded number of times) or asks the remote service for it, and stores it with `insert` (which returns
 * undefined when the code exists in some pool). A remote failure throws RemoteGeneratorFailed; the caller's
 * transaction then rolls back, so nothing is half-written.
 */
async function generateOne<T>(
  tx: Tx,
  pool: store.Pool,
  insert: (code: string, fields: Record<string, unknown> | null) => Promise<T | undefined>,
): Promise<T> {
  await reserveOne(tx, pool);
  const g = pool.generator!;
  if ('remote' in g) {
    for (let attempt = 0; attempt < 3; attempt++) {
      const got = await requestOneCode(pool, g.remote, null);
      const row = await insert(got.code, got.fields);
      if (row !== undefined) return row;
    }
    throw new RemoteGeneratorFailed('The remote code service answered only with codes that exist already.');
  }
  const drawer = new CodeDrawer(parseTemplate(g.template), randomFillSync);
  for (let attempt = 0; attempt < 16; attempt++) {
    const row = await insert(drawer.draw(), null);
    if (row !== undefined) return row;
  }
  throw new PromoRefusal('pool-exhausted', 'No free code could be drawn from the template.');
}

/**
 * The promo service other modules call inside their own transaction (scenario `promo_code` steps,
 * campaigns, checkout's code-gated promotions). Refusals are thrown as PromoRefusal, unknown pools or codes
 * as PromoNotFound; neither leaves the caller's transaction broken.
 */
export const promo = {
  /**
   * Codes of a single-profile pool for many profiles at once, in a few statements (scenario steps of one
   * batch). Returns what it settled; the profiles it leaves out (none available, a pool that is shared, paused
   * or out of its period, a profile named twice) are for `issueCode` one by one, which generates or refuses.
   */
  async issueCodesAtOnce(tx: Tx, poolId: string, profileIds: string[], now: Date): Promise<Map<string, IssuedCode>> {
    const out = new Map<string, IssuedCode>();
    const pool = await store.getPool(tx, poolId);
    if (!pool || pool.multi_profile || issueRefusal(pool, now) || new Set(profileIds).size !== profileIds.length) return out;
    for (const [profile, c] of await store.issueCodesBulk(tx, pool.id, profileIds, now, expiryOf(pool, now)))
      out.set(profile, { code: c.code, pool_id: pool.id, expires_at: c.expires_at, existing: c.existing });
    return out;
  },

  /**
   * Gives the profile a code of the pool: the one it holds already, else the next available one, else (when
   * the pool allows it for `via`) one generated now. Multi-profile pools hand out their first active code.
   */
  async issueCode(tx: Tx, poolId: string, profileId: string, now: Date, via: IssueVia = 'api'): Promise<IssuedCode> {
    const pool = await poolOf(tx, poolId);
    await store.lockProfileInPool(tx, pool.id, profileId);
    if (pool.multi_profile) {
      const held = await store.profileHolding(tx, pool.id, profileId, now);
      if (held) return { code: held.code, pool_id: pool.id, expires_at: held.expires_at, existing: true };
    } else {
      const own = await store.profileCode(tx, pool.id, profileId, now);
      if (own) return { code: own.code, pool_id: pool.id, expires_at: own.expires_at, existing: true };
    }
    const refusal = issueRefusal(pool, now);
    if (refusal) throw PromoRefusal.of(refusal);
    const expiresAt = expiryOf(pool, now);
    if (pool.multi_profile) {
      let shared = await store.holdFirstSharedCode(tx, pool.id, profileId, now, expiresAt);
      if (!shared && mayGenerateOnIssue(pool, via)) {
        await generateOne(tx, pool, async (code, fields) => ((await store.insertCodes(tx, pool.id, [code], now, { fields })).inserted ? code : undefined));
        shared = await store.holdFirstSharedCode(tx, pool.id, profileId, now, expiresAt);
      }
      if (!shared) throw new PromoRefusal('pool-exhausted', 'The pool has no active shared code.');
      return { code: shared.code, pool_id: pool.id, expires_at: shared.expires_at, existing: false };
    }
    await store.expireProfileCodes(tx, pool.id, profileId, now);
    const row =
      (await store.claimAvailableCode(tx, pool.id, profileId, now, expiresAt)) ??
      (mayGenerateOnIssue(pool, via)
        ? await generateOne(tx, pool, (code, fields) => store.insertIssuedCode(tx, pool.id, code, profileId, now, expiresAt, fields))
        : undefined);
    if (!row) throw new PromoRefusal('pool-exhausted', 'The pool has no available code left.');
    return { code: row.code, pool_id: pool.id, expires_at: row.expires_at, existing: false };
  },

  /** Redeems the code for the profile (once); refusals: code-expired, code-redeemed, code-not-issued-to-profile, pool-not-valid. */
  async redeemCode(tx: Tx, code: string, profileId: string, orderId: string | null, now: Date) {
    const done = await store.redeemOwnCode(tx, code, profileId, orderId, now);
    if (done) return { code, pool_id: done.pool_id, status: 'redeemed' as const, redeemed_at: now };
    // Refused: read what is there only to explain why.
    const row = await store.getCode(tx, code);
    if (!row) throw new PromoNotFound('Code');
    const pool = await poolOf(tx, row.pool_id);
    if (!pool.multi_profile) throw PromoRefusal.of(redeemRefusal(row, pool, profileId, now));
    const shared = await store.redeemSharedCode(tx, code, profileId, orderId, now);
    if (shared) return { code, pool_id: pool.id, status: 'redeemed' as const, redeemed_at: now };
    const holding = await store.sharedHolding(tx, code, profileId);
    if (row.status === 'deleted') throw new PromoRefusal('code-deleted', 'The code was deleted.');
    if (!holding) throw new PromoRefusal('code-not-issued-to-profile', 'The code was not issued to this profile.');
    if (holding.redeemed_at) throw new PromoRefusal('code-redeemed', 'This profile redeemed the code already.');
    if (holding.expires_at && holding.expires_at <= now) throw new PromoRefusal('code-expired', 'The code has expired for this profile.');
    throw new PromoRefusal('pool-not-valid', 'The pool is paused; its codes cannot be redeemed.');
  },

  /** Undoes a redemption (the order was canceled). Shared codes need the profile or the order. */
  async releaseCode(tx: Tx, code: string, now: Date, by: { profileId?: string | null; orderId?: string | null } = {}) {
    const row = await store.getCode(tx, code);
    if (!row) throw new PromoNotFound('Code');
    const pool = await poolOf(tx, row.pool_id);
    if (pool.multi_profile) {
      if (!by.profileId && !by.orderId) throw new PromoRefusal('profile-required', 'A shared code is released for one profile or order; name it.');
      const n = await store.releaseSharedCode(tx, code, by.profileId ?? null, by.orderId ?? null, now);
      if (!n) throw new PromoRefusal('code-not-redeemed', 'No redemption of this code matches.');
      return { code, pool_id: pool.id, status: statusAt(row, now) };
    }
    const done = await store.releaseOwnCode(tx, code, by.orderId ?? null, now);
    if (!done) throw new PromoRefusal('code-not-redeemed', row.status === 'redeemed' ? 'The code was redeemed for another order.' : 'The code is not redeemed.');
    return { code, pool_id: pool.id, status: statusAt(done, now) };
  },

  /** Releases every code an order redeemed (the order was canceled); returns the released codes. */
  async releaseOrderCodes(tx: Tx, orderId: string, now: Date): Promise<string[]> {
    const held = await store.codesRedeemedByOrder(tx, orderId);
    for (const h of held) await promo.releaseCode(tx, h.code, now, { profileId: h.profile_id, orderId });
    return held.map((h) => h.code);
  },

  /** Unlinks an issued, unredeemed code from its profile; it becomes available (shared codes: from the named profile). */
  async detachCode(tx: Tx, code: string, now: Date, profileId?: string | null) {
    const row = await store.getCode(tx, code);
    if (!row) throw new PromoNotFound('Code');
    const pool = await poolOf(tx, row.pool_id);
    if (pool.multi_profile) {
      if (!profileId) throw new PromoRefusal('profile-required', 'A shared code is detached from one profile; name it.');
      if (!(await store.detachSharedCode(tx, code, profileId, now)))
        throw new PromoRefusal('code-not-issued-to-profile', 'The profile holds no unredeemed share of this code.');
      return { code, pool_id: pool.id, status: row.status };
    }
    const done = await store.detachOwnCode(tx, code, now);
    if (done) return { code, pool_id: pool.id, status: 'available' };
    const status = statusAt(row, now);
    if (status === 'expired') throw new PromoRefusal('code-expired', 'An expired code cannot be attached again.');
    if (status === 'redeemed') throw new PromoRefusal('code-redeemed', 'A redeemed code stays with its profile.');
    if (status === 'deleted') throw new PromoRefusal('code-deleted', 'The code was deleted.');
    throw new PromoRefusal('code-not-issued', 'The code is not issued to anyone.');
  },

  /** Deletes an available or issued, unredeemed code of the pool. */
  async deleteCode(tx: Tx, poolId: string, code: string, now: Date) {
    if (await store.deleteCode(tx, poolId, code, now)) return;
    const row = await store.getCode(tx, code);
    if (!row || row.pool_id !== poolId || row.status === 'deleted') throw new PromoNotFound('Code');
    throw new PromoRefusal('code-redeemed', 'A redeemed code cannot be deleted; release it first.');
  },
};
