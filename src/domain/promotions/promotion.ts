/**
 * Promotions of a loyalty program, pure: the model, its validation, and the rules that decide whether a
 * promotion may run at a moment for a member (period, status, limits).
 *
 * - `trigger` promotions hold the accrual/redemption rules of `accrue`/`redeem` calls and scenario steps;
 *   they never run at checkout. Benefits: `points_fixed` (the points), `points_multiplier` (times the
 *   points asked for), `points_percent` (that percentage of the points asked for).
 * - `discount` promotions change prices at checkout: `percent` off, `fixed` amount off (order level,
 *   spread over the lines), `fixed_price` per unit; `max_discount` caps what one order gets.
 * - `points` promotions accrue points at checkout: `points_percent` of the money paid, `points_fixed`
 *   points per order, `points_multiplier` times the points of the line's best other points promotion.
 *
 * Amounts are stored in minor units (`fixed`, `fixed_price`, `max_discount`); percents and multipliers as
 * the decimal given (computed exactly through `toFraction`); points as integers.
 */
import { orderLanguage } from './conditions.js';
import { isEmptyFilter, parseItemFilter, type ItemFilter } from './items.js';
import type { ConditionNode, Fault } from '../conditions/tree.js';
import { isUuid } from '../profiles/ref.js';
import { toFraction, toMajor, toMinor } from '../money.js';

export const PROMOTION_TYPES = ['trigger', 'discount', 'points'] as const;
export type PromotionType = (typeof PROMOTION_TYPES)[number];
export const BENEFIT_KINDS = ['percent', 'fixed', 'fixed_price', 'points_percent', 'points_fixed', 'points_multiplier'] as const;
export type BenefitKind = (typeof BENEFIT_KINDS)[number];
export const PROMOTION_STATUSES = ['active', 'paused'] as const;
export type PromotionStatus = (typeof PROMOTION_STATUSES)[number];

/** The benefit kinds each type may carry. */
export const KINDS_OF_TYPE: Record<PromotionType, readonly BenefitKind[]> = {
  discount: ['percent', 'fixed', 'fixed_price'],
  points: ['points_percent', 'points_fixed', 'points_multiplier'],
  trigger: ['points_fixed', 'points_multiplier', 'points_percent'],
};

export const DEFAULT_PRIORITY = 100;

export interface Benefit {
  kind: BenefitKind;
  /** Minor units for `fixed`/`fixed_price`; points for `points_fixed`; the decimal given otherwise. */
  value: number;
  /** Minor units; discount kinds only. */
  max_discount: number | null;
}

export interface Limits {
  per_member: number | null;
  total_uses: number | null;
  budget_points: number | null;
}

export interface PromotionSettings {
  name: string;
  type: PromotionType;
  priority: number;
  combinable: boolean;
  starts_at: Date | null;
  ends_at: Date | null;
  status: PromotionStatus;
  conditions: ConditionNode | null;
  applies_to: ItemFilter | null;
  promo_code_pool_id: string | null;
  benefit: Benefit;
  limits: Limits;
}

export interface Promotion extends PromotionSettings {
  id: string;
  program_id: string;
  created_at: Date;
  updated_at: Date;
}

/** A promotion as the API writes it (major units, ISO times). */
export interface PromotionInput {
  name: string;
  type: string;
  priority?: number;
  combinable?: boolean;
  starts_at?: string | null;
  ends_at?: string | null;
  status?: string;
  conditions?: unknown;
  applies_to?: unknown;
  promo_code_pool_id?: string | null;
  benefit: { kind: string; value: number; max_discount?: number | null };
  limits?: { per_member?: number | null; total_uses?: number | null; budget_points?: number | null } | null;
}

const NO_LIMITS: Limits = { per_member: null, total_uses: null, budget_points: null };

function benefitOf(type: PromotionType | null, b: PromotionInput['benefit'], faults: Fault[]): Benefit | null {
  const kind = b.kind as BenefitKind;
  if (!(BENEFIT_KINDS as readonly string[]).includes(kind)) {
    faults.push({ path: 'benefit.kind', message: `must be one of ${BENEFIT_KINDS.join(', ')}` });
    return null;
  }
  if (type && !KINDS_OF_TYPE[type].includes(kind))
    faults.push({ path: 'benefit.kind', message: `a ${type} promotion takes ${KINDS_OF_TYPE[type].join(', ')}` });
  const v = b.value;
  let value: number | null = null;
  const decimal = (max: number) => {
    const f = typeof v === 'number' ? toFraction(v) : null;
    if (!f || f.num <= 0n || v > max) faults.push({ path: 'benefit.value', message: `must be a decimal above 0 and at most ${max}` });
    else value = v;
  };
  switch (kind) {
    case 'percent':
      decimal(100);
      break;
    case 'points_percent':
    case 'points_multiplier':
      decimal(1000);
      break;
    case 'fixed':
    case 'fixed_price': {
      const m = typeof v === 'number' ? toMinor(v) : null;
      if (m === null || m < 0 || (kind === 'fixed' && m === 0))
        faults.push({ path: 'benefit.value', message: `must be an amount ${kind === 'fixed' ? 'above 0' : 'of 0 or more'} with at most 2 decimals` });
      else value = m;
      break;
    }
    case 'points_fixed':
      if (!Number.isInteger(v) || v < 1 || v > 1_000_000_000) faults.push({ path: 'benefit.value', message: 'must be a whole number of points from 1' });
      else value = v;
      break;
  }
  let maxDiscount: number | null = null;
  if (b.max_discount !== undefined && b.max_discount !== null) {
    if (!KINDS_OF_TYPE.discount.includes(kind) || (type && type !== 'discount')) faults.push({ path: 'benefit.max_discount', message: 'applies to discount promotions only' });
    else {
      const m = toMinor(b.max_discount);
      if (m === null || m <= 0) faults.push({ path: 'benefit.max_discount', message: 'must be an amount above 0 with at most 2 decimals' });
      else maxDiscount = m;
    }
  }
  return value === null ? null : { kind, value, max_discount: maxDiscount };
}

function limitsOf(type: PromotionType | null, l: PromotionInput['limits'], faults: Fault[]): Limits {
  if (l === undefined || l === null) return NO_LIMITS;
  const out: Limits = { ...NO_LIMITS };
  for (const k of ['per_member', 'total_uses', 'budget_points'] as const) {
    const v = l[k];
    if (v === undefined || v === null) continue;
    if (!Number.isInteger(v) || v < 1) faults.push({ path: `limits.${k}`, message: 'must be a whole number from 1' });
    else out[k] = v;
  }
  if (out.budget_points !== null && type === 'discount') faults.push({ path: 'limits.budget_points', message: 'applies to points and trigger promotions only' });
  return out;
}

const date = (v: string | null | undefined) => (v === undefined || v === null ? null : new Date(v));

/** Checks a promotion body beyond its schema; every problem is listed with its path. */
export function toPromotionSettings(input: PromotionInput): PromotionSettings | Fault[] {
  const faults: Fault[] = [];
  const type = (PROMOTION_TYPES as readonly string[]).includes(input.type) ? (input.type as PromotionType) : null;
  if (!type) faults.push({ path: 'type', message: `must be one of ${PROMOTION_TYPES.join(', ')}` });
  const name = typeof input.name === 'string' ? input.name.trim() : '';
  if (!name) faults.push({ path: 'name', message: 'is required' });
  const priority = input.priority ?? DEFAULT_PRIORITY;
  if (!Number.isInteger(priority) || Math.abs(priority) > 1_000_000) faults.push({ path: 'priority', message: 'must be a whole number between -1000000 and 1000000' });
  const status = input.status ?? 'active';
  if (!(PROMOTION_STATUSES as readonly string[]).includes(status)) faults.push({ path: 'status', message: 'must be active or paused' });
  const startsAt = date(input.starts_at);
  const endsAt = date(input.ends_at);
  for (const [k, d] of [['starts_at', startsAt], ['ends_at', endsAt]] as const)
    if (d && Number.isNaN(d.getTime())) faults.push({ path: k, message: 'must be an ISO 8601 date-time' });
  if (startsAt && endsAt && !(endsAt > startsAt)) faults.push({ path: 'ends_at', message: 'must be after starts_at' });
  let conditions: ConditionNode | null = null;
  if (input.conditions !== undefined && input.conditions !== null) {
    const v = orderLanguage.validate(input.conditions, 'conditions');
    faults.push(...v.errors, ...v.unavailable);
    conditions = input.conditions as ConditionNode;
  }
  let appliesTo: ItemFilter | null = null;
  if (input.applies_to !== undefined && input.applies_to !== null) {
    const f = parseItemFilter(input.applies_to, 'applies_to');
    if (Array.isArray(f)) faults.push(...f);
    else if (!isEmptyFilter(f)) appliesTo = f;
  }
  const pool = input.promo_code_pool_id ?? null;
  if (pool !== null && !isUuid(pool)) faults.push({ path: 'promo_code_pool_id', message: 'must be a pool id (UUID)' });
  if (pool !== null && type === 'trigger') faults.push({ path: 'promo_code_pool_id', message: 'trigger promotions run without codes' });
  const benefit = benefitOf(type, input.benefit, faults);
  const limits = limitsOf(type, input.limits, faults);
  if (faults.length || !type || !benefit) return faults.length ? faults : [{ path: 'benefit', message: 'is invalid' }];
  return {
    name,
    type,
    priority,
    combinable: input.combinable ?? true,
    starts_at: startsAt,
    ends_at: endsAt,
    status: status as PromotionStatus,
    conditions,
    applies_to: appliesTo,
    promo_code_pool_id: pool === null ? null : pool.toLowerCase(),
    benefit,
    limits,
  };
}

/** The settings back in the API's units: what a PATCH merges into. */
export function promotionInput(s: PromotionSettings): PromotionInput {
  const money = s.benefit.kind === 'fixed' || s.benefit.kind === 'fixed_price';
  return {
    name: s.name,
    type: s.type,
    priority: s.priority,
    combinable: s.combinable,
    starts_at: s.starts_at ? s.starts_at.toISOString() : null,
    ends_at: s.ends_at ? s.ends_at.toISOString() : null,
    status: s.status,
    conditions: s.conditions,
    applies_to: s.applies_to,
    promo_code_pool_id: s.promo_code_pool_id,
    benefit: { kind: s.benefit.kind, value: money ? toMajor(s.benefit.value) : s.benefit.value, max_discount: s.benefit.max_discount === null ? null : toMajor(s.benefit.max_discount) },
    limits: { ...s.limits },
  };
}

export type PromotionPatch = Partial<Omit<PromotionInput, 'benefit' | 'limits'>> & {
  benefit?: Partial<PromotionInput['benefit']>;
  limits?: PromotionInput['limits'];
};

/**
 * A PATCH on the current settings: top-level fields replace (null clears an optional one); `benefit` and
 * `limits` merge field by field (`limits: null` clears every limit). The result is validated as a whole.
 */
export function patchPromotion(current: PromotionSettings, patch: PromotionPatch): PromotionSettings | Fault[] {
  const base = promotionInput(current);
  const { benefit, limits, ...top } = patch;
  const merged: PromotionInput = {
    ...base,
    ...top,
    benefit: { ...base.benefit, ...(benefit ?? {}) } as PromotionInput['benefit'],
    limits: limits === null ? null : { ...base.limits, ...(limits ?? {}) },
  };
  return toPromotionSettings(merged);
}

/* ───────────── whether a promotion may run ───────────── */

export interface Usage {
  /** Counted uses (orders or trigger calls) of the promotion. */
  uses: number;
  /** Points the promotion gave so far. */
  points: number;
}

export interface Refusal {
  reason: string;
  detail: string;
}

/** Why the promotion's period excludes `now`, or null. */
export function periodRefusal(p: Pick<PromotionSettings, 'starts_at' | 'ends_at'>, now: Date): Refusal | null {
  if (p.starts_at && now < p.starts_at) return { reason: 'not-started', detail: `The promotion starts at ${p.starts_at.toISOString()}.` };
  if (p.ends_at && now >= p.ends_at) return { reason: 'ended', detail: `The promotion ended at ${p.ends_at.toISOString()}.` };
  return null;
}

/** Why the promotion's limits leave no room for one more use by this member, or null. */
export function limitRefusal(limits: Limits, usage: Usage, memberUses: number): Refusal | null {
  if (limits.per_member !== null && memberUses >= limits.per_member)
    return { reason: 'limit-reached', detail: `The member used the promotion ${memberUses} of ${limits.per_member} times.` };
  if (limits.total_uses !== null && usage.uses >= limits.total_uses)
    return { reason: 'limit-reached', detail: `The promotion was used ${usage.uses} of ${limits.total_uses} times.` };
  if (limits.budget_points !== null && usage.points >= limits.budget_points)
    return { reason: 'limit-reached', detail: `The promotion's budget of ${limits.budget_points} points is spent.` };
  return null;
}

/** True when a use must be counted (its counters back a limit). */
export const isLimited = (l: Limits) => l.per_member !== null || l.total_uses !== null || l.budget_points !== null;

/** Points still in the budget (Infinity without one). */
export const budgetLeft = (l: Limits, usage: Usage) => (l.budget_points === null ? Number.POSITIVE_INFINITY : Math.max(0, l.budget_points - usage.points));
