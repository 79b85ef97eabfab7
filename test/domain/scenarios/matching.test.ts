import { describe, expect, it } from 'vitest';
import {
  dataFromEvent,
  eventMatchesAwait,
  eventMatchesStart,
  exitOnMatches,
  goalMatches,
  holdoutOf,
  reentryDecision,
  resolveMatch,
  splitOf,
  startNodes,
} from '../../../src/domain/scenarios/index.js';
import { api, def, ev, send, T0 } from './fixtures.js';

const DAY = 86_400_000;

describe('start and await matching', () => {
  it('startNodes lists the trigger nodes', () => {
    const d = def([api('a'), send('a'), { id: 'e', type: 'trigger.event', config: { event: 'x' }, next: 'a' }]);
    expect(startNodes(d).map((n) => n.id)).toEqual(['start', 'e']);
  });

  it('eventMatchesStart checks the name and where', () => {
    const node = { id: 's', type: 'trigger.event', config: { event: 'cart_updated', where: { 'properties.total': { gte: 100 }, currency: ['EUR', 'USD'] } } };
    expect(eventMatchesStart(node, ev('cart_updated', { total: 150, currency: 'EUR' }))).toBe(true);
    expect(eventMatchesStart(node, ev('cart_updated', { total: 50, currency: 'EUR' }))).toBe(false);
    expect(eventMatchesStart(node, ev('cart_updated', { total: 150, currency: 'GBP' }))).toBe(false);
    expect(eventMatchesStart(node, ev('order_placed', { total: 150, currency: 'EUR' }))).toBe(false);
    expect(eventMatchesStart({ id: 's', type: 'trigger.api' }, ev('cart_updated'))).toBe(false);
    expect(dataFromEvent(ev('cart_updated', { cart_id: 'c' }))).toEqual({ cart_id: 'c' });
  });

  it('eventMatchesAwait compares match paths with values resolved from data and the instance id', () => {
    const match = resolveMatch({ 'properties.cart_id': 'data.cart.id', 'properties.instance_id': 'instance.id', channel: 'email' }, { cart: { id: 42 } }, 'inst-9');
    expect(match).toEqual({ 'properties.cart_id': 42, 'properties.instance_id': 'inst-9', channel: 'email' });
    const awaiting = { event: 'message_opened', match };
    expect(eventMatchesAwait(awaiting, ev('message_opened', { cart_id: '42', instance_id: 'inst-9', channel: 'email' }))).toBe(true);
    expect(eventMatchesAwait(awaiting, ev('message_opened', { cart_id: 43, instance_id: 'inst-9', channel: 'email' }))).toBe(false);
    expect(eventMatchesAwait(awaiting, ev('message_opened', { cart_id: 42, instance_id: 'inst-8', channel: 'email' }))).toBe(false);
    expect(eventMatchesAwait(awaiting, ev('message_opened', { cart_id: 42, instance_id: 'inst-9', channel: 'sms' }))).toBe(false);
    expect(eventMatchesAwait(null, ev('message_opened'))).toBe(false);
  });

  it('a match on data the instance lacks never matches', () => {
    const awaiting = { event: 'order_placed', match: resolveMatch({ 'properties.cart_id': 'data.cart_id' }, {}) };
    expect(eventMatchesAwait(awaiting, ev('order_placed', { cart_id: 'x' }))).toBe(false);
    expect(eventMatchesAwait(awaiting, ev('order_placed', {}))).toBe(false);
  });

  it('exitOnMatches checks every rule', () => {
    const settings = { reentry: 'once' as const, exit_on: [{ event: 'unsubscribed' }, { event: 'order_placed', where: { status: 'paid' } }] };
    expect(exitOnMatches(settings, ev('unsubscribed'))).toBe(true);
    expect(exitOnMatches(settings, ev('order_placed', { status: 'paid' }))).toBe(true);
    expect(exitOnMatches(settings, ev('order_placed', { status: 'new' }))).toBe(false);
    expect(exitOnMatches({ reentry: 'once' }, ev('unsubscribed'))).toBe(false);
  });

  it('goalMatches counts only within the window after the instance start', () => {
    const settings = { reentry: 'once' as const, goal: { event: 'order_placed', where: { total: { gt: 0 } }, within: 'P7D' } };
    const inWindow = new Date(T0.getTime() + 6 * DAY);
    const after = new Date(T0.getTime() + 8 * DAY);
    expect(goalMatches(settings, ev('order_placed', { total: 5 }, inWindow), T0, inWindow)).toBe(true);
    expect(goalMatches(settings, ev('order_placed', { total: 5 }, after), T0, after)).toBe(false);
    expect(goalMatches(settings, ev('order_placed', { total: 0 }, inWindow), T0, inWindow)).toBe(false);
    expect(goalMatches(settings, ev('order_placed', { total: 5 }, new Date(T0.getTime() - 1)), T0, T0)).toBe(false);
    expect(goalMatches({ reentry: 'once', goal: { event: 'order_placed' } }, ev('order_placed', {}, after), T0, after)).toBe(true);
  });
});

describe('reentry', () => {
  const first = { active: 0, ever: false };
  const running = { active: 1, ever: true };
  const finished = { active: 0, ever: true };
  it.each([
    ['once', first, 'enter'],
    ['once', running, 'reentry-once'],
    ['once', finished, 'reentry-once'],
    ['ignore', first, 'enter'],
    ['ignore', running, 'reentry-ignore'],
    ['ignore', finished, 'enter'],
    ['restart', running, 'restart'],
    ['restart', finished, 'enter'],
    ['new_instance', running, 'enter'],
  ] as const)('%s with %j → %s', (mode, existing, expected) => {
    expect(reentryDecision(mode, existing)).toBe(expected);
  });
  it('new_instance stops at max_active_per_profile', () => {
    expect(reentryDecision('new_instance', { active: 2, ever: true }, 2)).toBe('max-active');
    expect(reentryDecision('new_instance', { active: 1, ever: true }, 2)).toBe('enter');
  });
});

describe('holdout and split assignment', () => {
  it('holdout is deterministic and close to the percentage', () => {
    let held = 0;
    for (let i = 0; i < 10_000; i++) {
      const h = holdoutOf(`profile-${i}`, 'scn-1', 10);
      expect(holdoutOf(`profile-${i}`, 'scn-1', 10)).toBe(h);
      if (h) held++;
    }
    expect(held).toBeGreaterThan(900);
    expect(held).toBeLessThan(1100);
    expect(holdoutOf('p', 's', 0)).toBe(false);
    expect(holdoutOf('p', 's', 100)).toBe(true);
  });

  it('holdout differs between scenarios', () => {
    const a = Array.from({ length: 200 }, (_, i) => holdoutOf(`p${i}`, 'scn-a', 50));
    const b = Array.from({ length: 200 }, (_, i) => holdoutOf(`p${i}`, 'scn-b', 50));
    expect(a).not.toEqual(b);
  });

  it('split follows the weights over 10k instances and is the same each time', () => {
    const variants = [
      { label: 'a', weight: 70 },
      { label: 'b', weight: 20 },
      { label: 'c', weight: 10 },
    ];
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 10_000; i++) {
      const label = splitOf(`inst-${i}`, 'split-1', variants);
      expect(splitOf(`inst-${i}`, 'split-1', variants)).toBe(label);
      counts[label]++;
    }
    expect(counts.a).toBeGreaterThan(6700);
    expect(counts.a).toBeLessThan(7300);
    expect(counts.b).toBeGreaterThan(1800);
    expect(counts.b).toBeLessThan(2200);
    expect(counts.c).toBeGreaterThan(850);
    expect(counts.c).toBeLessThan(1150);
  });
});
