import type { Executor } from './db.js';
import { newId } from './ids.js';

export interface JobView {
  id: string;
  kind: string;
  status: 'running' | 'done' | 'failed';
  done: number;
  total: number | null;
  result?: unknown;
  error?: string;
}

export async function createJob(ex: Executor, kind: string, total: number | null, now: Date): Promise<string> {
  const id = newId();
  await ex.insertInto('jobs').values({ id, kind, status: 'running', total, created_at: now, updated_at: now }).execute();
  return id;
}

export async function updateJobProgress(ex: Executor, id: string, done: number, total: number | null, now: Date) {
  await ex.updateTable('jobs').set({ done, total, updated_at: now }).where('id', '=', id).execute();
}

export async function finishJob(ex: Executor, id: string, result: unknown, now: Date) {
  await ex
    .updateTable('jobs')
    .set({ status: 'done', result: JSON.stringify(result ?? null), updated_at: now })
    .where('id', '=', id)
    .execute();
}

export async function failJob(ex: Executor, id: string, error: string, now: Date) {
  await ex.updateTable('jobs').set({ status: 'failed', error, updated_at: now }).where('id', '=', id).execute();
}

export async function getJob(ex: Executor, id: string): Promise<JobView | undefined> {
  const row = await ex.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) return undefined;
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    done: Number(row.done),
    total: row.total === null ? null : Number(row.total),
    ...(row.result !== null ? { result: row.result } : {}),
    ...(row.error !== null ? { error: row.error } : {}),
  };
}
