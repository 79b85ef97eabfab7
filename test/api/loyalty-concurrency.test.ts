import { expect, it } from 'vitest';
import { describeEachDatabase } from '../helpers/harness.js';

const base = '/api/v1/loyalty/programs';

describeEachDatabase('loyalty under concurrency', (h) => {
  it('20 parallel redeems of 100 on a balance of 1000: exactly 10 succeed and the balance is 0', async () => {
    const p = (await h().post(base, { name: 'C', currency: 'EUR', point_value: 1, points_rounding: 'floor', redeem_max_share: 1 })).body;
    await h().post('/api/v1/profiles', { email: 'race@example.com' });
    const m = (await h().post(`${base}/${p.id}/members`, { profile: { email: 'race@example.com' } })).body;
    // Ten lots with different expiries, so that concurrent redemptions contend for the same lots.
    for (let i = 0; i < 10; i++) await h().post(`${base}/${p.id}/accrue`, { member_id: m.id, points: 100, reason: `lot ${i}` });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => h().post(`${base}/${p.id}/redeem`, { member_id: m.id, points: 100, reason: `race ${i}` })),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(10);
    const refused = results.filter((r) => r.status !== 201);
    expect(refused).toHaveLength(10);
    for (const r of refused) expect(r.body.type).toBe('/problems/insufficient-points');
    const got = await h().get(`${base}/${p.id}/members/${m.id}`);
    expect(got.body.balance).toBe(0);
    const hist = await h().get(`${base}/${p.id}/members/${m.id}/history?limit=1000`);
    expect(hist.body.items.reduce((s: number, e: { points: number }) => s + e.points, 0)).toBe(0);
    expect(hist.body.items.every((e: { balance_after: number }) => e.balance_after >= 0)).toBe(true);
  });

  it('50 parallel accruals lose none', async () => {
    const p = (await h().post(base, { name: 'C2', currency: 'EUR', point_value: 1, points_rounding: 'floor', redeem_max_share: 1 })).body;
    await h().post('/api/v1/profiles', { email: 'many@example.com' });
    const m = (await h().post(`${base}/${p.id}/members`, { profile: { email: 'many@example.com' } })).body;
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => h().post(`${base}/${p.id}/accrue`, { member_id: m.id, points: i + 1, reason: `parallel ${i}` })),
    );
    expect(results.every((r) => r.status === 201)).toBe(true);
    const expected = (50 * 51) / 2;
    expect((await h().get(`${base}/${p.id}/members/${m.id}`)).body.balance).toBe(expected);
    const hist = await h().get(`${base}/${p.id}/members/${m.id}/history?limit=1000`);
    expect(hist.body.items).toHaveLength(50);
    const balances = hist.body.items.map((e: { balance_after: number }) => e.balance_after).sort((a: number, b: number) => a - b);
    expect(balances.at(-1)).toBe(expected);
    expect(new Set(balances).size).toBe(50); // serialised: every entry saw a different balance
  });

  it('parallel idempotent accruals with one external_id credit once', async () => {
    const p = (await h().post(base, { name: 'C3', currency: 'EUR', point_value: 1, points_rounding: 'floor', redeem_max_share: 1 })).body;
    await h().post('/api/v1/profiles', { email: 'once@example.com' });
    const m = (await h().post(`${base}/${p.id}/members`, { profile: { email: 'once@example.com' } })).body;
    const results = await Promise.all(
      Array.from({ length: 10 }, () => h().post(`${base}/${p.id}/accrue`, { member_id: m.id, points: 10, reason: 'once', external_id: 'ext-1' })),
    );
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    expect((await h().get(`${base}/${p.id}/members/${m.id}`)).body.balance).toBe(10);
  });
});
