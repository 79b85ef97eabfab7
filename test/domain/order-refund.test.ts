import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planRefund, type OrderLine } from '../../src/domain/market/order.js';
import { toProduct } from '../../src/domain/market/product.js';
import { csvRecordToInput, ymlOfferToInput } from '../../src/domain/market/feed.js';

const line = (n: number, over: Partial<OrderLine> = {}): OrderLine => ({
  line: n,
  product_id: `p${n}`,
  sku_id: null,
  quantity: 3,
  price: 1000,
  discount: 0,
  total: 1000,
  points_accrued: 10,
  points_redeemed: 100,
  refunded_quantity: 0,
  ...over,
});

describe('order refunds', () => {
  it('refunds units in parts that add up to the whole line exactly', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 0, max: 5_000 }),
        fc.integer({ min: 0, max: 5_000 }),
        fc.array(fc.integer({ min: 1, max: 5 }), { maxLength: 20 }),
        (quantity, total, acc, red, steps) => {
          const l = line(1, { quantity, total, points_accrued: acc, points_redeemed: red });
          const sums = { amount: 0, acc: 0, red: 0 };
          for (const k of steps) {
            const left = l.quantity - l.refunded_quantity;
            const plan = planRefund([l], [{ product_id: 'p1', quantity: k }]);
            if (k > left) {
              expect(typeof plan).toBe('string');
              continue;
            }
            if (typeof plan === 'string') throw new Error(plan);
            sums.amount += plan[0].amount;
            sums.acc += plan[0].points_accrued;
            sums.red += plan[0].points_redeemed;
            l.refunded_quantity += k;
          }
          if (l.refunded_quantity === l.quantity) expect(sums).toEqual({ amount: total, acc, red });
          else {
            expect(sums.amount).toBeLessThanOrEqual(total);
            expect(sums.acc).toBeLessThanOrEqual(acc);
          }
        },
      ),
    );
  });

  it('matches lines by product and SKU, filling lines in order, and refuses more than is left', () => {
    const lines = [line(1, { product_id: 'a', sku_id: 's1', quantity: 1 }), line(2, { product_id: 'a', sku_id: 's2', quantity: 2 })];
    expect(planRefund(lines, [{ product_id: 'a', sku_id: 's2', quantity: 1 }])).toMatchObject([{ line: 2, quantity: 1 }]);
    expect(planRefund(lines, [{ product_id: 'a', quantity: 2 }])).toMatchObject([{ line: 1, quantity: 1 }, { line: 2, quantity: 1 }]);
    expect(planRefund(lines, [{ product_id: 'a', quantity: 4 }])).toMatch(/items\.0/);
    expect(planRefund(lines, [{ product_id: 'b', quantity: 1 }])).toMatch(/items\.0/);
  });
});

describe('catalogue rows', () => {
  it('turns a YML offer and a CSV record into products, exactly in minor units', () => {
    const p = toProduct('o1', ymlOfferToInput({ id: 'o1', available: 'false', fields: { name: 'Kettle', price: '19.99', oldprice: '25', currencyId: 'RUR', categoryId: '7' }, params: { Color: 'red' } }));
    expect(p).toMatchObject({ id: 'o1', price: 1999, old_price: 2500, currency: 'RUB', categories: ['7'], available: false, params: { Color: 'red' } });
    const vendorModel = ymlOfferToInput({ id: 'o2', available: undefined, fields: { vendor: 'Acme', model: 'X1', price: '1' }, params: {} });
    expect(vendorModel.name).toBe('Acme X1');
    const c = csvRecordToInput({ id: 'c1', name: 'Mug', price: '0.29', categories: 'a | b', available: 'no', 'param.size': 'L' });
    if (typeof c === 'string') throw new Error(c);
    expect(toProduct(c.id, c.input)).toMatchObject({ price: 29, categories: ['a', 'b'], available: false, params: { size: 'L' } });
    expect(csvRecordToInput({ id: '', name: 'x', price: '1' })).toBe('id is empty');
    expect(toProduct('bad id', { name: '', price: '1.999' })).toEqual([
      { path: 'id', message: expect.any(String) },
      { path: 'name', message: 'is required' },
      { path: 'price', message: expect.any(String) },
    ]);
  });
});
