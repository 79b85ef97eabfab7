import { expect, it } from 'vitest';
import { describeEachDatabase } from '../helpers/harness.js';

describeEachDatabase('order cancel releases promo codes', (h) => {
  it('gives a canceled order\'s redeemed codes back to their profiles, once', async () => {
    const pool = await h().post('/api/v1/promo/pools', {
      name: 'Spring',
      template_name: 'spring_code',
      generator: { template: 'SPRING-{number 6}' },
      valid_from: '2026-01-01T00:00:00Z',
      valid_to: '2027-01-01T00:00:00Z',
    });
    expect(pool.status).toBe(201);
    expect((await h().post(`/api/v1/promo/pools/${pool.body.id}/generate`, { count: 5 })).body.generated).toBe(5);
    const profile = { email: 'cancel-codes@example.com' };
    expect((await h().post('/api/v1/profiles', profile)).status).toBe(201);
    const issued = await h().post(`/api/v1/promo/pools/${pool.body.id}/issue`, { profile });
    expect(issued.status).toBe(200);
    const code = issued.body.code as string;
    const order = await h().request('PUT', '/api/v1/market/orders/cancel-1', { body: { profile, items: [{ product_id: 'x', quantity: 1, price: 10 }] } });
    expect(order.status).toBe(201);
    expect((await h().post(`/api/v1/promo/codes/${code}/redeem`, { profile, order_id: 'cancel-1' })).status).toBe(200);
    expect((await h().get(`/api/v1/promo/codes/${code}`)).body.status).toBe('redeemed');

    const canceled = await h().post('/api/v1/market/orders/cancel-1/status', { status: 'canceled' });
    expect(canceled.status).toBe(200);
    expect(canceled.body.status).toBe('canceled');
    const after = (await h().get(`/api/v1/promo/codes/${code}`)).body;
    expect(after.status).toBe('issued');
    expect(after.profile_id).toEqual(expect.any(String));
    // the code can be used again by its profile, and a second cancel changes nothing
    expect((await h().post('/api/v1/market/orders/cancel-1/status', { status: 'canceled' })).status).toBe(200);
    expect((await h().post(`/api/v1/promo/codes/${code}/redeem`, { profile, order_id: 'other-order' })).status).toBe(200);
  });
});
