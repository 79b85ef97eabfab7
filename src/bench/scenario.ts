import { spawn, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import type { Db } from '../store/db.js';
import { benchApp, BENCH_TOKEN, percentile, type Bench, type BenchContext } from './harness.js';

/** Instances of the throughput run (launched 10,000 a call). */
const LAUNCHED = 100_000;
const LAUNCH_BATCH = 10_000;
/** Waiting instances of the timer run; TIMERS_DUE of them fall due over SPREAD_MS, the rest a day later. */
const WAITING = 1_000_000;
const TIMERS_DUE = Number(process.env.BENCH_TIMERS_DUE ?? 60_000);
const SPREAD_MS = 60_000;
/** Timer lateness seen from outside: instances of the timer run polled for their step. */
const SAMPLE = 2_000;
/** The event run: events per second, for EVENT_SECONDS. */
const EVENT_RATE = Number(process.env.BENCH_EVENT_RATE ?? 2_000);
const EVENT_SECONDS = 10;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (msg: string) => process.stderr.write(`[scenario] ${msg}\n`);
const load1 = () => loadavg()[0];

interface Worker {
  child: ChildProcess;
  stepped: number;
  final: Promise<number>;
}

/** Counting worker processes (scenario-worker.ts) on the bench database; resolves once each one's loop runs. */
async function startWorkers(n: number, databaseUrl: string): Promise<Worker[]> {
  const main = fileURLToPath(new URL('./scenario-worker.js', import.meta.url));
  return Promise.all(
    Array.from({ length: n }, () => {
      const child = spawn(process.execPath, [main], {
        env: { ...process.env, DATABASE_URL: databaseUrl, RETENTA_ROLE: 'worker', LOG_LEVEL: 'warn', DATABASE_POOL_SIZE: '8' },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let onFinal: (n: number) => void = () => undefined;
      const w: Worker = { child, stepped: 0, final: new Promise<number>((r) => (onFinal = r)) };
      child.once('exit', () => onFinal(w.stepped));
      return new Promise<Worker>((resolve, reject) => {
        createInterface({ input: child.stdout! }).on('line', (line) => {
          try {
            const m = JSON.parse(line) as { ready?: boolean; stepped?: number; final?: boolean };
            if (typeof m.stepped === 'number') w.stepped = m.stepped;
            if (m.final) onFinal(w.stepped);
            if (m.ready) resolve(w);
          } catch {
            // not one of its lines
          }
        });
        child.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
      });
    }),
  );
}

async function stopWorkers(workers: Worker[]): Promise<number[]> {
  for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGTERM');
  return Promise.all(workers.map((w) => w.final));
}

interface Api {
  post(path: string, body?: unknown): Promise<any>;
}

function apiAt(url: string): Api {
  const headers = { authorization: `Bearer ${BENCH_TOKEN}`, 'content-type': 'application/json' };
  return {
    async post(path, body) {
      const r = await fetch(`${url}/api/v1${path}`, { method: 'POST', headers, body: JSON.stringify(body ?? {}) });
      const json = await r.json();
      if (!r.ok) throw new Error(`${path}: ${r.status} ${JSON.stringify(json)}`);
      return json;
    },
  };
}

async function activeScenario(api: Api, name: string, settings: Record<string, unknown>, nodes: unknown[]): Promise<string> {
  const s = await api.post('/scenarios', { name, settings, nodes });
  await api.post(`/scenarios/${s.id}/activate`);
  return s.id;
}

async function count(db: Db, q: ReturnType<typeof sql<{ n: number }>>): Promise<number> {
  return (await q.execute(db)).rows[0].n;
}

const statusCount = (db: Db, scenarioId: string, status: string) =>
  count(db, sql<{ n: number }>`SELECT count(*)::int AS n FROM scenario_instances WHERE scenario_id = ${scenarioId} AND status = ${status}`);

/**
 * (a) Throughput: `launched` instances through launch_batch (10,000 a call), each running wait PT1S →
 * condition (a profile field) → promo_code (the next free code of a pool filled beforehand) → send (email, to the outbox) →
 * completed, timed from the first launch until every one is completed, on `workers` worker processes.
 */
async function throughputRun(b: BenchContext, db: Db, api: Api, databaseUrl: string, workers: number, profileIds: string[], template: string, withCode = true): Promise<number> {
  const prefix = withCode ? 'throughput' : 'throughput_without_code';
  const pool = withCode ? await api.post('/promo/pools', {
    name: `bench-pool-${workers}`,
    template_name: `bench_pool_${workers}_${Date.now()}`,
    generator: { template: '{upstring 8}-{number 4}' },
    valid_from: '2020-01-01T00:00:00Z',
    valid_to: '2099-01-01T00:00:00Z',
  }) : null;
  if (pool) {
    // Codes made beforehand, as a shop loads a pool: each promo_code step takes the next free one. (Generating on
    // issue counts the pool's codes at every issue, a cost that grows with the pool: not what this measures.)
    const g0 = performance.now();
    await api.post(`/promo/pools/${pool.id}/generate`, { count: profileIds.length });
    b.report(`${prefix}_${workers}_pool_generate_seconds`, (performance.now() - g0) / 1000, 's');
  }
  const id = await activeScenario(api, `bench ${prefix} ${workers}`, { reentry: 'once' }, [
    { id: 'start', type: 'trigger.api', next: 'pause' },
    { id: 'pause', type: 'wait', config: { duration: 'PT1S' }, next: 'berlin' },
    { id: 'berlin', type: 'condition', config: { conditions: { field: 'fields.city', op: 'eq', value: 'Berlin' } }, branches: { yes: withCode ? 'code' : 'mail', no: 'bye' } },
    ...(withCode ? [{ id: 'code', type: 'promo_code', config: { pool_id: pool!.id }, next: 'mail' }] : []),
    { id: 'mail', type: 'send', config: { channel: 'email', template_id: template } },
    { id: 'bye', type: 'exit' },
  ]);
  const ws = await startWorkers(workers, databaseUrl);
  log(`${prefix}: ${workers} worker(s) running, load ${load1().toFixed(2)}`);
  const loadBefore = load1();
  const n = profileIds.length;
  try {
    const t0 = performance.now();
    for (let i = 0; i < n; i += LAUNCH_BATCH) {
      const r = await api.post(`/scenarios/${id}/launch_batch`, { launches: profileIds.slice(i, i + LAUNCH_BATCH).map((p) => ({ profile: { id: p } })) });
      const bad = (r.results as { instance_id?: string; skipped?: string; error?: string }[]).filter((x) => !x.instance_id || x.skipped || x.error);
      if (bad.length) throw new Error(`launch_batch: ${bad.length} not launched, e.g. ${JSON.stringify(bad[0])}`);
    }
    const launched = performance.now();
    log(`${prefix}: ${n} launched in ${((launched - t0) / 1000).toFixed(1)} s`);
    let last = 0;
    for (;;) {
      await sleep(250);
      const done = await statusCount(db, id, 'completed');
      const failed = await statusCount(db, id, 'failed');
      if (failed) throw new Error(`${failed} instances failed`);
      if (done === n) break;
      if (performance.now() - last > 5_000) {
        last = performance.now();
        log(`${prefix}: ${done} of ${n} completed after ${((last - t0) / 1000).toFixed(0)} s, load ${load1().toFixed(2)}`);
      }
    }
    const t1 = performance.now();
    const seconds = (t1 - t0) / 1000;
    const messages = await count(db, sql<{ n: number }>`SELECT count(*)::int AS n FROM messages WHERE scenario_id = ${id}`);
    if (messages !== n) throw new Error(`${messages} messages for ${n} instances`);
    const steps = await stopWorkers(ws);
    const key = `${workers}_worker${workers > 1 ? 's' : ''}`;
    b.report(`${prefix}_${key}_launch_seconds`, (launched - t0) / 1000, 's');
    b.report(`${prefix}_${key}_seconds`, seconds, 's');
    b.report(`${prefix}_${key}_instances_per_second`, n / seconds, 'instances/s');
    steps.forEach((s, k) => b.report(`${prefix}_${key}_worker${k + 1}_steps`, s, 'steps'));
    b.report(`${prefix}_${key}_load_before`, loadBefore, '');
    b.report(`${prefix}_${key}_load_after`, load1(), '');
    return seconds;
  } finally {
    await stopWorkers(ws);
  }
}

/**
 * (b) Timer lateness: `waiting` instances already at a wait (written straight into the table for the setup,
 * as the step of a launch would leave them): `due` of them fall due evenly over 60 s, the others a day later;
 * two workers step the due ones (wait → exit) with all the others waiting in the same table.
 * Lateness = the time the step ran (its history entry) minus wake_at, over every due instance; and, seen from
 * outside, the time a sample of instances is seen stepped by a poller minus their wake_at.
 */
async function timerRun(b: BenchContext, db: Db, api: Api, databaseUrl: string, waiting: number, due: number, profileCount: number, profileInsertMs: number) {
  const id = await activeScenario(api, 'bench timers', { reentry: 'new_instance' }, [
    { id: 'start', type: 'trigger.api', next: 'pause' },
    { id: 'pause', type: 'wait', config: { duration: 'PT1M' }, next: 'bye' },
    { id: 'bye', type: 'exit' },
  ]);
  // the rows must all be written before the first is due: lead time from how long the profiles took
  const leadMs = Math.round(10_000 + 2 * profileInsertMs * (waiting / profileCount));
  const base = new Date(Date.now() + leadMs);
  const t = performance.now();
  await sql`
    INSERT INTO scenario_instances (id, scenario_id, version, profile_id, status, node_id, data, state, wake_at, steps, entered_at, updated_at)
    SELECT md5('timer' || i)::uuid, ${id}::uuid, 1, md5('p' || (i % ${profileCount}))::uuid, 'waiting', 'pause',
      jsonb_build_object('i', i), '{"awaiting": null, "pending": null, "goal_reached_at": null}'::jsonb,
      CASE WHEN i < ${due} THEN ${base}::timestamptz + make_interval(secs => (i * ${SPREAD_MS / 1000}::float8 / ${due}))
        ELSE ${base}::timestamptz + interval '1 day' + make_interval(secs => i / 1000.0) END, 1, now(), now()
    FROM generate_series(0, ${waiting - 1}) AS i`.execute(db);
  await sql`ANALYZE scenario_instances`.execute(db);
  const insertMs = performance.now() - t;
  b.report('timers_insert_seconds', insertMs / 1000, 's');
  log(`timers: ${waiting} waiting instances written in ${(insertMs / 1000).toFixed(1)} s; first due in ${((base.getTime() - Date.now()) / 1000).toFixed(1)} s`);
  if (Date.now() > base.getTime() - 2_000) log('timers: the setup took longer than its lead time; the first timers are late before any worker runs');

  const ws = await startWorkers(2, databaseUrl);
  const loadBefore = load1();
  try {
    // the poller: when each sampled instance is first seen past its wait
    const sample = Array.from({ length: Math.min(SAMPLE, due) }, (_, k) => Math.floor((k * due) / Math.min(SAMPLE, due)));
    const wakeOf = (i: number) => base.getTime() + (i * SPREAD_MS) / due;
    const sampleIds = await sql<{ id: string; i: number }>`SELECT md5('timer' || i)::uuid::text AS id, i FROM unnest(${sql.val(sample)}::int[]) AS i`.execute(db);
    const pendingIds = new Map(sampleIds.rows.map((r) => [r.id, Number(r.i)]));
    const seen: number[] = [];
    const deadline = base.getTime() + SPREAD_MS + 900_000;
    let last = 0;
    for (;;) {
      await sleep(100);
      if (pendingIds.size) {
        const now = Date.now();
        const r = await sql<{ id: string }>`
          SELECT id::text FROM scenario_instances WHERE id = ANY(${sql.val([...pendingIds.keys()])}::uuid[]) AND status <> 'waiting'`.execute(db);
        for (const x of r.rows) {
          seen.push(now - wakeOf(pendingIds.get(x.id)!));
          pendingIds.delete(x.id);
        }
      }
      if (Date.now() > base.getTime() + SPREAD_MS && !pendingIds.size) {
        const left = await count(db, sql<{ n: number }>`
          SELECT count(*)::int AS n FROM scenario_instances WHERE scenario_id = ${id} AND status = 'waiting' AND wake_at <= ${new Date(base.getTime() + SPREAD_MS)}`);
        if (!left) break;
        if (Date.now() > deadline) throw new Error(`${left} timers still waiting ${((Date.now() - base.getTime()) / 1000).toFixed(0)} s after the first was due`);
      }
      if (Date.now() - last > 5_000) {
        last = Date.now();
        log(`timers: ${((Date.now() - base.getTime()) / 1000).toFixed(0)} s after the first was due, load ${load1().toFixed(2)}`);
      }
    }
    const end = Date.now();
    const lateness = await sql<{ p50: number; p99: number; max: number; n: number }>`
      SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY late) AS p50, percentile_disc(0.99) WITHIN GROUP (ORDER BY late) AS p99,
        max(late) AS max, count(*)::int AS n
      FROM (
        SELECT extract(epoch FROM h.at - (${base}::timestamptz + make_interval(secs => ((i.data ->> 'i')::int * ${SPREAD_MS / 1000}::float8 / ${due})))) * 1000 AS late
        FROM scenario_history h JOIN scenario_instances i ON i.id = h.instance_id
        WHERE h.scenario_id = ${id} AND h.node_id = 'pause' AND h.outcome = 'passed' AND (i.data ->> 'i')::int < ${due}
      ) x`.execute(db);
    const l = lateness.rows[0];
    if (l.n !== due) throw new Error(`${l.n} of ${due} due timers stepped`);
    const steps = await stopWorkers(ws);
    seen.sort((x, y) => x - y);
    b.report('timers_waiting_instances', waiting, 'instances');
    b.report('timers_due', due, 'instances');
    b.report('timers_due_per_second', due / (SPREAD_MS / 1000), 'timers/s');
    b.report('timers_lateness_p50', Number(l.p50), 'ms');
    b.report('timers_lateness_p99', Number(l.p99), 'ms');
    b.report('timers_lateness_max', Number(l.max), 'ms');
    b.report('timers_seen_stepped_lateness_p50', percentile(seen, 50), 'ms');
    b.report('timers_seen_stepped_lateness_p99', percentile(seen, 99), 'ms');
    b.report('timers_last_stepped_after_last_due', (end - (base.getTime() + SPREAD_MS)) / 1000, 's');
    steps.forEach((s, k) => b.report(`timers_worker${k + 1}_steps`, s, 'steps'));
    b.report('timers_load_before', loadBefore, '');
    b.report('timers_load_after', load1(), '');
  } finally {
    await stopWorkers(ws);
  }
}

/**
 * (c) Event → send: a scenario started by an event (trigger.event → send to the outbox); events posted at a
 * steady rate (`POST /events/batch`, the events of each 10 ms in one request) to distinct profiles; latency =
 * the message's created_at minus the event's received_at, on two workers.
 */
async function eventRun(b: BenchContext, db: Db, api: Api, databaseUrl: string, profileIds: string[], template: string, seconds: number) {
  const id = await activeScenario(api, 'bench events', { reentry: 'new_instance' }, [
    { id: 'start', type: 'trigger.event', config: { event: 'bench_ping' }, next: 'mail' },
    { id: 'mail', type: 'send', config: { channel: 'email', template_id: template } },
  ]);
  const ws = await startWorkers(2, databaseUrl);
  await sleep(2_500); // every process's registry has seen the new scenario (refreshed at least every 2 s)
  const loadBefore = load1();
  try {
    const total = Math.round(EVENT_RATE * seconds);
    let sent = 0;
    let inFlight = 0;
    let failures = 0;
    const t0 = performance.now();
    const posts: Promise<void>[] = [];
    while (sent < total) {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * EVENT_RATE));
      if (due > sent && inFlight < 32) {
        const events = [];
        for (let k = sent; k < due && events.length < 1000; k++) events.push({ profile: { id: profileIds[k % profileIds.length] }, name: 'bench_ping', properties: { k } });
        sent += events.length;
        inFlight++;
        posts.push(
          api
            .post('/events/batch', { events })
            .then(
              (r) => void (failures += (r.rejected?.length ?? 0) as number),
              () => void (failures += events.length),
            )
            .finally(() => inFlight--),
        );
      }
      await sleep(10);
    }
    await Promise.all(posts);
    const postedIn = (performance.now() - t0) / 1000;
    if (failures) throw new Error(`${failures} events were not accepted`);
    log(`events: ${total} posted in ${postedIn.toFixed(1)} s, load ${load1().toFixed(2)}`);
    const deadline = Date.now() + 120_000;
    for (;;) {
      const n = await count(db, sql<{ n: number }>`SELECT count(*)::int AS n FROM messages WHERE scenario_id = ${id}`);
      if (n >= total) break;
      if (Date.now() > deadline) throw new Error(`${n} of ${total} messages after 120 s`);
      await sleep(200);
    }
    const latency = await sql<{ p50: number; p99: number; max: number; n: number; start_p50: number; start_p99: number; step_p50: number; step_p99: number }>`
      SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY ms) AS p50, percentile_disc(0.99) WITHIN GROUP (ORDER BY ms) AS p99, max(ms) AS max, count(*)::int AS n,
        percentile_disc(0.5) WITHIN GROUP (ORDER BY start_ms) AS start_p50, percentile_disc(0.99) WITHIN GROUP (ORDER BY start_ms) AS start_p99,
        percentile_disc(0.5) WITHIN GROUP (ORDER BY step_ms) AS step_p50, percentile_disc(0.99) WITHIN GROUP (ORDER BY step_ms) AS step_p99
      FROM (
        SELECT extract(epoch FROM m.created_at - e.received_at) * 1000 AS ms,
          extract(epoch FROM i.entered_at - e.received_at) * 1000 AS start_ms,
          extract(epoch FROM m.created_at - i.entered_at) * 1000 AS step_ms
        FROM messages m
        JOIN scenario_instances i ON i.id = m.instance_id
        JOIN events e ON e.profile_id = i.profile_id AND e.name = 'bench_ping' AND e.properties -> 'k' = i.data -> 'event' -> 'properties' -> 'k'
        WHERE m.scenario_id = ${id}
      ) x`.execute(db);
    const l = latency.rows[0];
    if (l.n !== total) throw new Error(`${l.n} of ${total} messages matched to their events`);
    const steps = await stopWorkers(ws);
    b.report('events_posted', total, 'events');
    b.report('events_rate_achieved', total / postedIn, 'events/s');
    b.report('event_to_send_p50', Number(l.p50), 'ms');
    b.report('event_to_send_p99', Number(l.p99), 'ms');
    b.report('event_to_send_max', Number(l.max), 'ms');
    // the two legs: event stored → instance started (the event task), instance started → message written (the step task)
    b.report('event_to_start_p50', Number(l.start_p50), 'ms');
    b.report('event_to_start_p99', Number(l.start_p99), 'ms');
    b.report('start_to_send_p50', Number(l.step_p50), 'ms');
    b.report('start_to_send_p99', Number(l.step_p99), 'ms');
    steps.forEach((s, k) => b.report(`events_worker${k + 1}_steps`, s, 'steps'));
    b.report('events_load_before', loadBefore, '');
    b.report('events_load_after', load1(), '');
  } finally {
    await stopWorkers(ws);
  }
}

/**
 * The scenario runtime under load, on an API process (this one) and separate worker processes on one
 * PostgreSQL: (a) 100,000 instances launched through launch_batch and run to completion on 2 workers, then on
 * 1 (the ratio is the gain of the second worker); (b) timer lateness with 1,000,000 waiting instances, of
 * which 60,000 fall due over 60 s (`BENCH_TIMERS_DUE`; the same number as waiting makes it a throughput run); (c) event → send latency at 2,000 events/s. `--scale` multiplies the volumes (and the event
 * run's length); `BENCH_PARTS=a,b,c` picks parts (`a0`: part a without its promo_code step);
 * `BENCH_EVENT_RATE` changes the event rate.
 */
export const scenarioBench: Bench = async (b) => {
  if (b.db !== 'postgres') throw new Error('the scenario bench needs --db postgres: its worker processes share one database');
  const scale = b.scale ?? 1;
  const parts = new Set((process.env.BENCH_PARTS ?? 'a,b,c').split(',').map((x) => x.trim()));
  const launched = Math.max(1_000, Math.round(LAUNCHED * scale));
  const waiting = Math.max(1_000, Math.round(WAITING * scale));
  const due = Math.min(waiting, Math.max(1_000, Math.round(TIMERS_DUE * scale)));
  const eventSeconds = Math.max(2, EVENT_SECONDS * Math.min(1, scale));
  const profileCount = Math.max(launched, Math.round(EVENT_RATE * eventSeconds));
  const { app, url, databaseUrl, close } = await benchApp(b.db, { role: 'api' });
  const interrupted = () => void close().finally(() => process.exit(130));
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    const db = app.ctx.db;
    const api = apiAt(url);
    b.report('load_average_start', load1(), '');
    const t = performance.now();
    const now = new Date();
    await sql`
      INSERT INTO profiles (id, email, email_norm, fields, subscriptions, created_at, updated_at)
      SELECT md5('p' || i)::uuid, 'user' || i || '@example.com', 'user' || i || '@example.com',
        jsonb_build_object('city', 'Berlin', 'first_name', 'name' || i), '{"email": "subscribed"}'::jsonb, ${now}, ${now}
      FROM generate_series(0, ${profileCount - 1}) AS i`.execute(db);
    await sql`VACUUM ANALYZE profiles`.execute(db);
    const profileInsertMs = performance.now() - t;
    const ids = (await sql<{ id: string }>`SELECT md5('p' || i)::uuid::text AS id FROM generate_series(0, ${profileCount - 1}) AS i`.execute(db)).rows.map((r) => r.id);
    log(`${profileCount} profiles in ${(profileInsertMs / 1000).toFixed(1)} s`);
    const template = await api.post('/templates', { name: 'bench-scenario-mail', channel: 'email', subject: 'Hello {{ profile.fields.first_name }}', body: '<p>Your code: {{ data.promo_code }}</p>' });

    if (parts.has('a') || parts.has('a0')) {
      // warm-up, not reported: the API process, the workers' code and the database see the journey once
      await throughputRun({ ...b, report: () => undefined }, db, api, databaseUrl!, 1, ids.slice(0, Math.min(2_000, launched)), template.id, false);
    }
    if (parts.has('a')) {
      const two = await throughputRun(b, db, api, databaseUrl!, 2, ids.slice(0, launched), template.id);
      const one = await throughputRun(b, db, api, databaseUrl!, 1, ids.slice(0, launched), template.id);
      b.report('throughput_instances', launched, 'instances');
      b.report('throughput_ratio_2_to_1_workers', one / two, 'x');
    }
    if (parts.has('a0')) {
      // the same journey without its promo_code step: what the scenario runtime costs apart from the pool
      const two = await throughputRun(b, db, api, databaseUrl!, 2, ids.slice(0, launched), template.id, false);
      const one = await throughputRun(b, db, api, databaseUrl!, 1, ids.slice(0, launched), template.id, false);
      b.report('throughput_without_code_ratio_2_to_1_workers', one / two, 'x');
    }
    if (parts.has('b')) await timerRun(b, db, api, databaseUrl!, waiting, due, profileCount, profileInsertMs);
    if (parts.has('c')) await eventRun(b, db, api, databaseUrl!, ids, template.id, eventSeconds);
    b.report('load_average_end', load1(), '');
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    await close();
  }
};
