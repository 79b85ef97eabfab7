import { expect, it } from 'vitest';
import { describeEachDatabase } from '../helpers/harness.js';

describeEachDatabase('loyalty values in messages', (h) => {
  it('renders the member\'s balance, pending points and per-program values; a non-member renders empty', async () => {
    const program = await h().post('/api/v1/loyalty/programs', {
      name: 'Club', currency: 'EUR', welcome_points: 150, point_value: 0.01, points_rounding: 'floor', redeem_max_share: 0.5,
    });
    expect(program.status).toBe(201);
    const member = { email: 'member@example.com' };
    const guest = { email: 'guest@example.com' };
    for (const p of [member, guest]) expect((await h().post('/api/v1/profiles', { ...p, subscriptions: { email: 'subscribed' } })).status).toBe(201);
    expect((await h().post(`/api/v1/loyalty/programs/${program.body.id}/members`, { profile: member })).status).toBeLessThan(300);
    const tpl = await h().post('/api/v1/templates', {
      name: 'balance-mail', channel: 'email', format: 'text', subject: 'You have {{ loyalty.balance }} points',
      body: `Balance {{ loyalty.balance }}; pending {{ loyalty.pending }}; in Club {{ loyalty.programs["${program.body.id}"].balance }}.`,
    });
    expect(tpl.status).toBe(201);
    const sent = await h().post('/api/v1/messages', { profile: member, template_id: tpl.body.id });
    expect(sent.status).toBe(202);
    expect(sent.body.subject).toBe('You have 150 points');
    expect(sent.body.body).toBe('Balance 150; pending 0; in Club 150.');
    const preview = await h().post(`/api/v1/templates/${tpl.body.id}/render`, { profile: guest });
    expect(preview.body.subject).toBe('You have  points');
  });
});
