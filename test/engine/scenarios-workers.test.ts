import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/domain/clock.js';
import { importProfiles } from '../api/campaigns.helpers.js';
import { act, api, scenario, stats, template } from '../api/scenarios.helpers.js';
import { postgresTarget, requireServices } from '../helpers/databases.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import {
  buildScenarioWorker,
  expectEachStepOnce,
  poll,
  scenarioCounts,
  startScenarioWorker,
  STEPS_PER_INSTANCE,
  WAIT_SEND_NODES,
  type ScenarioWorker,
} from '../helpers/scenario-worker.js';

const INSTANCES = 10_000;

const suite = postgresTarget.available || requireServices ? describe : describe.skip;
if (!postgresTarget.available && !requireServices) console.warn(`skipping the scenario multi-worker test: ${postgresTarget.reason}`);

suite('scenarios: two worker processes on one PostgreSQL share the steps [postgres]', () => {
  let h: Harness;
  let close: () => Promise<void>;
  let worker: { main: string; remove(): Promise<void> };
  const children: ScenarioWorker[] = [];

  beforeAll(async () => {
    if (!postgresTarget.available) throw new Error(`${postgresTarget.reason}; RETENTA_TEST_REQUIRE_SERVICES=1 requires it`);
    worker = await buildScenarioWorker();
    const started = await startHarness(postgresTarget, { role: 'api', clock: systemClock });
    h = started.harness;
    close = started.close;
  });
  afterAll(async () => {
    for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
    await close?.();
    await worker?.remove();
  });

  it(`${INSTANCES} instances through two workers: every step done once, by one of them, and both did a share`, async () => {
    const profiles = await importProfiles(h, Array.from({ length: INSTANCES }, (_, i) => ({ email: `shared${i}@example.com`, city: 'Bonn' })));
    const tpl = await template(h, { subject: 'Hello', body: '<p>Hello {{ profile.email }}</p>' });
    const s = await scenario(h, { settings: { reentry: 'once' }, nodes: WAIT_SEND_NODES(tpl) });
    await act(h, s.id, 'activate');

    const workers = [startScenarioWorker(worker.main, h.url!), startScenarioWorker(worker.main, h.url!)];
    children.push(...workers);
    await Promise.all(workers.map((w) => w.ready));
    const launched = await h.post(`${api}/scenarios/${s.id}/launch_batch`, { launches: profiles.map((id) => ({ profile: { id } })) });
    expect(launched.status, launched.text).toBe(200);
    expect(launched.body.results.filter((r: any) => r.instance_id && !r.skipped && !r.error)).toHaveLength(INSTANCES);

    await poll(async () => ((await scenarioCounts(h, s.id)).completed === INSTANCES ? true : null), 90_000, 'the workers to complete every instance', 50);
    for (const w of workers) w.child.kill('SIGTERM');
    const [a, b] = await Promise.all(workers.map((w) => w.final));
    console.info(`scenario steps per worker: ${a} and ${b}`);

    await expectEachStepOnce(h, s.id, INSTANCES);
    expect((await stats(h, s.id)).completed).toBe(INSTANCES);
    // the steps each worker claimed and committed add up to exactly the steps there were: none twice, none lost
    expect(a + b).toBe(INSTANCES * STEPS_PER_INSTANCE);
    // and both took a real part of them
    expect(Math.min(a, b), `steps per worker: ${a} and ${b}`).toBeGreaterThanOrEqual(INSTANCES * STEPS_PER_INSTANCE * 0.1);
  });

  // An instance that an event starts is announced to the step task of every worker only once the transaction
  // that inserts it has committed (woken earlier, the workers would find nothing due and wait for their poll).
  it('an instance started by an event is announced to the workers only once it is committed', async () => {
    const tpl = await template(h);
    const s = await scenario(h, {
      settings: { reentry: 'new_instance' },
      nodes: [
        { id: 'start', type: 'trigger.event', config: { event: 'announce_probe' }, next: 'mail' },
        { id: 'mail', type: 'send', config: { channel: 'email', template_id: tpl } },
      ],
    });
    await act(h, s.id, 'activate');
    const [p] = await importProfiles(h, [{ email: 'announce-probe@example.com', city: 'Bonn' }]);
    const ev = await h.post(`${api}/events`, { profile: { id: p }, name: 'announce_probe', properties: {} });
    expect(ev.status, ev.text).toBe(202);
    // what another process sees when the step task is woken: the committed instances of the scenario
    const visibleAtWake: number[] = [];
    const work = h.ctx.work;
    const announce = work.announce.bind(work);
    work.announce = async (name: string) => {
      if (name === 'scenario-step') {
        const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM scenario_instances WHERE scenario_id = ${s.id}`.execute(h.ctx.db);
        visibleAtWake.push(r.rows[0].n);
      }
      return announce(name);
    };
    try {
      expect(await work.drain('scenario-events')).toBe(1);
    } finally {
      work.announce = announce;
    }
    const started = await sql<{ n: number }>`SELECT count(*)::int AS n FROM scenario_instances WHERE scenario_id = ${s.id}`.execute(h.ctx.db);
    expect(started.rows[0].n).toBe(1);
    expect(visibleAtWake.length, 'the step task was never woken').toBeGreaterThan(0);
    expect(visibleAtWake.every((n) => n === 1), `instances a worker could see at each wake: ${visibleAtWake.join(', ')}`).toBe(true);
  });
});
