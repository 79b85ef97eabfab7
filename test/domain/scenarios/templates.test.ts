import { describe, expect, it } from 'vitest';
import { placeholdersOf, SCENARIO_TEMPLATES, scenarioTemplate, simulate, substitute, validate, type ScenarioTemplate } from '../../../src/domain/scenarios/index.js';
import { DAY, factsWorld, HOUR, later, MIN, path, sends, T0 } from './fixtures.js';

const tpl = (key: string): ScenarioTemplate => scenarioTemplate(key)!;
const profile = { id: 'p-1', fields: {} };
const failing = (reason: string) => () => ({ type: 'failed' as const, reason });

describe('classic scenario templates', () => {
  it('there are seven, each valid, each referencing only its own sample templates', () => {
    expect(SCENARIO_TEMPLATES.map((t) => t.key)).toEqual(['welcome', 'first_purchase', 'education', 'abandoned_cart', 'loyalty_management', 'reactivation', 'payment_notification']);
    for (const t of SCENARIO_TEMPLATES) {
      expect(validate(t), t.key).toEqual([]);
      const keys = new Set(t.sample_templates.map((s) => s.key));
      for (const p of placeholdersOf(t).filter((p) => p.kind === 'tpl')) expect(keys.has(p.key), `${t.key} ${p.text}`).toBe(true);
      for (const s of t.sample_templates) expect(placeholdersOf(t).some((p) => p.text === `tpl:${s.key}`), `${t.key} uses ${s.key}`).toBe(true);
    }
  });

  it('placeholders are substituted with real ids and then validate against refs', () => {
    const t = tpl('abandoned_cart');
    const ids: Record<string, string> = {};
    placeholdersOf(t).forEach((p, i) => (ids[p.text] = `id-${i}`));
    const nodes = substitute(t.nodes, ids);
    const refs = { templates: new Set(Object.entries(ids).filter(([k]) => k.startsWith('tpl:')).map(([, v]) => v)), pools: new Set([ids['pool:cart_discount']]) };
    expect(validate({ settings: t.settings, nodes }, refs)).toEqual([]);
    expect(validate(t, refs).length).toBeGreaterThan(0);
    expect(t.nodes.find((n) => n.id === 'reminder')!.config!.template_id).toBe('tpl:cart_reminder');
  });
});

describe('welcome', () => {
  const t = tpl('welcome');
  const registered = { at: later(HOUR), name: 'registered' };
  it('a dropped registration gets a reminder', () => {
    const r = simulate(t, { profile }, factsWorld(), T0);
    expect(path(r)).toEqual(['start:entered', 'wait_registration:waiting', 'wait_registration:timeout', 'finish_registration:passed', 'finish_registration:completed']);
    expect(sends(r)).toEqual(['tpl:finish_registration']);
  });
  it('a registration gets welcome, points and a code; an order reaches the goal', () => {
    const r = simulate(t, { profile, events: [registered, { at: later(2 * DAY), name: 'order_placed' }] }, factsWorld(), T0);
    expect(path(r)).toEqual([
      'start:entered',
      'wait_registration:waiting',
      'wait_registration:received',
      'welcome_email:passed',
      'welcome_points:passed',
      'welcome_code:passed',
      'send_code:passed',
      'wait_order:waiting',
      'wait_order:goal: order_placed',
      'wait_order:received',
      'first_order:passed',
      'first_order:completed',
    ]);
    expect(sends(r)).toEqual(['tpl:welcome', 'tpl:welcome_code']);
    expect(r.effects.find((e) => e.type === 'send' && e.template_id === 'tpl:welcome_code')).toMatchObject({ data: { promo_code: 'SIM-pool:welcome' } });
  });
  it('failed points and an empty pool are skipped; no order and a phone: the call centre', () => {
    const world = factsWorld({ phone: '+4915112345678' }, { loyalty: failing('program closed'), issueCode: failing('pool exhausted') });
    const r = simulate(t, { profile, events: [registered] }, world, T0);
    expect(path(r)).toEqual([
      'start:entered',
      'wait_registration:waiting',
      'wait_registration:received',
      'welcome_email:passed',
      'welcome_points:branch:failed (program closed)',
      'welcome_code:branch:failed (pool exhausted)',
      'wait_order:waiting',
      'wait_order:timeout',
      'has_phone:branch:yes',
      'call_centre:passed',
      'call_centre:completed',
    ]);
  });
  it('no order and no phone: an email reminder', () => {
    const r = simulate(t, { profile, events: [registered] }, factsWorld(), T0);
    expect(path(r).slice(-4)).toEqual(['wait_order:timeout', 'has_phone:branch:no', 'reminder:passed', 'reminder:completed']);
    expect(sends(r)).toEqual(['tpl:welcome', 'tpl:welcome_code', 'tpl:welcome_reminder']);
  });
});

describe('on-boarding: first purchase', () => {
  const t = tpl('first_purchase');
  it('a visit and an order reach the goal', () => {
    const r = simulate(t, { profile, events: [{ at: later(HOUR), name: 'page_viewed' }, { at: later(5 * HOUR), name: 'order_placed' }] }, factsWorld(), T0);
    expect(path(r)).toEqual(['start:entered', 'wait_visit:waiting', 'wait_visit:received', 'wait_order:waiting', 'wait_order:goal: order_placed', 'wait_order:received', 'first_purchase:passed', 'first_purchase:completed']);
  });
  it('no visit after the reminder either: the instance ends cold', () => {
    const r = simulate(t, { profile }, factsWorld(), T0);
    expect(path(r)).toEqual(['start:entered', 'wait_visit:waiting', 'wait_visit:timeout', 'nudge:passed', 'wait_visit_again:waiting', 'wait_visit_again:timeout', 'cold:exited']);
    expect(sends(r)).toEqual(['tpl:new_line_reminder']);
  });
  it('a visit after the reminder without an order: the tripwire code, then an order', () => {
    const r = simulate(t, { profile, events: [{ at: later(4 * DAY), name: 'page_viewed' }, { at: later(6 * DAY), name: 'order_placed' }] }, factsWorld(), T0);
    expect(path(r)).toEqual([
      'start:entered',
      'wait_visit:waiting',
      'wait_visit:timeout',
      'nudge:passed',
      'wait_visit_again:waiting',
      'wait_visit_again:received',
      'wait_order:waiting',
      'wait_order:timeout',
      'tripwire_code:passed',
      'send_tripwire:passed',
      'wait_order_code:waiting',
      'wait_order_code:goal: order_placed',
      'wait_order_code:received',
      'first_purchase:passed',
      'first_purchase:completed',
    ]);
  });
  it('no order after the code, or no code left: cold', () => {
    const visit = [{ at: later(HOUR), name: 'page_viewed' }];
    expect(path(simulate(t, { profile, events: visit }, factsWorld(), T0)).slice(-3)).toEqual(['wait_order_code:waiting', 'wait_order_code:timeout', 'cold:exited']);
    const empty = simulate(t, { profile, events: visit }, factsWorld({}, { issueCode: failing('out of stock') }), T0);
    expect(path(empty).slice(-2)).toEqual(['tripwire_code:branch:failed (out of stock)', 'cold:exited']);
  });
});

describe('on-boarding: customer education', () => {
  const t = tpl('education');
  const lesson = (n: number, at: number, score?: number) => ({ at: later(at), name: 'lesson_completed', properties: { lesson: n, ...(score !== undefined ? { score } : {}) } });
  it('lesson 1 left undone: a reminder', () => {
    const r = simulate(t, { profile }, factsWorld(), T0);
    expect(path(r)).toEqual(['start:entered', 'lesson_1:passed', 'wait_lesson_1:waiting', 'wait_lesson_1:timeout', 'reminder_1:passed', 'reminder_1:completed']);
  });
  it('lesson 2 left undone: a reminder (lesson 2 events do not complete lesson 1)', () => {
    const r = simulate(t, { profile, events: [lesson(2, HOUR, 99), lesson(1, 2 * HOUR)] }, factsWorld(), T0);
    expect(path(r)).toEqual([
      'start:entered',
      'lesson_1:passed',
      'wait_lesson_1:waiting',
      'wait_lesson_1:received',
      'lesson_2:passed',
      'wait_lesson_2:waiting',
      'wait_lesson_2:timeout',
      'reminder_2:passed',
      'reminder_2:completed',
    ]);
  });
  it('a passed quiz earns the certificate; a failed one sends the remedial lesson and waits again', () => {
    const r = simulate(t, { profile, events: [lesson(1, HOUR), lesson(2, DAY, 50), lesson(2, 2 * DAY, 85)] }, factsWorld(), T0);
    expect(path(r)).toEqual([
      'start:entered',
      'lesson_1:passed',
      'wait_lesson_1:waiting',
      'wait_lesson_1:received',
      'lesson_2:passed',
      'wait_lesson_2:waiting',
      'wait_lesson_2:received',
      'quiz_passed:branch:no',
      'remedial:passed',
      'wait_lesson_2:waiting',
      'wait_lesson_2:received',
      'quiz_passed:branch:yes',
      'certificate:passed',
      'graduate:passed',
      'course_done:passed',
      'course_done:completed',
    ]);
    expect(r.effects.filter((e) => e.type !== 'send')).toEqual([
      { type: 'update_profile', set: { education_level: 'graduate' }, at: later(2 * DAY) },
      { type: 'goal', name: 'course_completed', at: later(2 * DAY) },
    ]);
  });
});

describe('abandoned cart', () => {
  const t = tpl('abandoned_cart');
  const data = { cart_id: 'c1' };
  const order = (at: number, cart = 'c1') => ({ at: later(at), name: 'order_placed', properties: { cart_id: cart } });
  it('an order of the cart within the hour ends it without a reminder', () => {
    const r = simulate(t, { profile, data, events: [order(30 * MIN)] }, factsWorld(), T0);
    expect(path(r)).toEqual(['api:entered', 'wait_order:waiting', 'wait_order:goal: order_placed', 'wait_order:received', 'bought:exited']);
    expect(sends(r)).toEqual([]);
  });
  it('an order of another cart does not count; the reminder goes out and an order then recovers the cart', () => {
    const r = simulate(t, { profile, data, events: [order(30 * MIN, 'c2'), order(5 * HOUR)] }, factsWorld(), T0);
    expect(path(r)).toEqual([
      'api:entered',
      'wait_order:waiting',
      'wait_order:goal: order_placed',
      'wait_order:timeout',
      'reminder:passed',
      'wait_after_reminder:waiting',
      'wait_after_reminder:received',
      'recovered:passed',
      'recovered:completed',
    ]);
    expect(r.trace[3].at).toEqual(later(HOUR));
  });
  it('no order after the reminder: a promo code, then an order', () => {
    const r = simulate(t, { profile, data, events: [order(3 * DAY)] }, factsWorld(), T0);
    expect(path(r).slice(3)).toEqual([
      'reminder:passed',
      'wait_after_reminder:waiting',
      'wait_after_reminder:timeout',
      'discount:passed',
      'send_code:passed',
      'wait_after_code:waiting',
      'wait_after_code:goal: order_placed',
      'wait_after_code:received',
      'recovered:passed',
      'recovered:completed',
    ]);
    expect(sends(r)).toEqual(['tpl:cart_reminder', 'tpl:cart_code']);
  });
  it('no order after the code: lost; an empty pool: the last call', () => {
    expect(path(simulate(t, { profile, data }, factsWorld(), T0)).slice(-3)).toEqual(['wait_after_code:waiting', 'wait_after_code:timeout', 'lost:exited']);
    const empty = simulate(t, { profile, data }, factsWorld({}, { issueCode: failing('pool exhausted') }), T0);
    expect(path(empty).slice(-3)).toEqual(['discount:branch:failed (pool exhausted)', 'last_call:passed', 'last_call:completed']);
  });
  it('starts from the cart_updated trigger as well', () => {
    expect(path(simulate(t, { profile, data, start_node: 'cart_updated', events: [order(MIN)] }, factsWorld(), T0))[0]).toBe('cart_updated:entered');
  });
});

describe('customer loyalty management', () => {
  const t = tpl('loyalty_management');
  const run = (data: Record<string, unknown>, world: ReturnType<typeof factsWorld>) => path(simulate(t, { profile, data }, world, T0));
  it('a top spender by RFM gets VIP points', () => {
    expect(run({ total: 100 }, factsWorld({ rfm: { r: 3, f: 3, m: 5 } }))).toEqual(['order:entered', 'top_spender:branch:yes', 'vip_points:passed', 'vip_thanks:passed', 'vip_thanks:completed']);
  });
  it('VIP points failing: a thank-you instead', () => {
    expect(run({ total: 100 }, factsWorld({ rfm: { r: 3, f: 3, m: 4 } }, { loyalty: failing('not a member') }))).toEqual([
      'order:entered',
      'top_spender:branch:yes',
      'vip_points:branch:failed (not a member)',
      'thanks:passed',
      'thanks:completed',
    ]);
  });
  it('a large order earns points; failing that, a thank-you', () => {
    expect(run({ total: 15000 }, factsWorld({ rfm: { r: 3, f: 3, m: 2 } }))).toEqual(['order:entered', 'top_spender:branch:no', 'big_order:branch:yes', 'order_points:passed', 'points_message:passed', 'points_message:completed']);
    expect(run({ total: 15000 }, factsWorld({}, { loyalty: failing('program paused') })).slice(-3)).toEqual(['order_points:branch:failed (program paused)', 'thanks:passed', 'thanks:completed']);
  });
  it('a rich balance is reminded to spend; otherwise a thank-you', () => {
    expect(run({ total: 500 }, factsWorld({ loyalty: { balance: 1500 } }))).toEqual(['order:entered', 'top_spender:branch:no', 'big_order:branch:no', 'rich_balance:branch:yes', 'spend_points:passed', 'spend_points:completed']);
    expect(run({ total: 500 }, factsWorld({ loyalty: { balance: 100 } }))).toEqual(['order:entered', 'top_spender:branch:no', 'big_order:branch:no', 'rich_balance:branch:no', 'thanks:passed', 'thanks:completed']);
  });
});

describe('omnichannel reactivation', () => {
  const t = tpl('reactivation');
  const inst = 'sim:p-1';
  const tracked = (name: string, node: string, at: number, instance = inst) => ({ at: later(at), name, properties: { node_id: node, instance_id: instance } });
  it('an opened email reaches the goal; no SMS follows', () => {
    const r = simulate(t, { profile, events: [tracked('message_opened', 'email', HOUR)] }, factsWorld(), T0);
    expect(path(r)).toEqual(['weekly:entered', 'email:passed', 'wait_email:waiting', 'wait_email:received', 'reacted:passed', 'reacted:completed']);
    expect(sends(r)).toEqual(['tpl:reactivation_email']);
  });
  it('an email not opened (an open of another instance does not count): SMS; a clicked SMS reaches the goal', () => {
    const r = simulate(t, { profile, events: [tracked('message_opened', 'email', HOUR, 'other'), tracked('message_clicked', 'sms', 4 * DAY)] }, factsWorld(), T0);
    expect(path(r)).toEqual(['weekly:entered', 'email:passed', 'wait_email:waiting', 'wait_email:timeout', 'sms:passed', 'wait_sms:waiting', 'wait_sms:received', 'reacted:passed', 'reacted:completed']);
    expect(sends(r)).toEqual(['tpl:reactivation_email', 'tpl:reactivation_sms']);
  });
  it('SMS not clicked: push; a clicked push reaches the goal', () => {
    const r = simulate(t, { profile, events: [tracked('message_clicked', 'push', 7 * DAY)] }, factsWorld(), T0);
    expect(path(r).slice(-5)).toEqual(['push:passed', 'wait_push:waiting', 'wait_push:received', 'reacted:passed', 'reacted:completed']);
    expect(sends(r)).toEqual(['tpl:reactivation_email', 'tpl:reactivation_sms', 'tpl:reactivation_push']);
  });
  it('no reaction at all: ignored; an order at any point ends the cascade', () => {
    const r = simulate(t, { profile }, factsWorld(), T0);
    expect(path(r).slice(-3)).toEqual(['wait_push:waiting', 'wait_push:timeout', 'ignored:exited']);
    expect(r.trace.at(-1)!.at).toEqual(later(9 * DAY));
    const bought = simulate(t, { profile, events: [{ at: later(4 * DAY), name: 'order_placed' }] }, factsWorld(), T0);
    expect(path(bought).slice(-3)).toEqual(['wait_sms:waiting', 'wait_sms:goal: order_placed', 'wait_sms:exited']);
    expect(bought.status).toBe('exited');
  });
});

describe('regular payment notification', () => {
  const t = tpl('payment_notification');
  it('a recorded payment stops further notices', () => {
    const r = simulate(t, { profile, events: [{ at: later(DAY), name: 'payment_recorded' }] }, factsWorld(), T0);
    expect(path(r)).toEqual(['due_soon:entered', 'notice_email:passed', 'wait_2d:waiting', 'wait_2d:exited']);
    expect(sends(r)).toEqual(['tpl:payment_upcoming']);
  });
  it('three notices, then a payment marked paid reaches the goal', () => {
    const r = simulate(t, { profile }, factsWorld({ fields: { payment_status: 'paid' } }), T0);
    expect(path(r)).toEqual([
      'due_soon:entered',
      'notice_email:passed',
      'wait_2d:waiting',
      'wait_2d:passed',
      'notice_sms:passed',
      'wait_due_day:waiting',
      'wait_due_day:passed',
      'notice_due:passed',
      'wait_grace:waiting',
      'wait_grace:passed',
      'paid:branch:yes',
      'payment_made:passed',
      'payment_made:completed',
    ]);
    expect(sends(r)).toEqual(['tpl:payment_upcoming', 'tpl:payment_reminder', 'tpl:payment_due_today']);
    expect(r.trace.at(-1)!.at).toEqual(later(4 * DAY));
  });
  it('unpaid: the overdue notice and the manager is called', () => {
    const r = simulate(t, { profile }, factsWorld({ fields: { payment_status: 'open' } }), T0);
    expect(path(r).slice(-4)).toEqual(['paid:branch:no', 'overdue:passed', 'manager:passed', 'manager:completed']);
    expect(r.data.webhook).toEqual({ status: 200, body: {} });
  });
});
