import { expect, it } from 'vitest';
import { describeEachDatabase } from '../helpers/harness.js';

describeEachDatabase('promo codes in messages', (h) => {
  it('issues the profile\'s code when a message reads promo.<template_name>, previews without issuing, fails rather than send a blank code', async () => {
    const pool = await h().post('/api/v1/promo/pools', {
      name: 'Welcome',
      template_name: 'welcome_code',
      generator: { template: 'HI-{number 6}' },
      valid_from: '2026-01-01T00:00:00Z',
      valid_to: '2027-01-01T00:00:00Z',
    });
    expect(pool.status).toBe(201);
    expect((await h().post(`/api/v1/promo/pools/${pool.body.id}/generate`, { count: 1 })).body.generated).toBe(1);
    const tpl = await h().post('/api/v1/templates', { name: 'welcome-sms', channel: 'sms', body: 'Your code: {{ promo.welcome_code }}' });
    expect(tpl.status).toBe(201);
    const anna = { phone: '+4915112340001' };
    const ben = { phone: '+4915112340002' };
    for (const p of [anna, ben]) expect((await h().post('/api/v1/profiles', { ...p, subscriptions: { sms: 'subscribed' } })).status).toBe(201);

    const preview = await h().post(`/api/v1/templates/${tpl.body.id}/render`, { profile: anna });
    expect(preview.status).toBe(200);
    expect(preview.body.body).toBe('Your code: HI-{number 6}');
    expect((await h().get(`/api/v1/promo/pools/${pool.body.id}/codes?status=issued`)).body.items).toHaveLength(0);

    const first = await h().post('/api/v1/messages', { profile: anna, template_id: tpl.body.id });
    expect(first.status).toBe(202);
    const code = /Your code: (HI-\d{6})$/.exec(first.body.body)?.[1];
    expect(code).toBeDefined();
    const issued = (await h().get(`/api/v1/promo/pools/${pool.body.id}/codes?status=issued`)).body.items;
    expect(issued.map((c: { code: string }) => c.code)).toEqual([code]);
    // the same profile gets the same code again
    const again = await h().post('/api/v1/messages', { profile: anna, template_id: tpl.body.id });
    expect(again.body.body).toBe(`Your code: ${code}`);
    // the pool is out of codes and may not generate for a direct send: the message fails with the reason
    const none = await h().post('/api/v1/messages', { profile: ben, template_id: tpl.body.id });
    expect(none.body.status).toBe('failed');
    expect(none.body.reason).toMatch(/render error/);
    expect(none.body.body ?? '').not.toMatch(/Your code: $/);
  });
});
