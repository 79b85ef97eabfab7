import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { RenderOutcome, RenderTask } from '../domain/messaging/render-task.js';

/** Below this many messages a batch renders on the calling thread: a round trip to a thread would cost more. */
export const POOL_MIN_BATCH = 32;
/** Messages per task handed to a thread: small enough that both threads stay busy and writes can start early. */
export const POOL_CHUNK = 50;
/** The first chunk of a batch is smaller, so that writing starts early. */
export const POOL_FIRST_CHUNK = 16;

export interface RenderPoolOptions {
  threads: number;
  /** The worker module; by default the compiled `render-worker.js` beside this file. */
  filename?: string;
  /** Extra Node flags for the threads (e.g. a loader). */
  execArgv?: string[];
}

/**
 * Renders messages on worker threads (piscina) so that rendering runs on every core while the calling
 * thread reads and writes the database. Only templates whose context is plain data go here.
 */
export class RenderPool {
  private readonly pool: Piscina<RenderTask, RenderOutcome[]>;

  constructor(opts: RenderPoolOptions & { filename: string }) {
    this.pool = new Piscina({
      filename: opts.filename,
      minThreads: 0,
      maxThreads: opts.threads,
      idleTimeout: 30_000,
      execArgv: opts.execArgv,
    });
    // A thread that fails to start surfaces here (and in `usable`); it must not crash the process.
    this.pool.on('error', (err: unknown) => this.lastError = err);
  }

  /** The last error a thread raised outside a task (e.g. its module failed to load). */
  lastError: unknown = null;

  get threads(): number {
    return this.pool.options.maxThreads;
  }

  private started: Promise<boolean> | null = null;
  /**
   * Whether the threads start and answer (checked once, with an empty task): a thread that cannot load its
   * module must not leave sends waiting, so they render on the calling thread instead.
   */
  usable(timeoutMs = 30_000): Promise<boolean> {
    this.started ??= new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      timer.unref?.();
      this.pool.run({ templates: {}, jobs: [], key: new Uint8Array(0) }).then(
        () => (clearTimeout(timer), resolve(true)),
        () => (clearTimeout(timer), resolve(false)),
      );
    });
    return this.started;
  }

  /** Tasks the threads have finished. */
  get completed(): number {
    return this.pool.completed;
  }

  run(task: RenderTask): Promise<RenderOutcome[]> {
    return this.pool.run(task);
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}

/** `RETENTA_RENDER_THREADS`: render threads per process (default: one per core; 0 renders on the calling thread). */
export function renderThreads(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.RETENTA_RENDER_THREADS;
  if (raw === undefined || raw === '') return availableParallelism();
  const n = Number(raw);
  return Number.isInteger(n) && n >= 0 && n <= 64 ? n : availableParallelism();
}

/**
 * The pool of this process, or null when rendering stays on the calling thread: no threads asked for, or
 * no compiled worker module (running from TypeScript sources, as the tests do, unless they pass one).
 */
export function createRenderPool(opts: Partial<RenderPoolOptions> = {}): RenderPool | null {
  const threads = opts.threads ?? renderThreads();
  if (threads <= 0) return null;
  const filename = opts.filename ?? fileURLToPath(new URL('./render-worker.js', import.meta.url));
  if (!existsSync(filename)) return null;
  return new RenderPool({ threads, filename, execArgv: opts.execArgv });
}
