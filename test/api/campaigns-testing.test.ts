import { beforeAll, expect, it } from 'vitest';
import type { VirtualClock } from '../../src/domain/clock.js';
import { assign, assignmentPlan } from '../../src/domain/campaigns/assignment.js';
import { messaging } from '../../src/engine/messaging.js';
import { describeEachDatabase, type Harness } from '../helpers/harness.js';
import { act, api, campaign, importProfiles, messagesOf, recipientsOf, driveWorkByHand, runCampaigns, segment, stats, template } from './campaigns.helpers.js';

async function postEvents(h: Harness, events: Record<string, unknown>[]) {
  for (let i = 0; i < events.length; i += 1000) {
    const r = await h.post(`${api}/events/batch`, { events: events.slice(i, i + 1000) });
    expect(r.status, r.text).toBe(200);
    expect(r.body.rejected, r.text).toEqual([]);
  }
}

const countBy = <T>(items: T[], key: (t: T) => string) => items.reduce<Record<string, number>>((acc, t) => ((acc[key(t)] = (acc[key(t)] ?? 0) + 1), acc), {});

describeEachDatabase('campaigns: multivariate tests, winner selection, control groups, promo codes', (h) => {
  beforeAll(async () => driveWorkByHand(h()));
  let ids: string[];
  let seg: string;

  it('splits variants by weight, tests on a share, picks the winner by opens after the window, sends it to the rest', async () => {
    const clock = h().clock as VirtualClock;
    clock.set('2026-04-01T10:00:00Z');
    ids = await importProfiles(h(), Array.from({ length: 300 }, (_, i) => ({ email: `ab${i}@example.com`, city: 'Leipzig' })));
    seg = await segment(h(), 'Leipzig', { field: 'fields.city', op: 'eq', value: 'Leipzig' });
    const a = await template(h(), { subject: 'Variant A' });
    const b = await template(h(), { subject: 'Variant B' });
    const c = await campaign(h(), {
      variants: [{ template_id: a }, { template_id: b }],
      audience: { segment_ids: [seg] },
      winner_selection: { test_percent: 40, metric: 'opens', window: 'PT2H' },
    });
    await act(h(), c.id, 'start');
    await runCampaigns(h());

    // the database split everyone exactly as the domain's hash split says
    const plan = assignmentPlan({ campaignId: c.id, weights: [1, 1], controlPercent: 0, globalControlPercent: 0, testPercent: 40 });
    const expected = new Map(ids.map((id) => [id, assign(plan, id)]));
    const rec = await recipientsOf(h(), c.id);
    expect(rec).toHaveLength(300);
    for (const r of rec) expect([r.group, r.variant]).toEqual([expected.get(r.profile_id)!.group, expected.get(r.profile_id)!.variant]);
    const test = rec.filter((r) => r.group === 'test');
    expect(test.length).toBeGreaterThan(80);
    expect(test.length).toBeLessThan(160);
    expect(rec.filter((r) => r.group === 'rest').every((r) => r.status === 'held')).toBe(true);

    let s = await stats(h(), c.id);
    expect(s).toMatchObject({ sent: test.length, held_for_winner: 300 - test.length, pending: 300 - test.length });
    expect(s.winner).toMatchObject({ variant: null, due_at: '2026-04-01T12:00:00.000Z' });

    // recipients open: 60% of variant B's messages, 20% of variant A's (through the tracking events)
    const msgs = await messagesOf(h(), c.id);
    const byId = new Map(msgs.map((m) => [m.id, m]));
    const opens: Record<string, unknown>[] = [];
    const perVariant = [0, 0];
    for (const r of test) {
      const m = byId.get(r.message_id)!;
      expect(m.subject).toBe(r.variant === 0 ? 'Variant A' : 'Variant B');
      perVariant[r.variant]++;
      if (perVariant[r.variant] % 5 < (r.variant === 1 ? 3 : 1))
        opens.push({ profile: { id: r.profile_id }, name: 'message_opened', properties: { message_id: r.message_id, campaign_id: c.id }, occurred_at: '2026-04-01T10:30:00Z' });
    }
    await postEvents(h(), opens);

    clock.set('2026-04-01T11:59:00Z');
    await runCampaigns(h());
    expect((await stats(h(), c.id)).winner.variant).toBeNull();

    clock.set('2026-04-01T12:00:00Z');
    await runCampaigns(h());
    s = await stats(h(), c.id);
    expect(s.winner.variant).toBe(1);
    expect(s.variants.map((v: { winner: boolean }) => v.winner)).toEqual([false, true]);
    const results = s.winner.results as { variant: number; sent: number; converted: number; rate: number }[];
    expect(results.map((r) => r.sent)).toEqual(perVariant);
    expect(results[1].rate).toBeGreaterThan(results[0].rate);
    expect(s).toMatchObject({ sent: 300, pending: 0, held_for_winner: 0, status: 'completed' });
    const rest = (await recipientsOf(h(), c.id, '&group=rest')).map((r) => r.message_id);
    const after = new Map((await messagesOf(h(), c.id)).map((m) => [m.id, m]));
    expect(rest.every((id) => after.get(id)?.subject === 'Variant B')).toBe(true);
  });

  it('control groups: the campaign’s and the global one receive nothing, are counted, stay the same profiles; reports compare goals', async () => {
    const clock = h().clock as VirtualClock;
    clock.set('2026-04-05T10:00:00Z');
    expect((await h().request('PUT', `${api}/settings/messaging`, { body: { control_group_percent: 60 } })).status).toBe(400);
    const put = await h().request('PUT', `${api}/settings/messaging`, { body: { control_group_percent: 10 } });
    expect(put.status, put.text).toBe(200);
    messaging(h().ctx).invalidate();
    const tpl = await template(h());
    const c = await campaign(h(), { template_id: tpl, audience: { segment_ids: [seg] }, control_percent: 20, goal: { event: 'purchase', within: 'P3D' } });
    await act(h(), c.id, 'start');
    await runCampaigns(h());

    const plan = assignmentPlan({ campaignId: c.id, weights: [1], controlPercent: 20, globalControlPercent: 10, testPercent: null });
    const groups = countBy(ids, (id) => assign(plan, id).group);
    const s = await stats(h(), c.id);
    expect(s).toMatchObject({ audience: 300, control_group: groups.control, global_control_group: groups.global_control, sent: groups.all });
    expect(groups.control).toBeGreaterThan(30);
    expect(groups.global_control).toBeGreaterThan(10);

    const rec = await recipientsOf(h(), c.id);
    const held = new Set(rec.filter((r) => r.group === 'control' || r.group === 'global_control').map((r) => r.profile_id));
    expect(held.size).toBe(groups.control + groups.global_control);
    const msgs = await messagesOf(h(), c.id);
    expect(msgs).toHaveLength(groups.all);
    const byId = new Map(ids.map((id, i) => [id, `ab${i}@example.com`]));
    const heldEmails = new Set([...held].map((id) => byId.get(id)));
    expect(msgs.filter((m) => heldEmails.has(m.to))).toEqual([]);
    expect(rec.filter((r) => held.has(r.profile_id)).every((r) => r.status === 'control' && r.message_id === null)).toBe(true);

    // the global control group is the same profiles in every campaign
    const d = await campaign(h(), { template_id: tpl, audience: { segment_ids: [seg] } });
    await act(h(), d.id, 'start');
    await runCampaigns(h());
    const globalOf = async (id: string) => new Set((await recipientsOf(h(), id, '&group=global_control')).map((r) => r.profile_id));
    expect([...(await globalOf(d.id))].sort()).toEqual([...(await globalOf(c.id))].sort());
    expect((await stats(h(), d.id)).control_group).toBe(0);

    // purchases: 10 of those sent, 2 of the campaign's control group, within the goal window
    const sent = rec.filter((r) => r.status === 'sent').slice(0, 10);
    const control = rec.filter((r) => r.group === 'control').slice(0, 2);
    await postEvents(
      h(),
      [...sent, ...control].map((r) => ({ profile: { id: r.profile_id }, name: 'purchase', occurred_at: '2026-04-06T10:00:00Z' })),
    );
    const conv = (await stats(h(), c.id)).conversions;
    expect(conv.event).toBe('purchase');
    expect(conv.sent).toMatchObject({ profiles: groups.all, converted: 10 });
    expect(conv.control).toMatchObject({ profiles: groups.control, converted: 2 });
    expect(conv.global_control).toMatchObject({ profiles: groups.global_control, converted: 0 });

    // a trigger campaign honours both groups; a transactional one is not marketing and skips only its own
    const promoT = await template(h(), { subject: 'Flash sale' });
    const t = await campaign(h(), { kind: 'trigger', template_id: promoT, control_percent: 50 });
    await act(h(), t.id, 'start');
    const tPlan = assignmentPlan({ campaignId: t.id, weights: [1], controlPercent: 50, globalControlPercent: 10, testPercent: null });
    const batch = await h().post(`${api}/campaigns/${t.id}/send_batch`, { sends: ids.slice(0, 50).map((id) => ({ profile: { id } })) });
    const skippedAs = batch.body.results.map((r: { skipped?: string }) => r.skipped ?? 'sent');
    const want = ids.slice(0, 50).map((id) => ({ control: 'control-group', global_control: 'global-control-group', all: 'sent' })[assign(tPlan, id).group as 'all']);
    expect(skippedAs).toEqual(want);
    const receipt = await template(h(), { subject: 'Receipt', transactional: true });
    const tx = await campaign(h(), { kind: 'trigger', template_id: receipt });
    await act(h(), tx.id, 'start');
    const inGlobal = [...(await globalOf(c.id))][0];
    const r = await h().post(`${api}/campaigns/${tx.id}/send`, { profile: { id: inGlobal } });
    expect(r.body).toMatchObject({ status: 'queued', group: 'all' });
    expect((await stats(h(), t.id)).control_group).toBe(want.filter((w) => w === 'control-group').length);

    await h().request('PUT', `${api}/settings/messaging`, { body: {} });
    messaging(h().ctx).invalidate();
  });

  it('promo codes: each recipient gets their own code; one who cannot get a code is skipped with the reason, never sent a blank', async () => {
    const pool = async (template_name: string, campaign_can_create: boolean) => {
      const r = await h().post(`${api}/promo/pools`, {
        name: template_name,
        template_name,
        generator: { template: 'SPRING-{symbol 8}' },
        valid_from: '2026-01-01T00:00:00Z',
        valid_to: '2027-01-01T00:00:00Z',
        campaign_can_create,
      });
      expect(r.status, r.text).toBe(201);
      return r.body.id as string;
    };
    const spring = await pool('spring_code', true);
    const scarce = await pool('scarce_code', false);
    expect((await h().post(`${api}/promo/pools/${scarce}/generate`, { count: 2 })).body.generated).toBe(2);
    const few = await importProfiles(h(), Array.from({ length: 5 }, (_, i) => ({ email: `promo${i}@example.com`, city: 'Rostock' })));
    const rostock = await segment(h(), 'Rostock', { field: 'fields.city', op: 'eq', value: 'Rostock' });

    const gen = await template(h(), { body: '<p>Your code: {{ promo.spring_code }}</p>' });
    const c = await campaign(h(), { template_id: gen, audience: { segment_ids: [rostock] } });
    await act(h(), c.id, 'start');
    await runCampaigns(h());
    const msgs = await messagesOf(h(), c.id);
    const codes = msgs.map((m) => /Your code: (SPRING-[A-Z0-9]{8})</.exec(m.body)?.[1]);
    expect(codes.every((x) => x)).toBe(true);
    expect(new Set(codes).size).toBe(5);
    const issued = (await h().get(`${api}/promo/pools/${spring}/codes?status=issued`)).body.items;
    expect(issued.map((x: { code: string }) => x.code).sort()).toEqual([...codes].sort());
    expect(new Set(issued.map((x: { profile_id: string }) => x.profile_id))).toEqual(new Set(few));

    const two = await template(h(), { body: '<p>Last chance: {{ promo.scarce_code }}</p>' });
    const d = await campaign(h(), { template_id: two, audience: { segment_ids: [rostock] } });
    await act(h(), d.id, 'start');
    await runCampaigns(h());
    const s = await stats(h(), d.id);
    expect(s.sent).toBe(2);
    expect(s.skipped.total).toBe(3);
    expect(Object.keys(s.skipped.by_reason)).toEqual([expect.stringMatching(/^no promo code could be issued from scarce_code \(pool-exhausted\)/)]);
    const sent = await messagesOf(h(), d.id);
    expect(sent).toHaveLength(2);
    expect(sent.every((m) => /Last chance: SPRING-[A-Z0-9]{8}</.test(m.body))).toBe(true);
    const skipped = (await recipientsOf(h(), d.id, '&status=skipped'));
    expect(skipped.every((r) => r.message_id === null && /pool-exhausted/.test(r.reason))).toBe(true);
  });
});
