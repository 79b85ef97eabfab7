import { sql } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/domain/clock.js';
import { WorkLoop, type WorkTask } from '../../src/engine/work-loop.js';
import { openDatabase, type Database, type Db } from '../../src/store/db.js';
import { createServerDatabase, postgresTarget, requireServices } from '../helpers/databases.js';

const log = pino({ level: 'silent' });

/** A queue task like the engines' own: claim due rows under SKIP LOCKED, mark them done by this worker. */
function queueTask(db: Db, worker: string, handledBy: Map<number, string[]>, slowMs = 0): WorkTask {
  return {
    name: 'queue',
    batchSize: 20,
    idleMs: 60_000,
    async run(limit) {
      return db.transaction().execute(async (tx) => {
        const rows = await sql<{ id: number }>`
          SELECT id FROM work_queue WHERE done_by IS NULL ORDER BY id LIMIT ${limit} FOR UPDATE SKIP LOCKED`.execute(tx);
        if (slowMs) await new Promise((r) => setTimeout(r, slowMs));
        for (const r of rows.rows) {
          await sql`UPDATE work_queue SET done_by = ${worker} WHERE id = ${r.id}`.execute(tx);
          handledBy.set(r.id, [...(handledBy.get(r.id) ?? []), worker]);
        }
        return rows.rows.length;
      });
    },
  };
}

async function waitFor(cond: () => Promise<boolean> | boolean, ms = 45_000) {
  const until = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('work loop [pglite]', () => {
  it('wakes on new work at once instead of waiting for its idle timer, and drains on stop', async () => {
    const database = await openDatabase({ dataDir: null });
    await sql`CREATE TABLE work_queue (id serial PRIMARY KEY, done_by text)`.execute(database.db);
    const handled = new Map<number, string[]>();
    const loop = new WorkLoop(database, systemClock, log);
    loop.add(queueTask(database.db, 'w1', handled, 30));
    await loop.start();
    await sql`INSERT INTO work_queue (done_by) SELECT NULL FROM generate_series(1, 45)`.execute(database.db);
    const t0 = Date.now();
    await loop.announce('queue');
    await waitFor(() => handled.size === 45);
    expect(Date.now() - t0).toBeLessThan(45_000); // the idle timer is 60 s
    await sql`INSERT INTO work_queue (done_by) SELECT NULL FROM generate_series(1, 5)`.execute(database.db);
    loop.wake('queue');
    await loop.stop();
    // a batch already claimed when stop was called is finished, not abandoned
    const left = await sql<{ n: number }>`SELECT count(*)::int AS n FROM work_queue WHERE done_by IS NULL`.execute(database.db);
    expect([0, 5]).toContain(left.rows[0].n);
    expect([...handled.values()].every((w) => w.length === 1)).toBe(true);
    await database.close();
  });
});

const pgDescribe = postgresTarget.available || requireServices ? describe : describe.skip;
if (!postgresTarget.available && !requireServices) console.warn(`skipping "work loop across processes": ${postgresTarget.reason}`);
pgDescribe('work loop across processes [postgres]', () => {
  let url: string;
  let drop: () => Promise<void>;
  const dbs: Database[] = [];
  beforeAll(async () => {
    ({ url, drop } = await createServerDatabase());
    const a = await openDatabase({ databaseUrl: url, poolSize: 4 });
    await sql`CREATE TABLE work_queue (id serial PRIMARY KEY, done_by text)`.execute(a.db);
    dbs.push(a, await openDatabase({ databaseUrl: url, poolSize: 4 }), await openDatabase({ databaseUrl: url, poolSize: 2 }));
  });
  afterAll(async () => {
    for (const d of dbs) await d.close();
    await drop?.();
  });

  it('shares due rows between workers under SKIP LOCKED, each row once, woken by NOTIFY from another process', async () => {
    const handled = new Map<number, string[]>();
    const [a, b, producer] = dbs;
    const loops = [new WorkLoop(a, systemClock, log), new WorkLoop(b, systemClock, log)];
    loops[0].add(queueTask(a.db, 'a', handled, 15));
    loops[1].add(queueTask(b.db, 'b', handled, 15));
    for (const l of loops) await l.start();
    await sql`INSERT INTO work_queue (done_by) SELECT NULL FROM generate_series(1, 400)`.execute(producer.db);
    // the producer has no loop of its own: only the notification can wake the workers before their 60 s idle
    const t0 = Date.now();
    await producer.notify('retenta_work', 'queue');
    await waitFor(() => handled.size === 400);
    expect(Date.now() - t0).toBeLessThan(45_000); // the idle timer is 60 s
    for (const l of loops) await l.stop();
    expect([...handled.values()].every((w) => w.length === 1)).toBe(true);
    const by = (w: string) => [...handled.values()].filter((x) => x[0] === w).length;
    expect(by('a')).toBeGreaterThan(0);
    expect(by('b')).toBeGreaterThan(0);
    const rows = await sql<{ n: number }>`SELECT count(*)::int AS n FROM work_queue WHERE done_by IS NULL`.execute(producer.db);
    expect(rows.rows[0].n).toBe(0);
  });
});
