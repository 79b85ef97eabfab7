import type { Logger } from 'pino';
import type { Clock } from '../domain/clock.js';
import type { Database } from '../store/db.js';

/**
 * A kind of due work. `run` claims up to `limit` due rows (FOR UPDATE SKIP LOCKED, in its own
 * transaction), handles them and returns how many it handled. A full batch runs again at once; otherwise
 * the task sleeps until it is woken or `idleMs` passes (the upper bound for time-based work).
 */
export interface WorkTask {
  name: string;
  batchSize: number;
  idleMs: number;
  run(limit: number, now: Date): Promise<number>;
}

export const WORK_CHANNEL = 'retenta_work';

interface TaskState {
  task: WorkTask;
  wake: (() => void) | null;
  pending: boolean;
  running: Promise<void> | null;
}

/**
 * The loop every worker process runs. Several processes against one PostgreSQL share the work through
 * row locks; a new row wakes the loop in-process at once, and other processes through LISTEN/NOTIFY.
 */
export class WorkLoop {
  private tasks = new Map<string, TaskState>();
  private stopping = false;
  private started = false;
  private unlisten: (() => Promise<void>) | null = null;

  constructor(
    private database: Database,
    private clock: Clock,
    private log: Logger,
  ) {}

  add(task: WorkTask): void {
    this.tasks.set(task.name, { task, wake: null, pending: false, running: null });
  }

  /** Wakes a task in this process. */
  wake(name: string): void {
    const s = this.tasks.get(name);
    if (!s) return;
    s.pending = true;
    s.wake?.();
  }

  /** Wakes a task in every process attached to the database. */
  async announce(name: string): Promise<void> {
    this.wake(name);
    await this.database.notify(WORK_CHANNEL, name);
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.unlisten = await this.database.listen(WORK_CHANNEL, (name) => this.wake(name));
    for (const s of this.tasks.values()) s.running = this.loop(s);
  }

  /** Runs one task until no due work is left: for tests on a virtual clock and for the CLI. */
  async drain(name: string): Promise<number> {
    const s = this.tasks.get(name);
    if (!s) throw new Error(`unknown task ${name}`);
    let total = 0;
    for (;;) {
      const n = await s.task.run(s.task.batchSize, this.clock.now());
      total += n;
      if (n < s.task.batchSize) return total;
    }
  }

  /** Stops taking work and waits for the batches in flight to finish (SIGTERM drain). */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const s of this.tasks.values()) s.wake?.();
    await Promise.all([...this.tasks.values()].map((s) => s.running));
    await this.unlisten?.();
  }

  private async loop(s: TaskState): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      s.pending = false;
      let handled = 0;
      try {
        handled = await s.task.run(s.task.batchSize, this.clock.now());
        failures = 0;
      } catch (err) {
        failures++;
        this.log.error({ err, task: s.task.name }, 'work task failed');
      }
      if (this.stopping) break;
      if (handled >= s.task.batchSize && failures === 0) continue;
      if (s.pending) continue;
      const delay = failures ? Math.min(30_000, 250 * 2 ** failures) : s.task.idleMs;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, delay);
        function done() {
          clearTimeout(timer);
          s.wake = null;
          resolve();
        }
        s.wake = done;
      });
    }
  }
}
