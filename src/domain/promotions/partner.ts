/**
 * Partner products: special terms of a program for single products. At checkout a partner product's
 * `discount_percent` is a discount candidate ranked with the program's highest priority (it is considered
 * before every promotion and combines with them), and its `cashback_percent` is a points candidate that
 * wins a line when it gives more than the line's best points promotion.
 */
import { toFraction } from '../money.js';
import type { Fault } from '../conditions/tree.js';

export interface PartnerTerms {
  cashback_percent: number | null;
  discount_percent: number | null;
  starts_at: Date | null;
  ends_at: Date | null;
}

export interface PartnerProduct extends PartnerTerms {
  program_id: string;
  product_id: string;
  created_at: Date;
  updated_at: Date;
}

export interface PartnerInput {
  cashback_percent?: number | null;
  discount_percent?: number | null;
  starts_at?: string | null;
  ends_at?: string | null;
}

/** The id a partner product's benefit goes by in results and traces. */
export const partnerId = (productId: string) => `partner:${productId}`;

export function toPartnerTerms(input: PartnerInput): PartnerTerms | Fault[] {
  const faults: Fault[] = [];
  const pct = (k: 'cashback_percent' | 'discount_percent', max: number): number | null => {
    const v = input[k];
    if (v === undefined || v === null) return null;
    const f = toFraction(v);
    if (!f || f.num <= 0n || v > max) {
      faults.push({ path: k, message: `must be a decimal above 0 and at most ${max}` });
      return null;
    }
    return v;
  };
  const cashback = pct('cashback_percent', 1000);
  const discount = pct('discount_percent', 100);
  const startsAt = input.starts_at ? new Date(input.starts_at) : null;
  const endsAt = input.ends_at ? new Date(input.ends_at) : null;
  if (startsAt && endsAt && !(endsAt > startsAt)) faults.push({ path: 'ends_at', message: 'must be after starts_at' });
  if (!faults.length && cashback === null && discount === null)
    faults.push({ path: 'cashback_percent', message: 'give cashback_percent, discount_percent or both' });
  return faults.length ? faults : { cashback_percent: cashback, discount_percent: discount, starts_at: startsAt, ends_at: endsAt };
}

/** True when the terms hold at `now`. */
export const partnerActive = (p: PartnerTerms, now: Date) => (!p.starts_at || now >= p.starts_at) && (!p.ends_at || now < p.ends_at);
