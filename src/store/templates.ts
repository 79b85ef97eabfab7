import type { Executor } from './db.js';

export interface TemplateRow {
  id: string;
  name: string;
  channel: string;
  format: string;
  subject: string | null;
  preheader: string | null;
  from_address: string | null;
  title: string | null;
  url: string | null;
  parse_mode: string | null;
  body: string;
  compiled_body: string;
  transactional: boolean;
  created_at: Date;
  updated_at: Date;
}

export type TemplateWrite = Omit<TemplateRow, 'created_at' | 'updated_at'>;

export async function insertTemplate(ex: Executor, t: TemplateWrite, now: Date): Promise<TemplateRow> {
  return (await ex
    .insertInto('message_templates')
    .values({ ...t, created_at: now, updated_at: now })
    .returningAll()
    .executeTakeFirstOrThrow()) as TemplateRow;
}

export async function updateTemplate(ex: Executor, t: TemplateWrite, now: Date): Promise<TemplateRow | undefined> {
  const { id, ...rest } = t;
  return (await ex
    .updateTable('message_templates')
    .set({ ...rest, updated_at: now })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst()) as TemplateRow | undefined;
}

export async function getTemplate(ex: Executor, id: string): Promise<TemplateRow | undefined> {
  return (await ex.selectFrom('message_templates').selectAll().where('id', '=', id).executeTakeFirst()) as TemplateRow | undefined;
}

export async function getTemplates(ex: Executor, ids: string[]): Promise<TemplateRow[]> {
  if (!ids.length) return [];
  return (await ex.selectFrom('message_templates').selectAll().where('id', 'in', ids).execute()) as TemplateRow[];
}

export async function listTemplates(ex: Executor, limit: number, after?: string, channel?: string): Promise<TemplateRow[]> {
  let q = ex.selectFrom('message_templates').selectAll().orderBy('id').limit(limit);
  if (after) q = q.where('id', '>', after);
  if (channel) q = q.where('channel', '=', channel);
  return (await q.execute()) as TemplateRow[];
}

export async function deleteTemplate(ex: Executor, id: string): Promise<boolean> {
  const r = await ex.deleteFrom('message_templates').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
