import { describe, expect, it } from 'vitest';
import { advance, step, type Answer, type InstanceState, type ScenarioNode } from '../../../src/domain/scenarios/index.js';
import { api, def, ev, instance, send, T0 } from './fixtures.js';

const at = (ms: number) => new Date(T0.getTime() + ms);
const HOUR = 3_600_000;

describe('step: start nodes and simple steps', () => {
  it('a start node records entered and moves to next', () => {
    const d = def([api('a'), send('a')]);
    const r = step(d, instance('start'), { kind: 'enter' }, T0);
    expect(r.state).toMatchObject({ node_id: 'a', status: 'active' });
    expect(r.history).toEqual([{ node_id: 'start', at: T0, outcome: 'entered' }]);
    expect(r.effects).toEqual([]);
  });

  it('send writes a send effect with the instance data, then completes when it has no next', () => {
    const d = def([api('a'), { id: 'a', type: 'send', config: { channel: 'sms', template_id: 't9', require_subscription: false } }]);
    const r = step(d, instance('a', { data: { cart_id: 'c1' } }), { kind: 'enter' }, T0);
    expect(r.effects).toEqual([{ type: 'send', node_id: 'a', channel: 'sms', template_id: 't9', require_subscription: false, data: { cart_id: 'c1' } }]);
    expect(r.history.map((h) => h.outcome)).toEqual(['passed', 'completed']);
    expect(r.state.status).toBe('completed');
  });

  it('send requires a subscription unless told otherwise', () => {
    const r = step(def([api('a'), { id: 'a', type: 'send', config: { channel: 'email', template_id: 't' } }]), instance('a'), { kind: 'enter' }, T0);
    expect(r.effects[0]).toMatchObject({ require_subscription: true });
  });

  it('update_profile writes its set', () => {
    const r = step(def([api('u'), { id: 'u', type: 'update_profile', config: { set: { vip: true } }, next: 'e' }, { id: 'e', type: 'exit' }]), instance('u'), { kind: 'enter' }, T0);
    expect(r.effects).toEqual([{ type: 'update_profile', set: { vip: true } }]);
    expect(r.state.node_id).toBe('e');
  });

  it('goal writes a goal effect; exit ends the instance as exited', () => {
    const d = def([api('g'), { id: 'g', type: 'goal', config: { name: 'bought' }, next: 'x' }, { id: 'x', type: 'exit' }]);
    const r = advance(d, instance('g'), { kind: 'enter' }, T0);
    expect(r.effects).toEqual([{ type: 'goal', name: 'bought' }]);
    expect(r.history.map((h) => [h.node_id, h.outcome])).toEqual([
      ['g', 'passed'],
      ['x', 'exited'],
    ]);
    expect(r.state.status).toBe('exited');
  });

  it('an unknown node fails the instance with the reason', () => {
    const r = step(def([api('a'), send('a')]), instance('gone'), { kind: 'enter' }, T0);
    expect(r.state.status).toBe('failed');
    expect(r.history[0].outcome).toBe('failed: unknown node gone');
  });

  it('inputs that do not apply change nothing', () => {
    const d = def([api('a'), send('a')]);
    const done = instance('a', { status: 'completed' });
    expect(step(d, done, { kind: 'enter' }, T0)).toEqual({ state: done, effects: [], history: [], request: null });
    const noPending = instance('a');
    expect(step(d, noPending, { kind: 'answer', value: { type: 'evaluate', result: true } }, T0).state).toBe(noPending);
    const waiting = instance('w', { status: 'waiting', wake_at: at(HOUR) });
    const dw = def([api('w'), { id: 'w', type: 'wait', config: { duration: 'PT1H' }, next: 'a' }, send('a')]);
    expect(step(dw, waiting, { kind: 'wake' }, at(HOUR - 1)).state).toBe(waiting);
  });
});

describe('step: waits', () => {
  const d = def([api('w'), { id: 'w', type: 'wait', config: { duration: 'PT2H' }, next: 'a' }, send('a')]);
  it('wait {duration} sets wake_at and passes on wake', () => {
    const r = step(d, instance('w'), { kind: 'enter' }, T0);
    expect(r.state).toMatchObject({ status: 'waiting', wake_at: at(2 * HOUR) });
    expect(r.history[0].outcome).toBe('waiting');
    const woke = step(d, r.state, { kind: 'wake' }, at(2 * HOUR));
    expect(woke.state).toMatchObject({ status: 'active', node_id: 'a', wake_at: null });
    expect(woke.history[0].outcome).toBe('passed');
  });

  it('wait {until_time} waits for the next such time in the scenario time zone', () => {
    const dt = def([api('w'), { id: 'w', type: 'wait', config: { until_time: '10:00' }, next: 'a' }, send('a')], { timezone: 'Europe/Berlin' });
    // 09:00Z is 10:00 in Berlin (CET) on 2026-03-02: the next 10:00 is that very moment
    expect(step(dt, instance('w'), { kind: 'enter' }, T0).state.wake_at).toEqual(new Date('2026-03-02T09:00:00Z'));
    expect(step(dt, instance('w'), { kind: 'enter' }, at(1)).state.wake_at).toEqual(new Date('2026-03-03T09:00:00Z'));
  });

  it('wait {until_time} keeps 10:00 Berlin time across both DST changes', () => {
    const dt = def([api('w'), { id: 'w', type: 'wait', config: { until_time: '10:00' }, next: 'a' }, send('a')], { timezone: 'Europe/Berlin' });
    const spring = step(dt, instance('w'), { kind: 'enter' }, new Date('2026-03-28T12:00:00Z'));
    expect(spring.state.wake_at).toEqual(new Date('2026-03-29T08:00:00Z'));
    const autumn = step(dt, instance('w'), { kind: 'enter' }, new Date('2026-10-24T12:00:00Z'));
    expect(autumn.state.wake_at).toEqual(new Date('2026-10-25T09:00:00Z'));
    expect(step(dt, spring.state, { kind: 'wake' }, spring.state.wake_at!).state.node_id).toBe('a');
  });

  const we = def([
    api('w'),
    { id: 'w', type: 'wait_event', config: { event: 'order_placed', where: { total: { gte: 10 } }, match: { 'properties.cart_id': 'data.cart_id' }, timeout: 'PT1H' }, branches: { received: 'yes', timeout: 'no' } },
    send('yes'),
    send('no'),
  ]);
  const waiting = () => step(we, instance('w', { data: { cart_id: 'c7' } }), { kind: 'enter' }, T0).state;

  it('wait_event stores what it awaits with match values resolved from data', () => {
    expect(waiting()).toMatchObject({ status: 'waiting', wake_at: at(HOUR), awaiting: { event: 'order_placed', where: { total: { gte: 10 } }, match: { 'properties.cart_id': 'c7' } } });
  });

  it('wait_event takes received on the matching event and keeps it in data.event', () => {
    const r = step(we, waiting(), { kind: 'event', event: ev('order_placed', { cart_id: 'c7', total: 12 }, at(10)) }, at(10));
    expect(r.state).toMatchObject({ node_id: 'yes', status: 'active', awaiting: null, wake_at: null });
    expect(r.state.data.event).toEqual({ name: 'order_placed', properties: { cart_id: 'c7', total: 12 } });
    expect(r.history.map((h) => h.outcome)).toEqual(['received']);
  });

  it('wait_event ignores events of another cart, another name or failing where', () => {
    for (const e of [ev('order_placed', { cart_id: 'c8', total: 12 }), ev('order_placed', { cart_id: 'c7', total: 5 }), ev('cart_updated', { cart_id: 'c7', total: 12 })]) {
      const s = waiting();
      expect(step(we, s, { kind: 'event', event: e }, at(10)).state).toBe(s);
    }
  });

  it('wait_event takes timeout when wake_at comes due', () => {
    const r = step(we, waiting(), { kind: 'wake' }, at(HOUR));
    expect(r.state.node_id).toBe('no');
    expect(r.history.map((h) => h.outcome)).toEqual(['timeout']);
  });
});

describe('step: requests and answers', () => {
  const cond = def([
    api('c'),
    { id: 'c', type: 'condition', config: { conditions: { field: 'data.total', op: 'gte', value: 100 } }, branches: { yes: 'y', no: 'n' } },
    send('y'),
    send('n'),
  ]);

  it('condition asks to evaluate its conditions with the data, then branches yes or no', () => {
    const r = step(cond, instance('c', { data: { total: 150 } }), { kind: 'enter' }, T0);
    expect(r.request).toEqual({ type: 'evaluate', conditions: { field: 'data.total', op: 'gte', value: 100 }, data: { total: 150 } });
    expect(r.state.pending).toEqual(r.request);
    const yes = step(cond, r.state, { kind: 'answer', value: { type: 'evaluate', result: true } }, T0);
    expect(yes.state).toMatchObject({ node_id: 'y', pending: null });
    expect(yes.history[0].outcome).toBe('branch:yes');
    const no = step(cond, r.state, { kind: 'answer', value: { type: 'evaluate', result: false } }, T0);
    expect(no.state.node_id).toBe('n');
    expect(no.history[0].outcome).toBe('branch:no');
  });

  it('a failed evaluation fails the instance', () => {
    const r = step(cond, instance('c'), { kind: 'enter' }, T0);
    const f = step(cond, r.state, { kind: 'answer', value: { type: 'failed', reason: 'segment gone' } }, T0);
    expect(f.state.status).toBe('failed');
    expect(f.history[0].outcome).toBe('failed: segment gone');
  });

  const requestNodes: [string, ScenarioNode, unknown, Answer, Record<string, unknown>][] = [
    ['promo_code', { id: 'r', type: 'promo_code', config: { pool_id: 'pool-1' } }, { type: 'issue_code', pool_id: 'pool-1' }, { type: 'issue_code', code: 'AB-12', expires_at: '2026-04-01T00:00:00Z' }, { promo_code: 'AB-12', promo_code_expires_at: '2026-04-01T00:00:00Z' }],
    [
      'loyalty_points',
      { id: 'r', type: 'loyalty_points', config: { program_id: 'prog', action: 'redeem', points: 50, expires_in: 'P1Y' } },
      { type: 'loyalty', program_id: 'prog', action: 'redeem', points: 50, expires_in: 'P1Y' },
      { type: 'loyalty', transaction_id: 'tx-1', points: -50 },
      { loyalty_transaction_id: 'tx-1', loyalty_points: -50 },
    ],
    ['webhook', { id: 'r', type: 'webhook', config: { url: 'https://h.example/x', method: 'PUT', body: { a: 1 } } }, { type: 'webhook', url: 'https://h.example/x', method: 'PUT', body: { a: 1 } }, { type: 'webhook', status: 201, body: { ok: true } }, { webhook: { status: 201, body: { ok: true } } }],
  ];

  for (const [type, node, request, answer, data] of requestNodes) {
    const d = def([api('r'), { ...node, next: 'ok', branches: { failed: 'bad' } }, send('ok'), send('bad')]);
    const bare = def([api('r'), { ...node, next: 'ok' }, send('ok')]);

    it(`${type} requests, and on its answer stores the result in data and passes`, () => {
      const r = step(d, instance('r'), { kind: 'enter' }, T0);
      expect(r.request).toEqual(request);
      const a = step(d, r.state, { kind: 'answer', value: answer }, T0);
      expect(a.state).toMatchObject({ node_id: 'ok', status: 'active', pending: null });
      expect(a.state.data).toEqual(data);
      expect(a.history[0].outcome).toBe('passed');
    });

    it(`${type} failure follows the failed branch, or fails the instance without one`, () => {
      const r = step(d, instance('r'), { kind: 'enter' }, T0);
      const f = step(d, r.state, { kind: 'answer', value: { type: 'failed', reason: 'no luck' } }, T0);
      expect(f.state.node_id).toBe('bad');
      expect(f.history[0].outcome).toBe('branch:failed (no luck)');
      const r2 = step(bare, instance('r'), { kind: 'enter' }, T0);
      const f2 = step(bare, r2.state, { kind: 'answer', value: { type: 'failed', reason: 'no luck' } }, T0);
      expect(f2.state.status).toBe('failed');
      expect(f2.history).toEqual([{ node_id: 'r', at: T0, outcome: 'failed: no luck' }]);
    });
  }

  it('an answer of the wrong kind fails the instance', () => {
    const d = def([api('r'), { id: 'r', type: 'promo_code', config: { pool_id: 'p' }, next: 'ok' }, send('ok')]);
    const r = step(d, instance('r'), { kind: 'enter' }, T0);
    expect(step(d, r.state, { kind: 'answer', value: { type: 'evaluate', result: true } }, T0).history[0].outcome).toBe('failed: answer evaluate does not answer issue_code');
  });

  it('loyalty_points with a promotion asks without fixed points', () => {
    const d = def([api('r'), { id: 'r', type: 'loyalty_points', config: { program_id: 'p', action: 'accrue', promotion_id: 'promo' } }]);
    expect(step(d, instance('r'), { kind: 'enter' }, T0).request).toEqual({ type: 'loyalty', program_id: 'p', action: 'accrue', points: null, promotion_id: 'promo' });
  });
});

describe('step: split', () => {
  it('takes the branch of the variant the instance hashes to, the same every time', () => {
    const d = def([
      api('s'),
      { id: 's', type: 'split', config: { variants: [{ label: 'a', weight: 1 }, { label: 'b', weight: 1 }] }, branches: { a: 'x', b: 'y' } },
      send('x'),
      send('y'),
    ]);
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const s = instance('s', { id: `i-${i}` });
      const r1 = step(d, s, { kind: 'enter' }, T0);
      const r2 = step(d, s, { kind: 'enter' }, at(5));
      expect(r1.state.node_id).toBe(r2.state.node_id);
      expect(r1.history[0].outcome).toBe(`branch:${r1.state.node_id === 'x' ? 'a' : 'b'}`);
      seen.add(r1.state.node_id);
    }
    expect(seen).toEqual(new Set(['x', 'y']));
  });
});

describe('step: exit_on and goal', () => {
  const d = def([api('w'), { id: 'w', type: 'wait', config: { duration: 'P5D' }, next: 'a' }, send('a')], {
    exit_on: [{ event: 'payment_recorded', where: { amount: { gt: 0 } } }],
    goal: { event: 'order_placed', within: 'P3D' },
  });
  const waiting = (): InstanceState => step(d, instance('w'), { kind: 'enter' }, T0).state;

  it('an exit_on event ends a waiting instance as exited', () => {
    const r = step(d, waiting(), { kind: 'event', event: ev('payment_recorded', { amount: 10 }, at(HOUR)) }, at(HOUR));
    expect(r.state).toMatchObject({ status: 'exited', wake_at: null });
    expect(r.history).toEqual([{ node_id: 'w', at: at(HOUR), outcome: 'exited' }]);
    const no = waiting();
    expect(step(d, no, { kind: 'event', event: ev('payment_recorded', { amount: 0 }) }, at(HOUR)).state).toBe(no);
  });

  it('the goal counts once, within the window from the instance start', () => {
    const r = step(d, waiting(), { kind: 'event', event: ev('order_placed', {}, at(HOUR)) }, at(HOUR));
    expect(r.effects).toEqual([{ type: 'goal', name: 'order_placed' }]);
    expect(r.history[0].outcome).toBe('goal: order_placed');
    expect(r.state).toMatchObject({ status: 'waiting', goal_reached_at: at(HOUR) });
    expect(step(d, r.state, { kind: 'event', event: ev('order_placed', {}, at(2 * HOUR)) }, at(2 * HOUR)).effects).toEqual([]);
    const late = at(4 * 24 * HOUR);
    expect(step(d, waiting(), { kind: 'event', event: ev('order_placed', {}, late) }, late).effects).toEqual([]);
  });
});

describe('advance', () => {
  const d = def([
    api('a'),
    send('a', 'c'),
    { id: 'c', type: 'condition', config: { conditions: { field: 'data.vip', op: 'eq', value: true } }, branches: { yes: 'w', no: 'x' } },
    { id: 'w', type: 'wait', config: { duration: 'PT1H' }, next: 'x' },
    { id: 'x', type: 'exit' },
  ]);

  it('runs nodes until a request nobody answers', () => {
    const r = advance(d, instance('start'), { kind: 'enter' }, T0);
    expect(r.history.map((h) => `${h.node_id}:${h.outcome}`)).toEqual(['start:entered', 'a:passed']);
    expect(r.request).toMatchObject({ type: 'evaluate' });
    expect(r.state.node_id).toBe('c');
    expect(r.more).toBe(false);
    const next = advance(d, r.state, { kind: 'answer', value: { type: 'evaluate', result: false } }, T0);
    expect(next.history.map((h) => `${h.node_id}:${h.outcome}`)).toEqual(['c:branch:no', 'x:exited']);
  });

  it('answers requests inline with an answerer and stops at a wait', () => {
    const r = advance(d, instance('start'), { kind: 'enter' }, T0, () => ({ type: 'evaluate', result: true }));
    expect(r.history.map((h) => `${h.node_id}:${h.outcome}`)).toEqual(['start:entered', 'a:passed', 'c:branch:yes', 'w:waiting']);
    expect(r.effects).toHaveLength(1);
    expect(r.state.status).toBe('waiting');
  });

  it('stops after maxSteps and says there is more', () => {
    const r = advance(d, instance('start'), { kind: 'enter' }, T0, undefined, 1);
    expect(r).toMatchObject({ more: true, steps: 1 });
    expect(r.state.node_id).toBe('a');
  });
});

describe('start matchers', () => {
  it('every start type enters and moves on', () => {
    const starts: ScenarioNode[] = [
      { id: 'start', type: 'trigger.event', config: { event: 'x' } },
      { id: 'start', type: 'trigger.api' },
      { id: 'start', type: 'trigger.date', config: { at: '2026-05-01T10:00:00Z', segment_id: 's' } },
      { id: 'start', type: 'trigger.schedule', config: { cron: '0 10 * * *', segment_id: 's' } },
      { id: 'start', type: 'trigger.segment_entry', config: { segment_id: 's' } },
      { id: 'start', type: 'trigger.field_date', config: { field: 'fields.birthday' } },
    ];
    for (const s of starts) {
      const r = advance(def([{ ...s, next: 'a' }, send('a')]), instance('start'), { kind: 'enter' }, T0);
      expect(r.history.map((h) => h.outcome), s.type).toEqual(['entered', 'passed', 'completed']);
    }
  });
});
