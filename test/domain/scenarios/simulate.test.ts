import { describe, expect, it } from 'vitest';
import { simulate, type ScenarioNode } from '../../../src/domain/scenarios/index.js';
import { api, DAY, def, factsWorld, HOUR, later, MIN, path, send, sends, T0 } from './fixtures.js';

const profile = { id: 'p-1', fields: {} };
const world = factsWorld();

describe('simulate: one node type at a time', () => {
  it('send', () => {
    const r = simulate(def([api('a'), send('a')]), { profile, data: { x: 1 } }, world, T0);
    expect(path(r)).toEqual(['start:entered', 'a:passed', 'a:completed']);
    expect(r.effects).toEqual([{ type: 'send', node_id: 'a', channel: 'email', template_id: 'tpl-1', require_subscription: true, data: { x: 1 }, at: T0 }]);
    expect(r.status).toBe('completed');
  });

  it('wait {duration} jumps the virtual clock', () => {
    const r = simulate(def([api('w'), { id: 'w', type: 'wait', config: { duration: 'P2D' }, next: 'a' }, send('a')]), { profile }, world, T0);
    expect(r.trace.map((t) => [t.node_id, t.outcome, t.at.toISOString()])).toEqual([
      ['start', 'entered', T0.toISOString()],
      ['w', 'waiting', T0.toISOString()],
      ['w', 'passed', later(2 * DAY).toISOString()],
      ['a', 'passed', later(2 * DAY).toISOString()],
      ['a', 'completed', later(2 * DAY).toISOString()],
    ]);
  });

  it('wait {until_time} in the scenario time zone', () => {
    const r = simulate(def([api('w'), { id: 'w', type: 'wait', config: { until_time: '08:00' }, next: 'a' }, send('a')], { timezone: 'Europe/Berlin' }), { profile }, world, T0);
    expect(r.trace[2]).toEqual({ node_id: 'w', outcome: 'passed', at: new Date('2026-03-03T07:00:00Z') });
  });

  const waitEvent = def([
    api('w'),
    { id: 'w', type: 'wait_event', config: { event: 'paid', match: { 'properties.invoice': 'data.invoice' }, timeout: 'P1D' }, branches: { received: 'yes', timeout: 'no' } },
    send('yes'),
    send('no'),
  ]);
  it('wait_event received', () => {
    const r = simulate(waitEvent, { profile, data: { invoice: 'i1' }, events: [{ at: later(HOUR), name: 'paid', properties: { invoice: 'i1' } }] }, world, T0);
    expect(path(r)).toEqual(['start:entered', 'w:waiting', 'w:received', 'yes:passed', 'yes:completed']);
    expect(r.trace[2].at).toEqual(later(HOUR));
  });
  it('wait_event timeout (an event for another invoice does not count)', () => {
    const r = simulate(waitEvent, { profile, data: { invoice: 'i1' }, events: [{ at: later(HOUR), name: 'paid', properties: { invoice: 'i2' } }] }, world, T0);
    expect(path(r)).toEqual(['start:entered', 'w:waiting', 'w:timeout', 'no:passed', 'no:completed']);
    expect(r.trace[2].at).toEqual(later(DAY));
  });
  it('an event at the same instant as the timeout counts as received', () => {
    const r = simulate(waitEvent, { profile, data: { invoice: 'i1' }, events: [{ at: later(DAY), name: 'paid', properties: { invoice: 'i1' } }] }, world, T0);
    expect(path(r)).toContain('w:received');
  });

  const condition = def([
    api('c'),
    { id: 'c', type: 'condition', config: { conditions: { all: [{ field: 'data.total', op: 'gte', value: 100 }, { field: 'fields.city', op: 'eq', value: 'Berlin' }] } }, branches: { yes: 'y', no: 'n' } },
    send('y'),
    send('n'),
  ]);
  it('condition yes and no, evaluated by the world', () => {
    const berlin = factsWorld({ fields: { city: 'Berlin' } });
    expect(path(simulate(condition, { profile, data: { total: 150 } }, berlin, T0))).toEqual(['start:entered', 'c:branch:yes', 'y:passed', 'y:completed']);
    expect(path(simulate(condition, { profile, data: { total: 50 } }, berlin, T0))).toEqual(['start:entered', 'c:branch:no', 'n:passed', 'n:completed']);
  });

  it('split: the instance id decides, deterministically', () => {
    const d = def([
      api('s'),
      { id: 's', type: 'split', config: { variants: [{ label: 'a', weight: 1 }, { label: 'b', weight: 1 }] }, branches: { a: 'x', b: 'y' } },
      send('x'),
      send('y'),
    ]);
    const outcomes = new Set<string>();
    for (let i = 0; i < 16; i++) {
      const r1 = simulate(d, { profile, instance_id: `i${i}` }, world, T0);
      expect(simulate(d, { profile, instance_id: `i${i}` }, world, T0)).toEqual(r1);
      outcomes.add(r1.trace[1].outcome);
    }
    expect(outcomes).toEqual(new Set(['branch:a', 'branch:b']));
  });

  it('promo_code: default world issues SIM-<pool>; a failing world takes the failed branch', () => {
    const d = def([api('p'), { id: 'p', type: 'promo_code', config: { pool_id: 'pool-9' }, next: 'a', branches: { failed: 'b' } }, send('a'), send('b')]);
    const ok = simulate(d, { profile }, world, T0);
    expect(path(ok)).toEqual(['start:entered', 'p:passed', 'a:passed', 'a:completed']);
    expect(ok.data.promo_code).toBe('SIM-pool-9');
    const bad = simulate(d, { profile }, factsWorld({}, { issueCode: () => ({ type: 'failed', reason: 'pool exhausted' }) }), T0);
    expect(path(bad)).toEqual(['start:entered', 'p:branch:failed (pool exhausted)', 'b:passed', 'b:completed']);
  });

  it('loyalty_points: succeeds by default; a failure without a failed branch fails the instance', () => {
    const d = def([api('l'), { id: 'l', type: 'loyalty_points', config: { program_id: 'prog', action: 'accrue', points: 10 }, next: 'a' }, send('a')]);
    const ok = simulate(d, { profile }, world, T0);
    expect(path(ok)).toEqual(['start:entered', 'l:passed', 'a:passed', 'a:completed']);
    expect(ok.data.loyalty_points).toBe(10);
    const bad = simulate(d, { profile }, factsWorld({}, { loyalty: () => ({ type: 'failed', reason: 'insufficient points' }) }), T0);
    expect(path(bad)).toEqual(['start:entered', 'l:failed: insufficient points']);
    expect(bad.status).toBe('failed');
  });

  it('webhook: answers 200 by default', () => {
    const d = def([api('h'), { id: 'h', type: 'webhook', config: { url: 'https://h.example/', method: 'POST' } }]);
    const r = simulate(d, { profile }, world, T0);
    expect(path(r)).toEqual(['start:entered', 'h:passed', 'h:completed']);
    expect(r.data.webhook).toEqual({ status: 200, body: {} });
  });

  it('update_profile and goal write effects; exit ends as exited', () => {
    const d = def([
      api('u'),
      { id: 'u', type: 'update_profile', config: { set: { tier: 'gold' } }, next: 'g' },
      { id: 'g', type: 'goal', config: { name: 'upgraded' }, next: 'x' },
      { id: 'x', type: 'exit' },
    ]);
    const r = simulate(d, { profile }, world, T0);
    expect(path(r)).toEqual(['start:entered', 'u:passed', 'g:passed', 'x:exited']);
    expect(r.effects.map((e) => e.type)).toEqual(['update_profile', 'goal']);
    expect(r.status).toBe('exited');
  });

  it('exit_on ends a waiting instance; the settings goal is recorded', () => {
    const d = def([api('w'), { id: 'w', type: 'wait', config: { duration: 'P3D' }, next: 'a' }, send('a')], { exit_on: [{ event: 'unsubscribed' }], goal: { event: 'order_placed' } });
    const r = simulate(d, { profile, events: [{ at: later(HOUR), name: 'order_placed' }, { at: later(2 * HOUR), name: 'unsubscribed' }] }, world, T0);
    expect(path(r)).toEqual(['start:entered', 'w:waiting', 'w:goal: order_placed', 'w:exited']);
    expect(sends(r)).toEqual([]);
  });

  it('stops at until, leaving the instance waiting', () => {
    const d = def([api('w'), { id: 'w', type: 'wait', config: { duration: 'P40D' }, next: 'a' }, send('a')]);
    const r = simulate(d, { profile }, world, T0);
    expect(path(r)).toEqual(['start:entered', 'w:waiting']);
    expect(r.status).toBe('waiting');
    expect(simulate(d, { profile, until: 'P41D' }, world, T0).status).toBe('completed');
  });

  it('starts at the chosen start node, else the first trigger.api, else the first start', () => {
    const nodes: ScenarioNode[] = [{ id: 'ev', type: 'trigger.event', config: { event: 'x' }, next: 'a' }, { id: 'start', type: 'trigger.api', next: 'a' }, send('a')];
    expect(simulate(def(nodes), { profile }, world, T0).trace[0].node_id).toBe('start');
    expect(simulate(def(nodes), { profile, start_node: 'ev' }, world, T0).trace[0].node_id).toBe('ev');
    expect(simulate(def([nodes[0], nodes[2]]), { profile }, world, T0).trace[0].node_id).toBe('ev');
  });

  it('every start type enters the instance', () => {
    const starts: ScenarioNode[] = [
      { id: 's', type: 'trigger.event', config: { event: 'x' } },
      { id: 's', type: 'trigger.api' },
      { id: 's', type: 'trigger.date', config: { at: '2026-05-01T10:00:00Z', segment_id: 'seg' } },
      { id: 's', type: 'trigger.schedule', config: { cron: '0 10 * * *', segment_id: 'seg' } },
      { id: 's', type: 'trigger.segment_entry', config: { segment_id: 'seg' } },
      { id: 's', type: 'trigger.field_date', config: { field: 'fields.birthday', offset: '-P1D', time: '09:00' } },
    ];
    for (const st of starts) expect(path(simulate(def([{ ...st, next: 'a' }, send('a')]), { profile }, world, T0)), st.type).toEqual(['s:entered', 'a:passed', 'a:completed']);
  });

  it('events before the start are ignored; the trace times follow the events', () => {
    const r = simulate(waitEvent, { profile, data: { invoice: 'i1' }, events: [{ at: later(-MIN), name: 'paid', properties: { invoice: 'i1' } }] }, world, T0);
    expect(path(r)).toContain('w:timeout');
  });
});
