import { beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/domain/clock.js';
import { holdoutOf } from '../../src/domain/scenarios/assign.js';
import { describeEachDatabase } from '../helpers/harness.js';
import { act, active, api, instances, launch, messagesOf, pool, profile, runScenarios, scenario, stats, template } from './scenarios.helpers.js';

const waitThenSend = (tpl: string) => [
  { id: 'start', type: 'trigger.api', next: 'w' },
  { id: 'w', type: 'wait', config: { duration: 'PT1H' }, next: 'm' },
  { id: 'm', type: 'send', config: { channel: 'email', template_id: tpl } },
];

describeEachDatabase(
  'scenarios: launches, reentry, holdout, splits, simulation, templates',
  (harness) => {
    beforeAll(async () => {
      await harness().ctx.work.stop();
    });

    describe('reentry', () => {
      it('once, ignore, restart and new_instance with max_active_per_profile', async () => {
        const h = harness();
        const mail = await template(h);
        const p = await profile(h);
        const once = await active(h, { settings: { reentry: 'once' }, nodes: waitThenSend(mail) });
        expect((await launch(h, once.id, p)).instance_id).toBeTruthy();
        expect(await launch(h, once.id, p)).toEqual({ skipped: 'reentry-once' });

        const ignore = await active(h, { settings: { reentry: 'ignore' }, nodes: waitThenSend(mail) });
        expect((await launch(h, ignore.id, p)).instance_id).toBeTruthy();
        expect(await launch(h, ignore.id, p)).toEqual({ skipped: 'reentry-ignore' });

        const restart = await active(h, { settings: { reentry: 'restart' }, nodes: waitThenSend(mail) });
        const first = (await launch(h, restart.id, p)).instance_id;
        await runScenarios(h);
        const second = (await launch(h, restart.id, p)).instance_id;
        expect(second).not.toBe(first);
        const rs = await instances(h, restart.id, p);
        expect(rs.find((i) => i.id === first)).toMatchObject({ status: 'exited', reason: 'restart' });
        expect(rs.find((i) => i.id === second).status).toBe('active');

        const many = await active(h, { settings: { reentry: 'new_instance', max_active_per_profile: 2 }, nodes: waitThenSend(mail) });
        expect((await launch(h, many.id, p)).instance_id).toBeTruthy();
        expect((await launch(h, many.id, p)).instance_id).toBeTruthy();
        expect(await launch(h, many.id, p)).toEqual({ skipped: 'max-active' });
      });

      it('concurrent launches of one profile never both enter (lock per scenario and profile)', async () => {
        const h = harness();
        const mail = await template(h);
        const p = await profile(h);
        const s = await active(h, { settings: { reentry: 'ignore' }, nodes: waitThenSend(mail) });
        const rs = await Promise.all(Array.from({ length: 8 }, () => launch(h, s.id, p)));
        expect(rs.filter((r) => r.instance_id).length).toBe(1);
        expect(rs.filter((r) => r.skipped === 'reentry-ignore').length).toBe(7);
        expect(await instances(h, s.id, p)).toHaveLength(1);
      });
    });

    describe('batches and holdout', () => {
      it('launch_batch: bad rows reported at their index, good ones land', async () => {
        const h = harness();
        const mail = await template(h);
        const s = await active(h, { settings: { reentry: 'once' }, nodes: waitThenSend(mail) });
        const a = await profile(h);
        const b = await profile(h);
        const r = await h.post(`${api}/scenarios/${s.id}/launch_batch`, {
          launches: [
            { profile: { id: a }, data: { n: 1 } },
            { profile: { email: 'nobody@nowhere.example' } },
            { profile: 'not a reference' },
            { profile: { id: b }, data: 'not an object' },
            { profile: { id: b } },
            { profile: { id: a } },
          ],
        });
        expect(r.status, r.text).toBe(200);
        const res = r.body.results;
        expect(res).toHaveLength(6);
        expect(res[0].instance_id).toBeTruthy();
        expect(res[1].error).toMatch(/no such profile/);
        expect(res[2].error).toBeTruthy();
        expect(res[3].error).toMatch(/data/);
        expect(res[4].instance_id).toBeTruthy();
        expect(res[5]).toMatchObject({ index: 5, skipped: 'reentry-once' });
        expect(await instances(h, s.id)).toHaveLength(2);
        const tooMany = await h.post(`${api}/scenarios/${s.id}/launch_batch`, { launches: Array.from({ length: 10_001 }, () => ({ profile: { id: a } })) });
        expect(tooMany.status).toBe(400);
      });

      it('holdout: held-out profiles are recorded and counted, never messaged', async () => {
        const h = harness();
        const mail = await template(h);
        const s = await active(h, {
          settings: { reentry: 'new_instance', holdout_percent: 50 },
          nodes: [
            { id: 'start', type: 'trigger.api', next: 'm' },
            { id: 'm', type: 'send', config: { channel: 'email', template_id: mail } },
          ],
        });
        const ids = await Promise.all(Array.from({ length: 20 }, () => profile(h)));
        const r = await h.post(`${api}/scenarios/${s.id}/launch_batch`, { launches: ids.map((id) => ({ profile: { id } })) });
        const held = ids.filter((id) => holdoutOf(id, s.id, 50));
        expect(r.body.results.filter((x: any) => x.skipped === 'holdout')).toHaveLength(held.length);
        await runScenarios(h);
        const msgs = await messagesOf(h, s.id);
        expect(msgs).toHaveLength(20 - held.length);
        expect(msgs.some((m) => held.includes(m.profile_id))).toBe(false);
        const st = await stats(h, s.id);
        expect(st).toMatchObject({ entered: 20, holdout: held.length, completed: 20 - held.length, exited: held.length });
      });
    });

    describe('split, simulation, templates, node types', () => {
      it('split sends each variant by weight; stats count the branches exactly', async () => {
        const h = harness();
        const a = await template(h, { subject: 'A' });
        const b = await template(h, { subject: 'B' });
        const s = await active(h, {
          settings: { reentry: 'new_instance' },
          nodes: [
            { id: 'start', type: 'trigger.api', next: 'ab' },
            { id: 'ab', type: 'split', config: { variants: [{ label: 'a', weight: 1 }, { label: 'b', weight: 1 }] }, branches: { a: 'ma', b: 'mb' } },
            { id: 'ma', type: 'send', config: { channel: 'email', template_id: a } },
            { id: 'mb', type: 'send', config: { channel: 'email', template_id: b } },
          ],
        });
        const ids = await Promise.all(Array.from({ length: 30 }, () => profile(h)));
        await h.post(`${api}/scenarios/${s.id}/launch_batch`, { launches: ids.map((id) => ({ profile: { id } })) });
        await runScenarios(h);
        const msgs = await messagesOf(h, s.id);
        const st = await stats(h, s.id);
        expect(st.nodes.ab.branches.a + st.nodes.ab.branches.b).toBe(30);
        expect(msgs.filter((m) => m.subject === 'A')).toHaveLength(st.nodes.ab.branches.a);
        expect(st.nodes.ab.branches.a).toBeGreaterThan(0);
        expect(st.nodes.ab.branches.b).toBeGreaterThan(0);
      });

      it('simulate: a trace on a virtual clock from the real profile, nothing sent or written', async () => {
        const h = harness();
        const mail = await template(h);
        const s = await scenario(h, {
          settings: { reentry: 'once' },
          nodes: [
            { id: 'start', type: 'trigger.api', next: 'w' },
            { id: 'w', type: 'wait_event', config: { event: 'order_finalized', timeout: 'P2D' }, branches: { received: 'done', timeout: 'paris' } },
            { id: 'paris', type: 'condition', config: { conditions: { field: 'fields.city', op: 'eq', value: 'Paris' } }, branches: { yes: 'm', no: 'done' } },
            { id: 'm', type: 'send', config: { channel: 'email', template_id: mail } },
            { id: 'done', type: 'exit' },
          ],
        });
        const p = await profile(h, { city: 'Paris' });
        const before = (await h.get(`${api}/messages?limit=1000`)).body.items.length;
        const r = await h.post(`${api}/scenarios/${s.id}/simulate`, { profile: { id: p } });
        expect(r.status, r.text).toBe(200);
        expect(r.body.trace.map((t: any) => `${t.node_id}:${t.outcome}`)).toEqual(['start:entered', 'w:waiting', 'w:timeout', 'paris:branch:yes', 'm:passed', 'm:completed']);
        expect(r.body.trace[2].at).toBe(new Date(h.clock.now().getTime() + 2 * 86_400_000).toISOString());
        const withOrder = await h.post(`${api}/scenarios/${s.id}/simulate`, {
          profile: { id: p },
          events: [{ at: new Date(h.clock.now().getTime() + 3_600_000).toISOString(), name: 'order_finalized', properties: {} }],
        });
        expect(withOrder.body.trace.map((t: any) => t.outcome)).toContain('received');
        expect((await h.get(`${api}/messages?limit=1000`)).body.items.length).toBe(before);
        expect(await instances(h, s.id)).toHaveLength(0);
      });

      it('from_template creates the sample templates and substitutes ids; missing placeholders are faults at activation', async () => {
        const h = harness();
        const list = await h.get(`${api}/scenario-templates`);
        expect(list.status).toBe(200);
        expect(list.body.items.length).toBeGreaterThanOrEqual(7);
        const welcome = list.body.items.find((t: any) => t.key === 'welcome');
        expect(welcome.placeholders).toEqual(expect.arrayContaining(['pool:welcome', 'program:main']));
        const r = await h.post(`${api}/scenarios`, { from_template: 'welcome' });
        expect(r.status, r.text).toBe(201);
        expect(r.body.template_key).toBe('welcome');
        expect(r.body.created_templates.length).toBeGreaterThanOrEqual(1);
        const ids = r.body.created_templates.map((t: any) => t.id);
        const text = JSON.stringify(r.body.nodes);
        for (const id of ids) expect(text).toContain(id);
        expect(text).not.toContain('tpl:');
        const refused = await h.post(`${api}/scenarios/${r.body.id}/activate`);
        expect(refused.status).toBe(422);
        expect(JSON.stringify(refused.body.errors)).toContain('pool:welcome');

        const poolId = await pool(h);
        const prog = await h.post(`${api}/loyalty/programs`, { name: 'tpl program', currency: 'EUR', point_value: 0.01, points_rounding: 'floor', redeem_max_share: 1 });
        const full = await h.post(`${api}/scenarios`, { from_template: 'welcome', name: 'Welcome (ready)', template_refs: { 'pool:welcome': poolId, 'program:main': prog.body.id } });
        expect(full.status, full.text).toBe(201);
        const ok = await h.post(`${api}/scenarios/${full.body.id}/activate`);
        expect(ok.status, ok.text).toBe(200);
        await act(h, full.body.id, 'stop');

        const unknown = await h.post(`${api}/scenarios`, { from_template: 'nope' });
        expect(unknown.status).toBe(400);
      });

      it('promo codes for a batch: one distinct code each, a held code kept, the rest generated, exhaustion takes the failed branch', async () => {
        const h = harness();
        const mail = await template(h, { subject: 'Code {{ data.promo_code }}' });
        const fixed = await pool(h, { generator: null, scenario_can_create: false });
        const add = await h.request('POST', `${api}/promo/pools/${fixed}/import`, { raw: 'code\nA-1\nA-2\nA-3\n', headers: { 'content-type': 'text/csv' } });
        expect(add.status, add.text).toBe(200);
        const growing = await pool(h);
        const gen = await h.post(`${api}/promo/pools/${growing}/generate`, { count: 2 });
        expect(gen.status, gen.text).toBe(200);
        const nodes = (poolId: string) => [
          { id: 'start', type: 'trigger.api', next: 'code' },
          { id: 'code', type: 'promo_code', config: { pool_id: poolId }, next: 'm', branches: { failed: 'none' } },
          { id: 'm', type: 'send', config: { channel: 'email', template_id: mail } },
          { id: 'none', type: 'exit' },
        ];
        const ids = await Promise.all(Array.from({ length: 5 }, () => profile(h)));
        const issued = await h.post(`${api}/promo/pools/${fixed}/issue`, { profile: { id: ids[0] } });
        expect(issued.status, issued.text).toBeLessThan(300);

        const a = await active(h, { settings: { reentry: 'once' }, nodes: nodes(fixed) });
        await h.post(`${api}/scenarios/${a.id}/launch_batch`, { launches: ids.map((id) => ({ profile: { id } })) });
        await runScenarios(h);
        const ia = await instances(h, a.id);
        const codes = ia.filter((i) => i.status === 'completed').map((i) => i.data.promo_code);
        expect(codes.sort()).toEqual(['A-1', 'A-2', 'A-3']);
        expect(ia.find((i) => i.profile_id === ids[0]).data.promo_code).toBe(issued.body.code);
        expect(ia.filter((i) => i.status === 'exited')).toHaveLength(2);
        expect((await stats(h, a.id)).nodes.code.branches.failed).toBe(2);

        const b = await active(h, { settings: { reentry: 'once' }, nodes: nodes(growing) });
        await h.post(`${api}/scenarios/${b.id}/launch_batch`, { launches: ids.map((id) => ({ profile: { id } })) });
        await runScenarios(h);
        const ib = await instances(h, b.id);
        expect(ib.every((i) => i.status === 'completed')).toBe(true);
        expect(new Set(ib.map((i) => i.data.promo_code)).size).toBe(5);
        const msgs = await messagesOf(h, b.id);
        expect(msgs.map((m) => m.subject).sort()).toEqual(ib.map((i) => `Code ${i.data.promo_code}`).sort());
        const timeline = await h.get(`${api}/profiles/${ids[1]}/timeline?limit=100`);
        expect(timeline.body.items.filter((e: any) => e.kind === 'promo_code_issued').length).toBeGreaterThanOrEqual(2);
      });

      it('node types for the editor', async () => {
        const r = await harness().get(`${api}/scenario-node-types`);
        expect(r.status).toBe(200);
        const types = r.body.items.map((t: any) => t.type);
        expect(types).toEqual(expect.arrayContaining(['trigger.event', 'trigger.field_date', 'send', 'wait_event', 'condition', 'split', 'webhook', 'exit']));
        expect(r.body.items.find((t: any) => t.type === 'wait_event').branches).toEqual(['received', 'timeout']);
      });
    });
  },
  { clock: () => new VirtualClock('2026-03-02T09:00:00Z') },
);
