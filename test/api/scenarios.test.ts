import { beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/domain/clock.js';
import { describeEachDatabase } from '../helpers/harness.js';
import { act, active, advance, api, instances, launch, messagesOf, pool, profile, program, runScenarios, scenario, stats, template } from './scenarios.helpers.js';

describeEachDatabase(
  'scenarios: definitions, lifecycle and a full run',
  (harness) => {
    beforeAll(async () => {
      await harness().ctx.work.stop();
    });

    describe('definitions', () => {
      it('creates a draft with description and layout, lists, reads and edits it in place', async () => {
        const h = harness();
        const layout = { start: { x: 10, y: 20 }, done: { x: 10, y: 120 } };
        const s = await scenario(h, {
          description: 'A first journey',
          settings: { reentry: 'once' },
          nodes: [{ id: 'start', type: 'trigger.api', next: 'done' }, { id: 'done', type: 'exit' }],
          layout,
        });
        expect(s).toMatchObject({ status: 'draft', version: 1, live_version: null, description: 'A first journey', layout });
        const got = await h.get(`${api}/scenarios/${s.id}`);
        expect(got.body.nodes).toHaveLength(2);
        const put = await h.request('PUT', `${api}/scenarios/${s.id}`, {
          body: { name: 'Renamed', settings: { reentry: 'ignore' }, nodes: got.body.nodes, layout: { start: { x: 1, y: 2 } } },
        });
        expect(put.status, put.text).toBe(200);
        expect(put.body).toMatchObject({ name: 'Renamed', version: 1, settings: { reentry: 'ignore' }, layout: { start: { x: 1, y: 2 } } });
        await scenario(h, { settings: { reentry: 'once' }, nodes: [] });
        const list = await h.get(`${api}/scenarios?limit=1`);
        expect(list.status).toBe(200);
        expect(list.body.items).toHaveLength(1);
        expect(list.body.next_cursor).toBeTruthy();
        const rest = await h.get(`${api}/scenarios?limit=1&cursor=${list.body.next_cursor}`);
        expect(rest.body.items[0].id).toBe(s.id);
        const versions = await h.get(`${api}/scenarios/${s.id}/versions`);
        expect(versions.body.items.map((v: any) => v.version)).toEqual([1]);
      });

      it('rejects a schema-invalid body with 400 naming the fields', async () => {
        const r = await harness().post(`${api}/scenarios`, { name: 'x', settings: { reentry: 'sometimes' }, nodes: [{ id: 'a' }] });
        expect(r.status).toBe(400);
        expect(r.body.errors.map((e: any) => e.path)).toEqual(expect.arrayContaining(['settings.reentry', 'nodes.0.type']));
      });

      it('refuses to activate an invalid graph with 422 scenario-invalid listing every fault with its node', async () => {
        const h = harness();
        const s = await scenario(h, {
          settings: { reentry: 'once' },
          nodes: [
            { id: 'start', type: 'trigger.api', next: 'mail' },
            { id: 'mail', type: 'send', config: { channel: 'email', template_id: '00000000-0000-4000-8000-000000000000' }, next: 'nowhere' },
            { id: 'lonely', type: 'wait', config: { duration: 'PT1M' }, next: 'start' },
            { id: 'a', type: 'update_profile', config: { set: { x: 1 } }, next: 'b' },
            { id: 'b', type: 'update_profile', config: { set: { y: 1 } }, next: 'a' },
          ],
        });
        const r = await h.post(`${api}/scenarios/${s.id}/activate`);
        expect(r.status, r.text).toBe(422);
        expect(r.headers['content-type']).toContain('application/problem+json');
        expect(r.body.type).toBe('/problems/scenario-invalid');
        const text = JSON.stringify(r.body.errors);
        for (const node of ['mail', 'lonely', 'a']) expect(text).toContain(`node ${node}`);
        expect(r.body.errors.length).toBeGreaterThanOrEqual(4);
        expect((await h.get(`${api}/scenarios/${s.id}`)).body.status).toBe('draft');
      });
    });

    describe('a full run on the virtual clock', () => {
      it('sends, waits, branches, issues a code, accrues points, updates the profile, reaches the goal; stats and history are exact', async () => {
        const h = harness();
        const welcome = await template(h, { subject: 'Welcome', body: '<p>Hello {{ data.name }}</p>' });
        const codeMail = await template(h, { subject: 'Your code', body: '<p>Code {{ data.promo_code }}</p>' });
        const poolId = await pool(h);
        const programId = await program(h);
        const s = await active(h, {
          settings: { reentry: 'new_instance' },
          nodes: [
            { id: 'start', type: 'trigger.api', next: 'hello' },
            { id: 'hello', type: 'send', config: { channel: 'email', template_id: welcome }, next: 'pause' },
            { id: 'pause', type: 'wait', config: { duration: 'PT1S' }, next: 'vip' },
            { id: 'vip', type: 'condition', config: { conditions: { any: [{ field: 'data.vip', op: 'eq', value: true }, { field: 'fields.city', op: 'eq', value: 'Paris' }] } }, branches: { yes: 'code', no: 'bye' } },
            { id: 'code', type: 'promo_code', config: { pool_id: poolId }, next: 'mail_code' },
            { id: 'mail_code', type: 'send', config: { channel: 'email', template_id: codeMail }, next: 'points' },
            { id: 'points', type: 'loyalty_points', config: { program_id: programId, action: 'accrue', points: 50 }, next: 'mark' },
            { id: 'mark', type: 'update_profile', config: { set: { 'fields.journey': 'vip', last_code: 'data.promo_code' } }, next: 'won' },
            { id: 'won', type: 'goal', config: { name: 'vip_done' } },
            { id: 'bye', type: 'exit' },
          ],
        });
        const vip = await profile(h, { city: 'Paris' });
        const plain = await profile(h, { city: 'Rome' });
        const a = await launch(h, s.id, vip, { name: 'Ann' });
        const b = await launch(h, s.id, plain, { name: 'Bob' });
        expect(a.instance_id).toBeTruthy();
        expect(b.instance_id).toBeTruthy();
        await runScenarios(h);

        let msgs = await messagesOf(h, s.id);
        expect(msgs).toHaveLength(2);
        expect(msgs.every((m) => m.node_id === 'hello' && m.scenario_id === s.id && m.status === 'sent')).toBe(true);
        let st = await stats(h, s.id);
        expect(st).toMatchObject({ entered: 2, active: 2, completed: 0, exited: 0 });
        expect(st.nodes.pause.waiting).toBe(2);

        await advance(h, 1_000);
        msgs = await messagesOf(h, s.id);
        expect(msgs).toHaveLength(3);
        const codeMsg = msgs.find((m) => m.node_id === 'mail_code');
        const [inst] = await instances(h, s.id, vip);
        expect(inst.status).toBe('completed');
        const code = inst.data.promo_code as string;
        expect(code).toMatch(/^[A-Z]{6}-\d{4}$/);
        expect(codeMsg.body).toContain(code);
        const codes = await h.get(`${api}/promo/pools/${poolId}/codes`);
        expect(codes.body.items.map((c: any) => [c.code, c.profile_id])).toEqual([[code, vip]]);
        const member = await h.get(`${api}/loyalty/programs/${programId}/members/${vip}`);
        expect(member.status, member.text).toBe(200);
        expect(member.body.balance).toBe(50);
        const p = await h.get(`${api}/profiles/${vip}`);
        expect(p.body.fields).toMatchObject({ journey: 'vip', last_code: code, city: 'Paris' });
        expect(inst.history.map((x: any) => `${x.node_id}:${x.outcome}`)).toEqual([
          'start:entered',
          'hello:passed',
          'pause:waiting',
          'pause:passed',
          'vip:branch:yes',
          'code:passed',
          'mail_code:passed',
          'points:passed',
          'mark:passed',
          'won:passed',
          'won:completed',
        ]);
        const [other] = await instances(h, s.id, plain);
        expect(other.status).toBe('exited');
        const exited = await h.get(`${api}/scenarios/${s.id}/instances?status=exited`);
        expect(exited.body.items.map((x: any) => x.profile_id)).toEqual([plain]);

        st = await stats(h, s.id);
        expect(st).toMatchObject({ entered: 2, active: 0, completed: 1, exited: 1, failed: 0, goals: 1, holdout: 0 });
        expect(st.nodes.start).toMatchObject({ entered: 2 });
        expect(st.nodes.pause).toMatchObject({ entered: 2, passed: 2, waiting: 0 });
        expect(st.nodes.vip).toMatchObject({ entered: 2, passed: 2, branches: { yes: 1, no: 1 } });
        expect(st.nodes.code).toMatchObject({ entered: 1, passed: 1, failed: 0 });
        expect(st.nodes.bye).toMatchObject({ entered: 1 });
        expect(st.versions).toHaveLength(1);

        const timeline = await h.get(`${api}/profiles/${vip}/timeline?limit=100`);
        expect(timeline.status, timeline.text).toBe(200);
        expect(timeline.body.items.filter((e: any) => e.kind === 'scenario_step')).toHaveLength(11);
      });
    });

    describe('loyalty', () => {
      it('registers the member when needed; a redemption without enough points takes the failed branch', async () => {
        const h = harness();
        const programId = await program(h);
        const s = await active(h, {
          settings: { reentry: 'new_instance' },
          nodes: [
            { id: 'start', type: 'trigger.api', next: 'spend' },
            { id: 'spend', type: 'loyalty_points', config: { program_id: programId, action: 'redeem', points: 30 }, next: 'spent', branches: { failed: 'earn' } },
            { id: 'earn', type: 'loyalty_points', config: { program_id: programId, action: 'accrue', points: 40, expires_in: 'P30D' }, next: 'spend_again' },
            { id: 'spend_again', type: 'loyalty_points', config: { program_id: programId, action: 'redeem', points: 30 }, next: 'spent' },
            { id: 'spent', type: 'exit' },
          ],
        });
        const p = await profile(h);
        await launch(h, s.id, p);
        await runScenarios(h);
        const [i] = await instances(h, s.id, p);
        expect(i.history.map((x: any) => `${x.node_id}:${x.outcome}`)).toEqual([
          'start:entered',
          expect.stringMatching(/^spend:branch:failed \(insufficient-points/),
          'earn:passed',
          'spend_again:passed',
          'spent:exited',
        ]);
        const member = await h.get(`${api}/loyalty/programs/${programId}/members/${p}`);
        expect(member.body.balance).toBe(10);
        const history = await h.get(`${api}/loyalty/programs/${programId}/members/${p}/history`);
        expect(history.body.items.map((e: any) => e.points).sort((a: number, b: number) => a - b)).toEqual([-30, 40]);
        expect(i.data.loyalty_points).toBe(30);
      });
    });

    describe('lifecycle', () => {
      it('pause holds instances (a due wait goes on at resume), stop exits them, launches are refused when not active', async () => {
        const h = harness();
        const mail = await template(h);
        const s = await active(h, {
          settings: { reentry: 'new_instance' },
          nodes: [
            { id: 'start', type: 'trigger.api', next: 'w' },
            { id: 'w', type: 'wait', config: { duration: 'PT1M' }, next: 'm' },
            { id: 'm', type: 'send', config: { channel: 'email', template_id: mail } },
          ],
        });
        const p1 = await profile(h);
        const p2 = await profile(h);
        await launch(h, s.id, p1);
        await launch(h, s.id, p2);
        await runScenarios(h);
        await act(h, s.id, 'pause');
        expect((await launch(h, s.id, p1)).skipped).toBe('not-active');
        await advance(h, 120_000);
        expect(await messagesOf(h, s.id)).toHaveLength(0);
        expect((await stats(h, s.id)).nodes.w.waiting).toBe(2);
        await act(h, s.id, 'resume');
        await runScenarios(h);
        expect(await messagesOf(h, s.id)).toHaveLength(2);
        await launch(h, s.id, p1);
        await runScenarios(h);
        await act(h, s.id, 'stop');
        const st = await stats(h, s.id);
        expect(st).toMatchObject({ entered: 3, completed: 2, exited: 1, active: 0 });
        await act(h, s.id, 'resume', 422);
        expect((await launch(h, s.id, p2)).skipped).toBe('not-active');
      });

      it('a new version of an active scenario: running instances finish on theirs, new ones take the new one', async () => {
        const h = harness();
        const v1mail = await template(h, { subject: 'v1' });
        const v2mail = await template(h, { subject: 'v2' });
        const nodes = (tpl: string) => [
          { id: 'start', type: 'trigger.api', next: 'w' },
          { id: 'w', type: 'wait', config: { duration: 'PT10S' }, next: 'm' },
          { id: 'm', type: 'send', config: { channel: 'email', template_id: tpl } },
        ];
        const s = await active(h, { settings: { reentry: 'new_instance' }, nodes: nodes(v1mail) });
        const p1 = await profile(h);
        await launch(h, s.id, p1);
        await runScenarios(h);
        const put = await h.request('PUT', `${api}/scenarios/${s.id}`, { body: { name: s.name, settings: { reentry: 'new_instance' }, nodes: nodes(v2mail) } });
        expect(put.status, put.text).toBe(200);
        expect(put.body).toMatchObject({ version: 2, live_version: 2, status: 'active' });
        const bad = await h.request('PUT', `${api}/scenarios/${s.id}`, { body: { name: s.name, settings: { reentry: 'new_instance' }, nodes: [{ id: 'start', type: 'trigger.api', next: 'gone' }] } });
        expect(bad.status).toBe(422);
        expect(bad.body.type).toBe('/problems/scenario-invalid');
        const p2 = await profile(h);
        await launch(h, s.id, p2);
        await runScenarios(h);
        await advance(h, 10_000);
        const msgs = await messagesOf(h, s.id);
        expect(msgs.map((m) => [m.profile_id, m.subject]).sort()).toEqual([[p1, 'v1'], [p2, 'v2']].sort());
        const all = await instances(h, s.id);
        expect(all.map((i) => [i.profile_id, i.version]).sort()).toEqual([[p1, 1], [p2, 2]].sort());
        expect((await stats(h, s.id, 1)).completed).toBe(1);
        expect((await stats(h, s.id, 2)).completed).toBe(1);
        const versions = await h.get(`${api}/scenarios/${s.id}/versions`);
        expect(versions.body.items.map((v: any) => [v.version, v.live])).toEqual([[2, true], [1, false]]);
      });
    });
  },
  { clock: () => new VirtualClock('2026-03-02T09:00:00Z') },
);
