/** Loyalty program settings and tiers, pure. */
import { isDuration } from '../duration.js';
import { isValidTimezone } from '../messaging/schedule.js';
import { roundPoints, toFraction, toMinor, type Rounding } from '../money.js';

export interface Tier {
  name: string;
  /** Minor units spent within the tier window. */
  min_spend: number;
  accrual_multiplier: number;
}

export interface ProgramSettings {
  name: string;
  currency: string;
  welcome_points: number;
  /** Money value of one point, minor units. */
  point_value: number;
  points_rounding: Rounding;
  points_ttl: string | null;
  accrual_hold: string | null;
  redeem_max_share: number;
  tiers: Tier[];
  tier_window: string;
  expiry_notice: string;
  /** IANA time zone order conditions read weekday and hour in. */
  timezone: string;
}

export interface ProgramInput {
  name: string;
  currency: string;
  welcome_points?: number;
  point_value: number;
  points_rounding: Rounding;
  points_ttl?: string | null;
  accrual_hold?: string | null;
  redeem_max_share: number;
  tiers?: { name: string; min_spend: number; accrual_multiplier?: number }[];
  tier_window?: string;
  expiry_notice?: string;
  timezone?: string;
}

export const DEFAULT_TIER_WINDOW = 'P365D';
export const DEFAULT_EXPIRY_NOTICE = 'P7D';

/** Checks a program body beyond its schema; every problem is listed with its path. */
export function toProgramSettings(input: ProgramInput): ProgramSettings | { path: string; message: string }[] {
  const errors: { path: string; message: string }[] = [];
  const pointValue = toMinor(input.point_value);
  if (pointValue === null || pointValue <= 0) errors.push({ path: 'point_value', message: 'must be a positive amount with at most 2 decimals' });
  for (const k of ['points_ttl', 'accrual_hold', 'tier_window', 'expiry_notice'] as const) {
    const v = input[k];
    if (v !== undefined && v !== null && (!isDuration(v) || v.startsWith('-'))) errors.push({ path: k, message: 'must be an ISO 8601 duration such as P365D' });
  }
  const share = toFraction(input.redeem_max_share);
  if (!share || share.num < 0n || share.num > share.den) errors.push({ path: 'redeem_max_share', message: 'must be between 0 and 1' });
  if (input.timezone !== undefined && !isValidTimezone(input.timezone)) errors.push({ path: 'timezone', message: 'must be an IANA time zone such as Europe/Berlin' });
  const tiers: Tier[] = [];
  const names = new Set<string>();
  (input.tiers ?? []).forEach((t, i) => {
    const spend = toMinor(t.min_spend);
    if (spend === null || spend < 0) errors.push({ path: `tiers.${i}.min_spend`, message: 'must be a non-negative amount with at most 2 decimals' });
    if (names.has(t.name)) errors.push({ path: `tiers.${i}.name`, message: 'is used by another tier' });
    names.add(t.name);
    const mult = t.accrual_multiplier ?? 1;
    if (!toFraction(mult) || mult <= 0) errors.push({ path: `tiers.${i}.accrual_multiplier`, message: 'must be a positive decimal' });
    tiers.push({ name: t.name, min_spend: spend ?? 0, accrual_multiplier: mult });
  });
  if (errors.length) return errors;
  return {
    name: input.name,
    currency: input.currency.toUpperCase(),
    welcome_points: input.welcome_points ?? 0,
    point_value: pointValue!,
    points_rounding: input.points_rounding,
    points_ttl: input.points_ttl === undefined ? 'P365D' : input.points_ttl,
    accrual_hold: input.accrual_hold ?? null,
    redeem_max_share: input.redeem_max_share,
    tiers: tiers.sort((a, b) => a.min_spend - b.min_spend),
    tier_window: input.tier_window ?? DEFAULT_TIER_WINDOW,
    expiry_notice: input.expiry_notice ?? DEFAULT_EXPIRY_NOTICE,
    timezone: input.timezone ?? 'UTC',
  };
}

/** The tier a spend reaches: the one with the highest `min_spend` not above it; null below every tier. */
export function tierFor(tiers: Tier[], spend: number): Tier | null {
  let best: Tier | null = null;
  for (const t of tiers) if (t.min_spend <= spend && (!best || t.min_spend >= best.min_spend)) best = t;
  return best;
}

/** The accrual multiplier of a member's tier (1 without a tier). */
export function tierMultiplier(tiers: Tier[], tier: string | null): number {
  return tiers.find((t) => t.name === tier)?.accrual_multiplier ?? 1;
}

/** Points worth `minor` money at the program's `point_value`, rounded by its rule (e.g. cashback → points). */
export function moneyToPoints(minor: number, program: Pick<ProgramSettings, 'point_value' | 'points_rounding'>): number {
  return roundPoints(minor, program.point_value, program.points_rounding);
}

/** The money value (minor units) of `points` at the program's `point_value`. */
export function pointsToMoney(points: number, program: Pick<ProgramSettings, 'point_value'>): number {
  return points * program.point_value;
}

/**
 * Points accrued for a paid amount: `percent` of `minor` as money, times the tier multiplier, turned into
 * points at `point_value`, rounded once by the program's rule (exact rational arithmetic until then).
 */
export function accrualPoints(
  minor: number,
  percent: number,
  multiplier: number,
  program: Pick<ProgramSettings, 'point_value' | 'points_rounding'>,
): number {
  const p = toFraction(percent);
  const m = toFraction(multiplier);
  if (!p || !m) throw new RangeError('percent and multiplier must be plain decimals');
  const num = BigInt(minor) * p.num * m.num;
  const den = 100n * p.den * m.den * BigInt(program.point_value);
  return roundPoints(num, den, program.points_rounding);
}
