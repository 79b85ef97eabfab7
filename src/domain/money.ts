/**
 * Money and points arithmetic. Money lives in integer minor units (cents); the API speaks major units
 * with at most two decimals, converted here exactly from their decimal text, never by float multiply.
 * Points are integers; every fractional amount of points is rounded by `roundPoints`, the one rule.
 */
export type Rounding = 'floor' | 'round' | 'ceil';

const MAJOR_RE = /^(-)?(\d{1,13})(?:\.(\d{1,2}))?$/;

/** `19.99` or `"19.99"` → 1999; null when the value is not a finite amount with at most two decimals. */
export function toMinor(major: number | string): number | null {
  if (typeof major === 'number' && !Number.isFinite(major)) return null;
  // A JS number prints as its shortest round-tripping decimal (19.99 → "19.99"), so the text is the amount given.
  const text = typeof major === 'number' ? numberText(major) : major.trim();
  const m = MAJOR_RE.exec(text);
  if (!m) return null;
  const minor = Number(m[2]) * 100 + Number((m[3] ?? '').padEnd(2, '0'));
  return m[1] && minor !== 0 ? -minor : minor;
}

function numberText(n: number): string {
  const s = String(n);
  if (!/e/i.test(s)) return s;
  // 1e-7 and 1e21 style: tiny amounts are not money; big ones are refused by the digit limit.
  return n.toFixed(20).replace(/\.?0+$/, '');
}

/** 1999 → 19.99 (the nearest double, which JSON prints as the exact two-decimal text). */
export function toMajor(minor: number): number {
  return Number((minor / 100).toFixed(2));
}

/** `numerator / denominator` rounded to an integer by the rule, exactly, in integer arithmetic. */
export function divRound(numerator: bigint | number, denominator: bigint | number, rule: Rounding): number {
  let n = BigInt(numerator);
  let d = BigInt(denominator);
  if (d === 0n) throw new RangeError('division by zero');
  if (d < 0n) {
    n = -n;
    d = -d;
  }
  const q = n / d; // truncates toward zero
  const r = n % d;
  if (r === 0n) return Number(q);
  const floor = n < 0n ? q - 1n : q;
  if (rule === 'floor') return Number(floor);
  if (rule === 'ceil') return Number(floor + 1n);
  // round half up (away from zero for positives): compare 2·remainder with the divisor
  const rem = n - floor * d; // 0 < rem < d
  return Number(2n * rem >= d ? floor + 1n : floor);
}

/** The one rounding rule for points: a fractional amount `numerator / denominator` of points → integer points. */
export function roundPoints(numerator: bigint | number, denominator: bigint | number, rule: Rounding): number {
  return divRound(numerator, denominator, rule);
}

/** A decimal factor (0.5, 1.25, "2") as an exact fraction `num / den`; null when it is not a plain decimal. */
export function toFraction(value: number | string): { num: bigint; den: bigint } | null {
  const text = typeof value === 'number' ? numberText(value) : value.trim();
  const m = /^(-)?(\d{1,15})(?:\.(\d{1,12}))?$/.exec(text);
  if (!m) return null;
  const frac = m[3] ?? '';
  const den = 10n ** BigInt(frac.length);
  const num = BigInt(m[2] + frac) * (m[1] ? -1n : 1n);
  return { num, den };
}

/**
 * Splits `total` over `weights` in proportion, every share an integer, the shares adding up to `total`
 * exactly (largest remainder; ties go to the earlier weight). Weights are non-negative integers.
 */
export function splitProportionally(total: number, weights: number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (!weights.length) return [];
  if (sum === 0) return weights.map((_, i) => (i === 0 ? total : 0));
  const T = BigInt(total);
  const S = BigInt(sum);
  const shares = weights.map((w) => (T * BigInt(w)) / S);
  const rems = weights.map((w, i) => ({ i, r: T * BigInt(w) - shares[i] * S }));
  let left = Number(T - shares.reduce((a, b) => a + b, 0n));
  rems.sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1));
  for (let k = 0; left > 0; k = (k + 1) % rems.length, left--) shares[rems[k].i] += 1n;
  return shares.map(Number);
}

/**
 * Spreads an order-level amount over lines in proportion to their `weights` (the lines' totals), every
 * share an integer and at most its line's weight: each line gets the floor of its exact share and the
 * rounding remainder goes to the largest line (ties: the earlier one), spilling to the next largest only
 * when a line cannot take more than its weight. The shares add up to `total` exactly. Money spread over
 * money never exceeds the lines (callers cap it first); when `total` is larger than the weights' sum (points
 * spread over money) no share is capped and the whole remainder goes to the largest line. Weights are
 * non-negative integers; with all weights zero every share is zero (there is nothing to spread over).
 */
export function spreadOverLines(total: number, weights: number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (total < 0 || !Number.isInteger(total)) throw new RangeError('total must be a non-negative integer');
  if (total === 0 || sum === 0) return weights.map(() => 0);
  const capped = total <= sum;
  const exact = total * Math.max(...weights) <= Number.MAX_SAFE_INTEGER;
  const T = BigInt(total);
  const S = BigInt(sum);
  const shares = weights.map((w) => (exact ? floorDiv(total * w, sum) : Number((T * BigInt(w)) / S)));
  let left = total - shares.reduce((a, b) => a + b, 0);
  if (left === 0) return shares;
  const bySize = weights.map((w, i) => ({ w, i })).sort((a, b) => b.w - a.w || a.i - b.i);
  for (const { w, i } of bySize) {
    const give = capped ? Math.min(left, w - shares[i]) : left;
    shares[i] += give;
    left -= give;
    if (left === 0) break;
  }
  return shares;
}

/** ⌊a / b⌋ for non-negative safe integers, corrected for the float division's rounding. */
function floorDiv(a: number, b: number): number {
  let q = Math.floor(a / b);
  if (q * b > a) q--;
  else if ((q + 1) * b <= a) q++;
  return q;
}
