import type { AppContext } from '../context.js';
import { createJob, failJob, finishJob, updateJobProgress } from '../store/jobs.js';

export type Progress = (done: number, total?: number | null) => void;

/**
 * Runs a long operation in the background of this process and records its progress in a job row
 * (`GET /api/v1/jobs/{id}`). Progress is written at most twice a second.
 */
export async function startJob(
  ctx: AppContext,
  kind: string,
  work: (progress: Progress) => Promise<unknown>,
): Promise<string> {
  const id = await createJob(ctx.db, kind, null, ctx.clock.now());
  let last = 0;
  let latest: { done: number; total: number | null } = { done: 0, total: null };
  let writing: Promise<void> = Promise.resolve();
  const progress: Progress = (done, total = null) => {
    latest = { done, total: total ?? latest.total };
    const t = Date.now();
    if (t - last < 500) return;
    last = t;
    const snap = latest;
    writing = writing.then(() => updateJobProgress(ctx.db, id, snap.done, snap.total, ctx.clock.now())).catch(() => undefined);
  };
  void (async () => {
    try {
      const result = await work(progress);
      await writing;
      await updateJobProgress(ctx.db, id, latest.done, latest.total, ctx.clock.now());
      await finishJob(ctx.db, id, result, ctx.clock.now());
    } catch (err) {
      await writing;
      ctx.log.error({ err, job: id, kind }, 'job failed');
      await failJob(ctx.db, id, (err as Error).message ?? String(err), ctx.clock.now()).catch(() => undefined);
    }
  })();
  return id;
}
