import { addDuration } from '../duration.js';

/**
 * A code's life: `available → issued → redeemed`; an issued code past its TTL is `expired`; a deleted code
 * keeps its row (a code is never reused) with status `deleted`. Release undoes a redemption, detach undoes
 * an issue. The transitions themselves are conditional UPDATEs in store/promo.ts; this file holds the rules
 * that decide them and explain a refusal.
 */
export const CODE_STATUSES = ['available', 'issued', 'redeemed', 'expired', 'deleted'] as const;
export type CodeStatus = (typeof CODE_STATUSES)[number];

export interface PoolRules {
  status: 'active' | 'paused';
  valid_from: Date | null;
  valid_to: Date | null;
  code_ttl: string | null;
  max_codes: number | null;
}

/** A refusal: the problem slug of API.md and a sentence for people. */
export interface Refusal {
  slug: string;
  detail: string;
}

/** Why the pool cannot hand out codes at `now`, or null: the pool period bounds issuing (not using). */
export function issueRefusal(pool: PoolRules, now: Date): Refusal | null {
  if (pool.status === 'paused') return { slug: 'pool-not-valid', detail: 'The pool is paused; it hands out no codes.' };
  if (pool.valid_from && now < pool.valid_from)
    return { slug: 'pool-not-valid', detail: `The pool hands out codes from ${pool.valid_from.toISOString()}.` };
  if (pool.valid_to && now >= pool.valid_to)
    return { slug: 'pool-not-valid', detail: `The pool stopped handing out codes at ${pool.valid_to.toISOString()}.` };
  return null;
}

export function expiryOf(pool: Pick<PoolRules, 'code_ttl'>, issuedAt: Date): Date | null {
  return pool.code_ttl ? addDuration(issuedAt, pool.code_ttl) : null;
}

/** The status as of `now`: an issued code whose TTL has run out reads as `expired` even before the sweep marks it. */
export function statusAt(row: { status: string; expires_at: Date | null }, now: Date): CodeStatus {
  if (row.status === 'issued' && row.expires_at && row.expires_at <= now) return 'expired';
  return row.status as CodeStatus;
}

/**
 * How many more codes a pool may make. Generation fills at most half of the template's space still free,
 * so a random draw hits a free code at least half the time and top-ups end quickly; `max_codes` caps the pool.
 */
export function generationRefusal(requested: number, existing: number, cap: bigint | null, maxCodes: number | null): Refusal | null {
  if (maxCodes !== null && existing + requested > maxCodes)
    return { slug: 'pool-exhausted', detail: `The pool holds ${existing} of at most ${maxCodes} codes; ${requested} more would pass max_codes.` };
  if (cap !== null) {
    const free = cap - BigInt(existing);
    if (free <= 0n || BigInt(requested) * 2n > free)
      return {
        slug: 'pool-exhausted',
        detail: `The template can make ${cap} codes and ${existing} exist; generating ${requested} more would use more than half of what is still free (at most ${free > 0n ? free / 2n : 0n}).`,
      };
  }
  return null;
}

export interface CodeState {
  status: string;
  profile_id: string | null;
  expires_at: Date | null;
}

/** Why `profileId` cannot redeem this code now (explains a conditional UPDATE that changed nothing). */
export function redeemRefusal(code: CodeState, pool: Pick<PoolRules, 'status'>, profileId: string, now: Date): Refusal {
  const status = statusAt(code, now);
  if (status === 'deleted') return { slug: 'code-deleted', detail: 'The code was deleted.' };
  if (status === 'expired') return { slug: 'code-expired', detail: 'The code has expired.' };
  if (status === 'redeemed') return { slug: 'code-redeemed', detail: 'The code was redeemed already.' };
  if (status === 'available' || code.profile_id !== profileId)
    return { slug: 'code-not-issued-to-profile', detail: 'The code was not issued to this profile.' };
  if (pool.status === 'paused') return { slug: 'pool-not-valid', detail: 'The pool is paused; its codes cannot be redeemed.' };
  return { slug: 'code-redeemed', detail: 'The code could not be redeemed; it changed meanwhile.' };
}
