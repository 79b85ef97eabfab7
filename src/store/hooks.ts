import { sql } from 'kysely';
import type { Executor } from './db.js';

export interface HookRow {
  id: string;
  name: string | null;
  events: string[];
  target_type: string;
  /** The non-secret part of the target. */
  target: Record<string, unknown>;
  secrets: string | null;
  active: boolean;
  created_at: Date;
  updated_at: Date;
}

export async function insertHook(ex: Executor, h: Omit<HookRow, 'created_at' | 'updated_at'>, now: Date): Promise<HookRow> {
  return (await ex
    .insertInto('action_hooks')
    .values({ ...h, target: JSON.stringify(h.target), created_at: now, updated_at: now })
    .returningAll()
    .executeTakeFirstOrThrow()) as HookRow;
}

export async function updateHook(ex: Executor, h: Omit<HookRow, 'created_at' | 'updated_at'>, now: Date): Promise<HookRow | undefined> {
  const { id, ...rest } = h;
  return (await ex
    .updateTable('action_hooks')
    .set({ ...rest, target: JSON.stringify(rest.target), updated_at: now })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst()) as HookRow | undefined;
}

export async function getHook(ex: Executor, id: string): Promise<HookRow | undefined> {
  return (await ex.selectFrom('action_hooks').selectAll().where('id', '=', id).executeTakeFirst()) as HookRow | undefined;
}

export async function listHooks(ex: Executor, onlyActive = false): Promise<HookRow[]> {
  let q = ex.selectFrom('action_hooks').selectAll().orderBy('created_at').orderBy('id');
  if (onlyActive) q = q.where('active', '=', true);
  return (await q.execute()) as HookRow[];
}

export async function deleteHook(ex: Executor, id: string): Promise<boolean> {
  const r = await ex.deleteFrom('action_hooks').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Makes a hook's pending deliveries due now (a full batch need not wait for the flush interval). */
export async function flushHookIfFull(ex: Executor, hookId: string, batchSize: number, now: Date): Promise<void> {
  await sql`
    UPDATE hook_deliveries SET due_at = ${now}
    WHERE hook_id = ${hookId} AND status = 'pending' AND due_at > ${now}
      AND (SELECT count(*) FROM hook_deliveries WHERE hook_id = ${hookId} AND status = 'pending') >= ${batchSize}`.execute(ex);
}

export interface HookDeliveryRow {
  id: string;
  hook_id: string;
  event_id: string;
  event_type: string;
  event_date: Date;
  profile_id: string;
  event_data: Record<string, unknown>;
  status: string;
  attempts: number;
  due_at: Date | null;
  last_error: string | null;
  created_at: Date;
  delivered_at: Date | null;
}

/** Claims due deliveries with a lease (see claimDueMessages). */
export async function claimDueDeliveries(ex: Executor, now: Date, limit: number, leaseUntil: Date): Promise<HookDeliveryRow[]> {
  const r = await sql<HookDeliveryRow>`
    UPDATE hook_deliveries h SET attempts = h.attempts + 1, due_at = ${leaseUntil}
    FROM (
      SELECT id FROM hook_deliveries WHERE due_at <= ${now} AND status = 'pending'
      ORDER BY due_at, event_date, id LIMIT ${limit} FOR UPDATE SKIP LOCKED
    ) d
    WHERE h.id = d.id
    RETURNING h.*`.execute(ex);
  return r.rows;
}

export async function markDelivered(ex: Executor, ids: string[], now: Date): Promise<void> {
  if (!ids.length) return;
  await ex.updateTable('hook_deliveries').set({ status: 'delivered', due_at: null, delivered_at: now, last_error: null }).where('id', 'in', ids).execute();
}

export async function markRetry(ex: Executor, ids: string[], error: string, retryAt: Date | null): Promise<void> {
  if (!ids.length) return;
  await ex
    .updateTable('hook_deliveries')
    .set(retryAt ? { due_at: retryAt, last_error: error } : { status: 'failed', due_at: null, last_error: error })
    .where('id', 'in', ids)
    .execute();
}

export async function listDeliveries(ex: Executor, hookId: string, limit: number, status?: string): Promise<HookDeliveryRow[]> {
  let q = ex.selectFrom('hook_deliveries').selectAll().where('hook_id', '=', hookId).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit);
  if (status) q = q.where('status', '=', status);
  return (await q.execute()) as HookDeliveryRow[];
}
