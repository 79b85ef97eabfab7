import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/domain/clock.js';
import { importProfiles } from '../api/campaigns.helpers.js';
import { act, api, scenario, stats, template } from '../api/scenarios.helpers.js';
import { postgresTarget, requireServices } from '../helpers/databases.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { buildScenarioWorker, EXPECTED_HISTORY, expectEachStepOnce, poll, scenarioCounts, startScenarioWorker, WAIT_SEND_NODES, type ScenarioWorker } from '../helpers/scenario-worker.js';

const INSTANCES = 10_000;

const suite = postgresTarget.available || requireServices ? describe : describe.skip;
if (!postgresTarget.available && !requireServices) console.warn(`skipping the scenario durability test: ${postgresTarget.reason}`);

suite('scenarios: a worker SIGKILLed mid-run and restarted loses no step and sends nothing twice [postgres]', () => {
  let h: Harness;
  let close: () => Promise<void>;
  let worker: { main: string; remove(): Promise<void> };
  const children: ScenarioWorker[] = [];

  beforeAll(async () => {
    if (!postgresTarget.available) throw new Error(`${postgresTarget.reason}; RETENTA_TEST_REQUIRE_SERVICES=1 requires it`);
    worker = await buildScenarioWorker();
    // this process only serves the API: every step is taken by the worker processes
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

  it(`${INSTANCES} instances (wait PT1S, send to the outbox): killed with SIGKILL part way, restarted, each step done exactly once`, async () => {
    const profiles = await importProfiles(h, Array.from({ length: INSTANCES }, (_, i) => ({ email: `durable${i}@example.com`, city: 'Essen' })));
    const tpl = await template(h, { subject: 'Hello', body: '<p>Hello {{ profile.email }}</p>' });
    const s = await scenario(h, { settings: { reentry: 'once' }, nodes: WAIT_SEND_NODES(tpl) });
    await act(h, s.id, 'activate');

    const first = startScenarioWorker(worker.main, h.url!);
    children.push(first);
    await first.ready;
    const launched = await h.post(`${api}/scenarios/${s.id}/launch_batch`, { launches: profiles.map((id, i) => ({ profile: { id }, data: { n: i } })) });
    expect(launched.status, launched.text).toBe(200);
    expect(launched.body.results.filter((r: any) => r.instance_id && !r.skipped && !r.error)).toHaveLength(INSTANCES);

    // killed once a part of the instances has come through (and most have not)
    await poll(async () => ((await scenarioCounts(h, s.id)).completed >= INSTANCES / 10 ? true : null), 60_000, 'the first worker to complete instances', 5);
    first.child.kill('SIGKILL');
    await first.exited;
    const atKill = await scenarioCounts(h, s.id);
    console.info(`scenario instances completed when the worker was killed: ${atKill.completed} of ${INSTANCES}`);
    expect(atKill.completed, `the kill came too late to interrupt anything: ${JSON.stringify(atKill)}`).toBeLessThan(INSTANCES);
    expect(atKill.completed).toBeGreaterThan(0);
    // what the dead worker committed is whole: a message exactly for every instance past its send, none for the others
    expect(atKill.messages).toBe(atKill.completed);
    expect(atKill.messageInstances).toBe(atKill.completed);
    expect(atKill.completedHistory).toBe(atKill.completed);

    const second = startScenarioWorker(worker.main, h.url!);
    children.push(second);
    await second.ready;
    await poll(async () => ((await scenarioCounts(h, s.id)).completed === INSTANCES ? true : null), 60_000, 'the restarted worker to complete every instance', 50);
    second.child.kill('SIGTERM');
    const stepsOfSecond = await second.final;
    // the restarted worker took what was left: each instance's wake step at least for the ones not completed
    expect(stepsOfSecond).toBeGreaterThanOrEqual(INSTANCES - atKill.completed);

    await expectEachStepOnce(h, s.id, INSTANCES);
    const st = await stats(h, s.id);
    expect(st).toMatchObject({ entered: INSTANCES, active: 0, completed: INSTANCES, exited: 0, failed: 0 });
    expect(st.nodes.start).toMatchObject({ entered: INSTANCES });
    expect(st.nodes.pause).toMatchObject({ entered: INSTANCES, passed: INSTANCES, waiting: 0, failed: 0 });
    expect(st.nodes.mail).toMatchObject({ entered: INSTANCES, passed: INSTANCES, failed: 0 });
    // one instance read through the API, as a user sees it
    const one = await h.get(`${api}/scenarios/${s.id}/instances?profile=${profiles[INSTANCES - 1]}`);
    expect(one.body.items).toHaveLength(1);
    expect(one.body.items[0].history.map((x: any) => `${x.node_id}:${x.outcome}`)).toEqual(EXPECTED_HISTORY);
    expect(one.body.items[0]).toMatchObject({ status: 'completed', data: { n: INSTANCES - 1 } });
  });
});
