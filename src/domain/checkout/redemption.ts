/**
 * Arbitration step 3: paying with points. At most `redeem_max_share` of the discounted total (rounded
 * down), at most the points that can be spent now, each point worth `point_value`. The money value is
 * spread over the lines like an order discount (in proportion to what is left of each, the remainder on the
 * largest line), and the points in proportion to that value, so a refund gives back the points of the
 * lines refunded.
 */
import { divRound, spreadOverLines, toFraction } from '../money.js';
import type { Line, Trace } from './lines.js';
import type { CalculationInput } from './types.js';

export interface Redemption {
  points: number;
  value: number;
  max: number;
}

export function redeemPoints(input: CalculationInput, lines: Line[], trace: Trace): Redemption {
  const { program, member, request } = input;
  const total = lines.reduce((s, l) => s + l.remaining, 0);
  const share = toFraction(program.redeem_max_share)!;
  const maxMoney = divRound(BigInt(total) * share.num, share.den, 'floor');
  const byShare = Math.floor(maxMoney / program.point_value);
  const max = Math.max(0, Math.min(byShare, member.spendable));
  const asked = request.redeem_points === 'max' ? max : (request.redeem_points ?? 0);
  const points = Math.min(asked, max);
  const value = points * program.point_value;
  if (asked > 0) {
    const reason =
      points === asked
        ? request.redeem_points === 'max'
          ? `max: ${byShare <= member.spendable ? 'redeem_max_share of the total' : 'the spendable balance'}`
          : 'as asked'
        : `capped from ${asked} by ${byShare <= member.spendable ? 'redeem_max_share of the total' : 'the spendable balance'}`;
    trace.add({ promotion_id: null, step: 'redeem', outcome: points > 0 ? 'applied' : 'none', reason, amount_before: total, amount_after: total - value, points });
  }
  if (points === 0) return { points: 0, value: 0, max };
  const values = spreadOverLines(value, lines.map((l) => l.remaining));
  const pts = spreadOverLines(points, values);
  lines.forEach((l, i) => {
    l.redeemedValue = values[i];
    l.redeemedPoints = pts[i];
    l.paid = l.remaining - values[i];
    if (values[i] > 0)
      trace.add({ promotion_id: null, line: l.index, step: 'redeem', outcome: 'applied', reason: 'share of the points redeemed', amount_before: l.remaining, amount_after: l.paid, points: pts[i] });
  });
  return { points, value, max };
}
