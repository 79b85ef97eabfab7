import { beforeAll, expect, it } from 'vitest';
import type { VirtualClock } from '../../src/domain/clock.js';
import { describeEachDatabase } from '../helpers/harness.js';
import { expectProblem } from '../helpers/promo.js';
import { act, api, campaign, importProfiles, messagesOf, recipientsOf, driveWorkByHand, runCampaigns, segment, staticSegment, stats, template } from './campaigns.helpers.js';

describeEachDatabase('campaigns: broadcast through the outbox', (h) => {
  beforeAll(async () => driveWorkByHand(h()));
  let berlin: string;
  let ids: string[];
  let tpl: string;

  it('snapshots the audience at start and sends each recipient once; skipped ones are counted by reason', async () => {
    const rows = [
      ...Array.from({ length: 10 }, (_, i) => ({ email: `b${i}@example.com`, city: 'Berlin', first_name: `B${i}` })),
      { email: 'unsub1@example.com', city: 'Berlin', subscribed: false },
      { email: 'unsub2@example.com', city: 'Berlin', subscribed: false },
      { email: 'excluded@example.com', city: 'Berlin' },
      ...Array.from({ length: 3 }, (_, i) => ({ email: `m${i}@example.com`, city: 'Munich' })),
    ];
    ids = await importProfiles(h(), rows);
    berlin = await segment(h(), 'Berlin', { field: 'fields.city', op: 'eq', value: 'Berlin' });
    const vip = await staticSegment(h(), 'Do not mail', [ids[12]]);
    tpl = await template(h());

    const c = await campaign(h(), { template_id: tpl, audience: { segment_ids: [berlin], exclude_segment_ids: [vip] }, data: { season: 'spring' } });
    expect(c).toMatchObject({ status: 'draft', kind: 'broadcast', template_id: tpl, variants: [{ template_id: tpl, weight: 1 }], control_percent: 0 });
    const started = await act(h(), c.id, 'start');
    expect(started.status).toBe('running');
    // a profile joining the segment after start is not in this broadcast's snapshot once it is taken
    await runCampaigns(h());
    await h().post(`${api}/profiles`, { email: 'late@example.com', fields: { city: 'Berlin' }, subscriptions: { email: 'subscribed' } });
    await runCampaigns(h());

    const s = await stats(h(), c.id);
    expect(s).toMatchObject({ status: 'completed', runs: 1, audience: 12, sent: 10, failed: 0, queued: 0, pending: 0, control_group: 0, global_control_group: 0 });
    expect(s.skipped).toEqual({ total: 2, by_reason: { 'unsubscribed from email': 2 } });
    expect(s.variants).toEqual([expect.objectContaining({ variant: 0, template_id: tpl, recipients: 12, sent: 10, skipped: 2 })]);

    // messaging records the two it refused as skipped messages, with the reason
    const all = await messagesOf(h(), c.id);
    expect(all.filter((m) => m.status === 'skipped').map((m) => m.reason)).toEqual(['unsubscribed from email', 'unsubscribed from email']);
    const msgs = all.filter((m) => m.status !== 'skipped');
    expect(msgs).toHaveLength(10);
    expect(new Set(msgs.map((m) => m.to)).size).toBe(10);
    expect(msgs.every((m) => m.status === 'sent' && m.campaign_id === c.id)).toBe(true);
    expect(msgs.map((m) => m.to).sort()).toEqual(rows.slice(0, 10).map((r) => r.email).sort());
    expect(msgs.find((m) => m.to === 'b3@example.com').subject).toBe('Hello B3');

    const rec = await recipientsOf(h(), c.id);
    expect(rec).toHaveLength(12);
    expect(rec.filter((r) => r.status === 'sent').every((r) => typeof r.message_id === 'string')).toBe(true);
    expect(rec.map((r) => r.profile_id)).not.toContain(ids[12]);

    // nothing is sent twice however often the tasks run again
    await runCampaigns(h());
    expect(await messagesOf(h(), c.id)).toHaveLength(12);
  });

  it('holds a scheduled broadcast until its time and a paused one until it resumes; cancel records the rest', async () => {
    const clock = h().clock as VirtualClock;
    const at = new Date(clock.now().getTime() + 3_600_000).toISOString();
    const c = await campaign(h(), { template_id: tpl, audience: { segment_ids: [berlin] }, schedule: { at } });
    const started = await act(h(), c.id, 'start');
    expect(started).toMatchObject({ status: 'scheduled', next_run_at: at });
    await runCampaigns(h());
    expect((await stats(h(), c.id)).runs).toBe(0);

    await act(h(), c.id, 'pause');
    clock.advance(3_600_000);
    await runCampaigns(h());
    expect((await stats(h(), c.id)).runs).toBe(0);
    expect((await act(h(), c.id, 'resume')).status).toBe('running');
    await runCampaigns(h());
    const s = await stats(h(), c.id);
    expect(s).toMatchObject({ status: 'completed', runs: 1, sent: 12 });

    // canceled mid-way (throttled to one a minute): what was still to go is recorded as canceled, never sent
    const d = await campaign(h(), { template_id: tpl, audience: { segment_ids: [berlin] }, throttle: { per_minute: 1 } });
    await act(h(), d.id, 'start');
    await runCampaigns(h());
    const canceled = await act(h(), d.id, 'cancel');
    expect(canceled.status).toBe('canceled');
    const before = await messagesOf(h(), d.id);
    expect(before).toHaveLength(1);
    clock.advance(10 * 60_000);
    await runCampaigns(h());
    expect(await messagesOf(h(), d.id)).toEqual(before);
    const ds = await stats(h(), d.id);
    expect(ds.sent + ds.skipped.total + ds.canceled).toBe(ds.audience);
    expect(ds.canceled).toBeGreaterThanOrEqual(ds.audience - 3);
    expectProblem(await h().post(`${api}/campaigns/${d.id}/resume`), 422, 'campaign-state');
  });

  it('validates: every bad field is named; references that do not exist are 422; unknown ids 404', async () => {
    const bad = await h().post(`${api}/campaigns`, { name: '', kind: 'weekly', channel: 'email', control_percent: 70, throttle: { per_minute: 0 } });
    expectProblem(bad, 400, 'invalid-request');
    const paths = bad.body.errors.map((e: { path: string }) => e.path);
    for (const p of ['name', 'kind', 'control_percent', 'throttle.per_minute']) expect(paths).toContain(p);

    const rules = await h().post(`${api}/campaigns`, {
      name: 'x',
      kind: 'regular',
      channel: 'email',
      variants: [{ template_id: tpl }],
      audience: { segment_ids: [berlin], exclude_segment_ids: [berlin] },
      schedule: { cron: 'every day', timezone: 'Mars/Olympus' },
      winner_selection: { test_percent: 20, metric: 'goal', window: 'PT1H' },
    });
    expectProblem(rules, 400, 'invalid-request');
    expect(rules.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(
      ['audience.exclude_segment_ids.0', 'goal', 'schedule.cron', 'schedule.timezone', 'winner_selection'].sort(),
    );
    const both = await h().post(`${api}/campaigns`, { name: 'x', kind: 'broadcast', channel: 'email', template_id: tpl, variants: [{ template_id: tpl }], audience: { segment_ids: [berlin] } });
    expectProblem(both, 400);
    expect(both.body.errors[0].path).toBe('template_id');

    const sms = await template(h(), { channel: 'sms', subject: undefined, body: 'Hi' });
    const refs = await h().post(`${api}/campaigns`, {
      name: 'x',
      kind: 'broadcast',
      channel: 'email',
      variants: [{ template_id: sms }, { template_id: '01900000-0000-7000-8000-000000000000' }],
      audience: { segment_ids: ['01900000-0000-7000-8000-000000000001'] },
    });
    expectProblem(refs, 422, 'campaign-invalid');
    expect(refs.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['audience.segment_ids.0', 'variants.0.template_id', 'variants.1.template_id']);

    expectProblem(await h().get(`${api}/campaigns/01900000-0000-7000-8000-000000000000`), 404);
    expectProblem(await h().post(`${api}/campaigns/01900000-0000-7000-8000-000000000000/start`), 404);
    expectProblem(await h().get(`${api}/campaigns/not-a-uuid`), 400);
    expect((await h().get('/readyz')).status).toBe(200);
  });

  it('changes and deletes drafts only; lists campaigns by status', async () => {
    const c = await campaign(h(), { name: 'Draft', template_id: tpl, audience: { segment_ids: [berlin] } });
    const patched = await h().request('PATCH', `${api}/campaigns/${c.id}`, { body: { name: 'Renamed', control_percent: 10, throttle: { per_minute: 100 } } });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body).toMatchObject({ name: 'Renamed', control_percent: 10, throttle: { per_minute: 100 }, template_id: tpl, audience: { segment_ids: [berlin] } });
    const t2 = await template(h());
    const variants = await h().request('PATCH', `${api}/campaigns/${c.id}`, { body: { variants: [{ template_id: tpl, weight: 3 }, { template_id: t2 }] } });
    expect(variants.body.variants).toEqual([{ template_id: tpl, weight: 3 }, { template_id: t2, weight: 1 }]);
    expect(variants.body.template_id).toBeNull();
    expectProblem(await h().request('PATCH', `${api}/campaigns/${c.id}`, { body: { schedule: { cron: '0 10 * * *', timezone: 'UTC' } } }), 400);

    const drafts = await h().get(`${api}/campaigns?status=draft&limit=1`);
    expect(drafts.body.items).toHaveLength(1);
    expect(drafts.body.items[0].status).toBe('draft');
    const all = await h().get(`${api}/campaigns?limit=1000`);
    expect(all.body.items.length).toBeGreaterThanOrEqual(4);

    const at = new Date(h().clock.now().getTime() + 86_400_000).toISOString();
    expect((await h().request('PATCH', `${api}/campaigns/${c.id}`, { body: { schedule: { at } } })).status).toBe(200);
    expect((await act(h(), c.id, 'start')).status).toBe('scheduled');
    expectProblem(await h().request('PATCH', `${api}/campaigns/${c.id}`, { body: { name: 'Too late' } }), 422, 'campaign-not-draft');
    expectProblem(await h().post(`${api}/campaigns/${c.id}/start`), 422, 'campaign-not-draft');
    expectProblem(await h().request('DELETE', `${api}/campaigns/${c.id}`), 422, 'campaign-not-draft');
    await act(h(), c.id, 'cancel');

    const d = await campaign(h(), { name: 'Gone', template_id: tpl, audience: { segment_ids: [berlin] } });
    expect((await h().request('DELETE', `${api}/campaigns/${d.id}`)).status).toBe(204);
    expectProblem(await h().get(`${api}/campaigns/${d.id}`), 404);
  });

  it('describes the campaign endpoints in the OpenAPI document, generated from the schemas that validate', async () => {
    const doc = (await h().get('/api/openapi.json', null)).body;
    const paths = ['', '/{id}', '/{id}/start', '/{id}/pause', '/{id}/resume', '/{id}/cancel', '/{id}/stats', '/{id}/runs', '/{id}/recipients', '/{id}/send', '/{id}/send_batch'];
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(paths.map((p) => `/api/v1/campaigns${p}`)));
    const body = doc.paths['/api/v1/campaigns'].post.requestBody.content['application/json'].schema;
    expect(Object.keys(body.properties)).toEqual(expect.arrayContaining(['kind', 'template_id', 'variants', 'audience', 'schedule', 'control_percent', 'throttle', 'winner_selection']));
    const settings = doc.paths['/api/v1/settings/messaging'].put.requestBody.content['application/json'].schema;
    expect(settings.properties.control_group_percent).toMatchObject({ minimum: 0, maximum: 50 });
  });
});
