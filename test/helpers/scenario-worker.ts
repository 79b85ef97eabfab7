import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { sql } from 'kysely';
import { build } from 'vite';
import { expect } from 'vitest';
import type { Harness } from './harness.js';

const root = join(import.meta.dirname, '..', '..');

/**
 * Builds the counting worker (src/bench/scenario-worker.ts) from the sources into a folder of the calling
 * test's own, as one file: a worker started from it is ready in about a second.
 */
export async function buildScenarioWorker(): Promise<{ main: string; remove(): Promise<void> }> {
  const outDir = join(root, 'node_modules', '.cache', `retenta-scenario-worker-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  await build({ configFile: false, logLevel: 'silent', build: { ssr: join(root, 'src/bench/scenario-worker.ts'), outDir, emptyOutDir: true, target: 'node20', minify: false } });
  return { main: join(outDir, 'scenario-worker.js'), remove: () => rm(outDir, { recursive: true, force: true }) };
}

/** A worker process on a test's database, started from a built worker (see buildScenarioWorker). */
export interface ScenarioWorker {
  child: ChildProcess;
  /** Resolves once the worker's loop runs. */
  ready: Promise<void>;
  /** Instance steps it claimed and committed, as it last reported them. */
  stepped(): number;
  /** Resolves with its final count after a SIGTERM drain (rejects if it dies otherwise). */
  final: Promise<number>;
  exited: Promise<void>;
}

export function startScenarioWorker(main: string, databaseUrl: string, env: Record<string, string> = {}): ScenarioWorker {
  const child = spawn(process.execPath, [main], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: databaseUrl, RETENTA_ROLE: 'worker', LOG_LEVEL: 'silent', DATABASE_POOL_SIZE: '4', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stepped = 0;
  let onReady: () => void = () => undefined;
  let onFinal: (n: number) => void = () => undefined;
  const ready = new Promise<void>((r) => (onReady = r));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const final = new Promise<number>((resolve, reject) => {
    onFinal = resolve;
    child.once('exit', (code, signal) => reject(new Error(`worker ${child.pid} exited (${signal ?? code}) without a final count`)));
  });
  final.catch(() => undefined);
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let m: { ready?: boolean; stepped?: number; final?: boolean };
    try {
      m = JSON.parse(line);
    } catch {
      return;
    }
    if (m.ready) onReady();
    if (typeof m.stepped === 'number') stepped = m.stepped;
    if (m.final) onFinal(stepped);
  });
  const readyOrDead = Promise.race([
    ready,
    exited.then(() => {
      throw new Error(`worker ${child.pid} exited before it was ready`);
    }),
  ]);
  return { child, ready: readyOrDead, stepped: () => stepped, final, exited };
}

export async function poll<T>(probe: () => Promise<T | null>, ms: number, what: string, every = 20): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== null) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

// ---------------------------------------------------------------------------------------------------
// The journey the multi-process tests run, and the exact counts they check.

/** trigger.api → wait PT1S → send (email, no channel set up: the built-in outbox) → completed. */
export const WAIT_SEND_NODES = (templateId: string) => [
  { id: 'start', type: 'trigger.api', next: 'pause' },
  { id: 'pause', type: 'wait', config: { duration: 'PT1S' }, next: 'mail' },
  { id: 'mail', type: 'send', config: { channel: 'email', template_id: templateId } },
];

/** The history every instance of WAIT_SEND_NODES has at the end, in order: each node once (a wait writes `waiting`, then its outcome). */
export const EXPECTED_HISTORY = ['start:entered', 'pause:waiting', 'pause:passed', 'mail:passed', 'mail:completed'];

/** Step transactions per instance: the launch's enter (start → wait) and the wake (wait → send → completed). */
export const STEPS_PER_INSTANCE = 2;

export async function scenarioCounts(h: Harness, scenarioId: string) {
  const r = await sql<{ completed: number; messages: number; message_instances: number; completed_history: number }>`
    SELECT
      (SELECT count(*)::int FROM scenario_instances WHERE scenario_id = ${scenarioId} AND status = 'completed') AS completed,
      (SELECT count(*)::int FROM messages WHERE scenario_id = ${scenarioId}) AS messages,
      (SELECT count(DISTINCT instance_id)::int FROM messages WHERE scenario_id = ${scenarioId}) AS message_instances,
      (SELECT count(*)::int FROM scenario_history WHERE scenario_id = ${scenarioId} AND outcome = 'completed') AS completed_history`.execute(h.ctx.db);
  const x = r.rows[0];
  return { completed: x.completed, messages: x.messages, messageInstances: x.message_instances, completedHistory: x.completed_history };
}

/** Every instance completed with one step per transaction counted, one message each, and its whole history exactly once. */
export async function expectEachStepOnce(h: Harness, scenarioId: string, instances: number): Promise<void> {
  const db = h.ctx.db;
  const byStatus = await sql<{ status: string; steps: number; n: number }>`
    SELECT status, steps, count(*)::int AS n FROM scenario_instances WHERE scenario_id = ${scenarioId} GROUP BY 1, 2`.execute(db);
  expect(byStatus.rows).toEqual([{ status: 'completed', steps: STEPS_PER_INSTANCE, n: instances }]);

  const msgs = await sql<{ messages: number; instances: number; sent: number; right: number }>`
    SELECT count(*)::int AS messages, count(DISTINCT m.instance_id)::int AS instances,
      count(*) FILTER (WHERE m.status = 'sent')::int AS sent,
      count(*) FILTER (WHERE m.node_id = 'mail' AND m.scenario_version = 1 AND m.profile_id = i.profile_id)::int AS right
    FROM messages m JOIN scenario_instances i ON i.id = m.instance_id
    WHERE m.scenario_id = ${scenarioId}`.execute(db);
  expect(msgs.rows[0]).toEqual({ messages: instances, instances, sent: instances, right: instances });
  const twice = await sql<{ instance_id: string; n: number }>`
    SELECT instance_id, count(*)::int AS n FROM messages WHERE scenario_id = ${scenarioId} GROUP BY 1 HAVING count(*) > 1 LIMIT 5`.execute(db);
  expect(twice.rows).toEqual([]);
  const all = await sql<{ n: number }>`SELECT count(*)::int AS n FROM messages WHERE scenario_id = ${scenarioId} OR instance_id IN (SELECT id FROM scenario_instances WHERE scenario_id = ${scenarioId})`.execute(db);
  expect(all.rows[0].n).toBe(instances);

  const histories = await sql<{ seq: string; n: number }>`
    SELECT seq, count(*)::int AS n FROM (
      SELECT instance_id, string_agg(node_id || ':' || outcome, ',' ORDER BY id) AS seq
      FROM scenario_history WHERE scenario_id = ${scenarioId} GROUP BY instance_id
    ) x GROUP BY seq`.execute(db);
  expect(histories.rows).toEqual([{ seq: EXPECTED_HISTORY.join(','), n: instances }]);
}
