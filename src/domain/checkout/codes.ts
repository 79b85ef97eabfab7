/**
 * Whether a promo code of a checkout request can be used by the profile now: the same rules the promo
 * module's redemption applies (engine/promo.ts), read without changing anything, so a preorder tells
 * exactly which codes its commit will be able to redeem.
 */
import { redeemRefusal } from '../promo/lifecycle.js';
import type { CodeState } from './types.js';

export interface CodeFacts {
  code: string;
  pool_id: string;
  status: string;
  profile_id: string | null;
  expires_at: Date | null;
  pool_status: 'active' | 'paused';
  multi_profile: boolean;
  /** Shared codes: the profile's share, when it holds one. */
  holding: { redeemed_at: Date | null; expires_at: Date | null } | null;
}

export function codeState(c: CodeFacts, profileId: string, now: Date): CodeState {
  const live = (expires: Date | null) => expires === null || expires > now;
  if (!c.multi_profile) {
    const usable = c.status === 'issued' && c.profile_id === profileId && live(c.expires_at) && c.pool_status === 'active';
    return { pool_id: c.pool_id, refusal: usable ? null : redeemRefusal(c, { status: c.pool_status }, profileId, now).slug };
  }
  let refusal: string | null = null;
  if (c.status === 'deleted') refusal = 'code-deleted';
  else if (!c.holding) refusal = 'code-not-issued-to-profile';
  else if (c.holding.redeemed_at) refusal = 'code-redeemed';
  else if (!live(c.holding.expires_at)) refusal = 'code-expired';
  else if (c.pool_status !== 'active') refusal = 'pool-not-valid';
  return { pool_id: c.pool_id, refusal };
}
