import { describe, expect, it } from 'vitest';
import type { ConditionNode } from '../../../src/domain/conditions/index.js';
import { localTime, orderLanguage, type OrderConditionContext } from '../../../src/domain/promotions/conditions.js';

const at = new Date('2026-03-07T17:30:00Z'); // Saturday 17:30 UTC, 18:30 in Berlin

function ctx(over: Partial<OrderConditionContext> = {}): OrderConditionContext {
  return {
    now: at,
    local: localTime(at, 'Europe/Berlin'),
    lines: [
      { product_id: 'A', sku_id: null, quantity: 2, categories: ['sneakers', 'shoes'] },
      { product_id: 'B', sku_id: 'B-red', quantity: 1, categories: ['shirts'] },
    ],
    subtotal: 4550,
    channel: 'app',
    tier: 'Gold',
    orders_count: 0,
    profile: { email: 'ann@example.com', phone: null, external_id: 'c-1', fields: { city: 'Berlin', vip: true }, created_at: new Date('2025-01-01T00:00:00Z') },
    appliesTo: null,
    ...over,
  };
}

const holds = (tree: unknown, c = ctx()) => {
  expect(orderLanguage.validate(tree)).toEqual({ errors: [], unavailable: [] });
  return orderLanguage.evaluate(tree as ConditionNode, c);
};

describe('order segment conditions', () => {
  it('reads every leaf of the cart, the member and the profile', () => {
    expect(holds({ subtotal: { gte: 45.5 } })).toBe(true);
    expect(holds({ subtotal: { gt: 45.5 } })).toBe(false);
    expect(holds({ items_count: { eq: 3 } })).toBe(true);
    expect(holds({ quantity: { gte: 2 }, of: { categories: ['shoes'] } })).toBe(true);
    expect(holds({ quantity: { gte: 2 }, categories: ['shirts'] })).toBe(false);
    // Without `of`, quantity counts the items the promotion applies to.
    expect(holds({ quantity: { eq: 1 } }, ctx({ appliesTo: { product_ids: [], categories: [], skus: ['B-red'] } }))).toBe(true);
    expect(holds({ quantity: { eq: 3 } })).toBe(true);
    expect(holds({ contains: { sku: 'B-red' } })).toBe(true);
    expect(holds({ contains: { product_ids: ['C', 'D'] } })).toBe(false);
    expect(holds({ channel: ['web', 'app'] })).toBe(true);
    expect(holds({ tier: null })).toBe(false);
    expect(holds({ tier: 'Gold' })).toBe(true);
    expect(holds({ orders_count: { lt: 1 } })).toBe(true);
    expect(holds({ first_order: true })).toBe(true);
    expect(holds({ field: 'fields.city', op: 'eq', value: 'Berlin' })).toBe(true);
    expect(holds({ field: 'email', op: 'contains', value: '@example.com' })).toBe(true);
    expect(holds({ all: [{ weekday: ['sat', 'sun'] }, { hour: { gte: 18 } }] })).toBe(true);
    expect(holds({ hour: [17] })).toBe(false);
    expect(holds({ hour: [17] }, ctx({ local: localTime(at, 'UTC') }))).toBe(true);
    expect(holds({ not: { any: [{ weekday: [1, 2, 3, 4, 5] }, { first_order: false }] } })).toBe(true);
  });

  it('lists every fault with its path', () => {
    const v = orderLanguage.validate({
      all: [
        { subtotal: { gte: 1.005 } },
        { items_count: { gte: 1.5 } },
        { quantity: { gte: 2 }, of: { brands: ['x'] } },
        { contains: {} },
        { channel: [] },
        { tier: 5 },
        { first_order: 'yes' },
        { weekday: [0, 'funday'] },
        { hour: [24] },
        { field: 'fields.city', op: 'like', value: 'x' },
        { orders_count: { gte: 1 }, extra: true },
        { planet: 'mars' },
      ],
    });
    expect(v.errors.map((e) => e.path)).toEqual([
      'conditions.all.0.subtotal.gte',
      'conditions.all.1.items_count.gte',
      'conditions.all.2.of.brands',
      'conditions.all.3.contains',
      'conditions.all.4.channel',
      'conditions.all.5.tier',
      'conditions.all.6.first_order',
      'conditions.all.7.weekday.0',
      'conditions.all.7.weekday.1',
      'conditions.all.8.hour.0',
      'conditions.all.9.op',
      'conditions.all.10.extra',
      'conditions.all.11',
    ]);
  });
});
