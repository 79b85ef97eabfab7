import { expect, it } from 'vitest';
import { send } from '../../src/engine/messaging.js';
import { describeEachDatabase } from '../helpers/harness.js';
import { drainMessages, makeProfile, makeTemplate, message, sendVia } from './helpers.js';

describeEachDatabase('send pipeline to the outbox', (h) => {
  it('renders, writes in the caller transaction, delivers to the outbox, emits message_sent and lists it', async () => {
    const p = await makeProfile(h(), { email: 'out@example.com', fields: { first_name: 'Olga' }, subscriptions: { email: 'subscribed' } });
    const t = await makeTemplate(h(), { name: 'welcome', channel: 'email', subject: 'Welcome {{ profile.fields.first_name }}', body: '<p>Hi {{ profile.fields.first_name }}, {{ data.note }}</p>' });
    const scenario = '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
    const instance = '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c';
    const ctx = h().ctx;
    // rolled back with the caller's transaction: nothing written
    await expect(
      ctx.db.transaction().execute(async (tx) => {
        await send(ctx, tx, { profile: p, template: t, data: { note: 'x' } });
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
    expect((await h().get(`/api/v1/messages?profile=${p}`)).body.items).toHaveLength(0);

    const r = await ctx.db.transaction().execute((tx) =>
      send(ctx, tx, { profile: p, template: t, data: { note: 'see you' }, origin: { scenario_id: scenario, scenario_version: 2, node_id: 'send1', instance_id: instance } }),
    );
    expect(r).toMatchObject({ status: 'queued', duplicate: false });
    const queued = await message(h(), r.message_id);
    expect(queued).toMatchObject({ status: expect.stringMatching(/queued|sent/), to: 'out@example.com', subject: 'Welcome Olga', provider: 'outbox', scenario_id: scenario, node_id: 'send1' });
    await drainMessages(h());
    const sent = await message(h(), r.message_id);
    // HTML email carries the open pixel (tracking is on unless the settings turn it off); the text part does not
    expect(sent).toMatchObject({ status: 'sent', text: 'Hi Olga, see you', scenario_version: 2, instance_id: instance });
    expect(sent.body).toMatch(/^<p>Hi Olga, see you<\/p><img src="[^"]+\/t\/o\/[0-9a-f]{32}\.[\w-]{22}" width="1" height="1" alt=""[^>]*>$/);
    expect(sent.sent_at).toEqual(expect.any(String));

    const list = await h().get(`/api/v1/messages?scenario_id=${scenario}&status=sent`);
    expect(list.body.items.map((m: { id: string }) => m.id)).toEqual([r.message_id]);
    expect((await h().get(`/api/v1/messages?profile=out@example.com&status=failed`)).body.items).toEqual([]);
    expect((await h().get('/api/v1/messages?status=bogus')).status).toBe(400);

    const timeline = (await h().get(`/api/v1/profiles/${p}/timeline`)).body.items;
    const ev = timeline.find((e: { kind: string; title: string }) => e.kind === 'event' && e.title === 'message_sent');
    expect(ev.data).toMatchObject({ message_id: r.message_id, channel: 'email', scenario_id: scenario, node_id: 'send1', instance_id: instance });
    expect(timeline.some((e: { kind: string }) => e.kind === 'message')).toBe(true);
  });

  it('writes one message per dedupe key', async () => {
    const p = await makeProfile(h(), { email: 'dedupe@example.com', subscriptions: { email: 'subscribed' } });
    const t = await makeTemplate(h(), { name: 'dd', channel: 'email', subject: 's', body: 'b', format: 'text' });
    const a = await sendVia(h(), { profile: { id: p }, template_id: t, dedupe_key: 'step-1' });
    const b = await sendVia(h(), { profile: { id: p }, template_id: t, dedupe_key: 'step-1' });
    expect(b.id).toBe(a.id);
    expect(b.duplicate).toBe(true);
    const ctx = h().ctx;
    const both = await ctx.db.transaction().execute(async (tx) => [
      await send(ctx, tx, { profile: p, template: t, origin: { dedupe_key: 'step-2' } }),
      await send(ctx, tx, { profile: p, template: t, origin: { dedupe_key: 'step-2' } }),
    ]);
    expect(both[1].message_id).toBe(both[0].message_id);
    expect((await h().get(`/api/v1/messages?profile=${p}`)).body.items).toHaveLength(2);
  });

  it('checks subscriptions: skipped or suppressed with the reason; transactional templates bypass opt-in', async () => {
    const t = await makeTemplate(h(), { name: 'promo-mail', channel: 'email', subject: 's', body: 'b', format: 'text' });
    const tx = await makeTemplate(h(), { name: 'receipt', channel: 'email', subject: 'Receipt', body: 'b', format: 'text', transactional: true });
    const none = await makeProfile(h(), { email: 'none@example.com' });
    const unsub = await makeProfile(h(), { email: 'unsub@example.com', subscriptions: { email: 'unsubscribed' } });
    const supp = await makeProfile(h(), { email: 'supp@example.com', subscriptions: { email: 'suppressed' } });
    const nomail = await makeProfile(h(), { phone: '+4915112345000', subscriptions: { email: 'subscribed' } });
    expect(await sendVia(h(), { profile: { id: none }, template_id: t })).toMatchObject({ status: 'skipped', reason: 'not subscribed to email (no status)' });
    expect(await sendVia(h(), { profile: { id: none }, template_id: t, require_subscription: false })).toMatchObject({ status: expect.stringMatching(/^(queued|sent)$/) });
    expect(await sendVia(h(), { profile: { id: unsub }, template_id: t, require_subscription: false })).toMatchObject({ status: 'skipped', reason: 'unsubscribed from email' });
    expect(await sendVia(h(), { profile: { id: unsub }, template_id: tx })).toMatchObject({ status: expect.stringMatching(/^(queued|sent)$/), transactional: true });
    expect(await sendVia(h(), { profile: { id: supp }, template_id: tx })).toMatchObject({ status: 'suppressed' });
    expect(await sendVia(h(), { profile: { id: nomail }, template_id: t })).toMatchObject({ status: 'skipped', reason: 'no email address on the profile' });
    await drainMessages(h());
    const skipped = (await h().get(`/api/v1/messages?profile=${none}&status=skipped`)).body.items;
    expect(skipped).toHaveLength(1);
    const timeline = (await h().get(`/api/v1/profiles/${none}/timeline`)).body.items;
    expect(timeline.find((e: { kind: string; data: { status: string } }) => e.kind === 'message' && e.data.status === 'skipped').data.reason).toBe('not subscribed to email (no status)');
  });

  it('answers unknown templates, profiles and channels', async () => {
    const t = await makeTemplate(h(), { name: 'x-sms', channel: 'sms', body: 'b' });
    const p = await makeProfile(h(), { email: 'who@example.com' });
    expect((await h().post('/api/v1/messages', { profile: { id: p }, template_id: '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b' })).status).toBe(404);
    expect((await h().post('/api/v1/messages', { profile: { email: 'nobody@example.com' }, template_id: t })).status).toBe(404);
    const mismatch = await h().post('/api/v1/messages', { profile: { id: p }, template_id: t, channel: 'email' });
    expect(mismatch.status).toBe(422);
    expect(mismatch.body.type).toBe('/problems/channel-mismatch');
  });
});
