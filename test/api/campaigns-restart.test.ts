import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { sql } from 'kysely';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/domain/clock.js';
import { postgresTarget, requireServices } from '../helpers/databases.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { act, campaign, importProfiles, segment, template } from './campaigns.helpers.js';

const root = join(import.meta.dirname, '..', '..');
const outDir = join(root, 'node_modules', '.cache', `retenta-campaign-worker-${process.pid}`);
const PROFILES = 4000;

/** `retenta worker` as a separate process on the test's database, built from the sources into a folder of this test's own. */
function worker(databaseUrl: string): ChildProcess {
  return spawn(process.execPath, [join(outDir, 'main.js'), 'worker'], {
    env: { ...process.env, DATABASE_URL: databaseUrl, RETENTA_ROLE: 'worker', LOG_LEVEL: 'silent', DATABASE_POOL_SIZE: '4' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

const exited = (p: ChildProcess) => new Promise<void>((resolve) => (p.exitCode !== null || p.signalCode !== null ? resolve() : p.once('exit', () => resolve())));

async function poll<T>(probe: () => Promise<T | null>, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== null) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const suite = postgresTarget.available ? describe : requireServices ? describe : describe.skip;
if (!postgresTarget.available && !requireServices) console.warn(`skipping the campaign restart test: ${postgresTarget.reason}`);

suite('campaigns: a broadcast survives workers killed mid-delivery [postgres]', () => {
  let h: Harness;
  let close: () => Promise<void>;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    if (!postgresTarget.available) throw new Error(`${postgresTarget.reason}; RETENTA_TEST_REQUIRE_SERVICES=1 requires it`);
    await build({ configFile: false, logLevel: 'silent', build: { ssr: join(root, 'src/cli/main.ts'), outDir, emptyOutDir: true, target: 'node20', minify: false } });
    const started = await startHarness(postgresTarget, { role: 'api', clock: systemClock });
    h = started.harness;
    close = started.close;
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await Promise.all(children.map(exited));
    await close?.();
    const { rm } = await import('node:fs/promises');
    await rm(outDir, { recursive: true, force: true });
  });

  const counts = async (campaignId: string) => {
    const r = await sql<{ status: string; n: number }>`
      SELECT r.status, count(*)::int AS n FROM campaign_recipients r JOIN campaign_runs u ON u.id = r.run_id
      WHERE u.campaign_id = ${campaignId} GROUP BY 1`.execute(h.ctx.db);
    return Object.fromEntries(r.rows.map((x) => [x.status, x.n])) as Record<string, number>;
  };

  it('sends each recipient exactly once across SIGKILLed and restarted workers', async () => {
    await importProfiles(h, Array.from({ length: PROFILES }, (_, i) => ({ email: `restart${i}@example.com`, city: 'Essen' })));
    const seg = await segment(h, 'Essen', { field: 'fields.city', op: 'eq', value: 'Essen' });
    const tpl = await template(h);
    const c = await campaign(h, { template_id: tpl, audience: { segment_ids: [seg] } });
    await act(h, c.id, 'start');

    // one worker takes the snapshot and starts sending; it is killed in the middle of the delivery
    const first = worker(h.url!);
    children.push(first);
    const atKill = await poll(
      async () => {
        const n = await counts(c.id);
        return (n.sent ?? 0) >= 600 ? n : null;
      },
      120_000,
      'the first worker to send',
    );
    first.kill('SIGKILL');
    await exited(first);
    const afterKill = await counts(c.id);
    expect(afterKill.pending, `the kill came too late to interrupt anything: ${JSON.stringify(afterKill)}`).toBeGreaterThan(0);
    expect(afterKill.sent).toBeGreaterThanOrEqual(atKill.sent);
    // what the dead worker committed is whole: a message for every recipient marked sent, none for the others
    const written = await sql<{ n: number }>`SELECT count(*)::int AS n FROM messages WHERE campaign_id = ${c.id}`.execute(h.ctx.db);
    expect(written.rows[0].n).toBe(afterKill.sent);

    // two workers pick it up; one of them is killed as well
    const second = worker(h.url!);
    const third = worker(h.url!);
    children.push(second, third);
    await poll(async () => ((await counts(c.id)).sent ?? 0) >= afterKill.sent + 800 ? true : null, 120_000, 'the restarted workers to send');
    second.kill('SIGKILL');
    await exited(second);
    await poll(
      async () => {
        const s = await h.ctx.db.selectFrom('campaigns').select('status').where('id', '=', c.id).executeTakeFirstOrThrow();
        const q = await sql<{ n: number }>`SELECT count(*)::int AS n FROM messages WHERE campaign_id = ${c.id} AND status = 'queued'`.execute(h.ctx.db);
        return s.status === 'completed' && q.rows[0].n === 0 ? true : null;
      },
      180_000,
      'the campaign to complete',
    );
    third.kill('SIGTERM');
    await exited(third);

    expect(await counts(c.id)).toEqual({ sent: PROFILES });
    const perProfile = await sql<{ messages: number; profiles: number; most: number; sent: number }>`
      SELECT count(*)::int AS messages, count(DISTINCT profile_id)::int AS profiles,
        coalesce(max(n), 0)::int AS most, count(*) FILTER (WHERE status = 'sent')::int AS sent
      FROM (SELECT profile_id, status, count(*) OVER (PARTITION BY profile_id) AS n FROM messages WHERE campaign_id = ${c.id}) x`.execute(h.ctx.db);
    expect(perProfile.rows[0]).toEqual({ messages: PROFILES, profiles: PROFILES, most: 1, sent: PROFILES });
    const linked = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM campaign_recipients r JOIN campaign_runs u ON u.id = r.run_id JOIN messages m ON m.id = r.message_id
      WHERE u.campaign_id = ${c.id} AND m.profile_id = r.profile_id`.execute(h.ctx.db);
    expect(linked.rows[0].n).toBe(PROFILES);
  });
});
