/**
 * Trigger promotions decide or bound the points of an `accrue`/`redeem` call (and of a scenario's
 * `loyalty_points` step), pure:
 *
 * - `points_fixed`: the promotion's points when the call names none; a call may ask for fewer, never more;
 * - `points_multiplier`: the points the call names times the value, rounded by the program's rule;
 * - `points_percent`: that percentage of the points the call names, rounded the same way.
 *
 * The promotion must be an active trigger promotion within its period whose conditions hold (an order
 * segment evaluated without a cart: tier, profile fields, orders_count, weekday/hour, …) and whose
 * limits leave room: per member, total uses, and for accruals the points budget.
 */
import { roundPoints, toFraction, type Rounding } from '../money.js';
import { orderLanguage, type OrderConditionContext } from './conditions.js';
import { budgetLeft, limitRefusal, periodRefusal, type Promotion, type Refusal, type Usage } from './promotion.js';

export interface TriggerAsk {
  action: 'accrue' | 'redeem';
  /** Points the call names, if any. */
  points: number | null;
}

export function triggerPoints(
  p: Promotion,
  ask: TriggerAsk,
  rules: { points_rounding: Rounding },
  state: { usage: Usage; memberUses: number; conditions: OrderConditionContext; now: Date },
): { points: number } | Refusal {
  if (p.type !== 'trigger') return { reason: 'promotion-not-trigger', detail: `This is a ${p.type} promotion; it runs at checkout.` };
  if (p.status !== 'active') return { reason: 'promotion-paused', detail: 'The promotion is paused.' };
  const period = periodRefusal(p, state.now);
  if (period) return period;
  if (p.conditions && !orderLanguage.evaluate(p.conditions, { ...state.conditions, appliesTo: p.applies_to }))
    return { reason: 'condition-not-met', detail: 'The member does not meet the promotion’s conditions.' };
  const limit = limitRefusal(p.limits, state.usage, state.memberUses);
  if (limit) return limit;
  let points: number;
  if (p.benefit.kind === 'points_fixed') {
    if (ask.points !== null && ask.points > p.benefit.value)
      return { reason: 'points-above-promotion', detail: `The promotion gives at most ${p.benefit.value} points; ${ask.points} were asked for.` };
    points = ask.points ?? p.benefit.value;
  } else {
    if (ask.points === null) return { reason: 'points-required', detail: 'This promotion scales the points the call names; name them.' };
    const m = toFraction(p.benefit.value)!;
    const den = p.benefit.kind === 'points_percent' ? m.den * 100n : m.den;
    points = roundPoints(BigInt(ask.points) * m.num, den, rules.points_rounding);
  }
  if (points <= 0) return { reason: 'no-effect', detail: 'The promotion gives no points for this call.' };
  if (ask.action === 'accrue' && points > budgetLeft(p.limits, state.usage))
    return { reason: 'limit-reached', detail: `The promotion's budget has ${budgetLeft(p.limits, state.usage)} points left; ${points} were asked for.` };
  return { points };
}
