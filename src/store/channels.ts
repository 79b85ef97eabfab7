import type { Executor } from './db.js';

export interface ChannelRow {
  id: string;
  name: string;
  type: string;
  provider: string;
  /** The non-secret part of the configuration. */
  config: Record<string, unknown>;
  /** The secret part, encrypted (AES-256-GCM). */
  secrets: string | null;
  is_default: boolean;
  created_at: Date;
  updated_at: Date;
}

export async function insertChannel(ex: Executor, c: Omit<ChannelRow, 'created_at' | 'updated_at'>, now: Date): Promise<ChannelRow> {
  if (c.is_default)
    await ex.updateTable('message_channels').set({ is_default: false }).where('type', '=', c.type).where('is_default', '=', true).execute();
  return (await ex
    .insertInto('message_channels')
    .values({ ...c, config: JSON.stringify(c.config), created_at: now, updated_at: now })
    .returningAll()
    .executeTakeFirstOrThrow()) as ChannelRow;
}

export async function updateChannel(ex: Executor, c: Omit<ChannelRow, 'created_at' | 'updated_at'>, now: Date): Promise<ChannelRow | undefined> {
  const { id, ...rest } = c;
  if (c.is_default)
    await ex.updateTable('message_channels').set({ is_default: false }).where('type', '=', c.type).where('id', '!=', id).execute();
  return (await ex
    .updateTable('message_channels')
    .set({ ...rest, config: JSON.stringify(rest.config), updated_at: now })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst()) as ChannelRow | undefined;
}

export async function getChannel(ex: Executor, id: string): Promise<ChannelRow | undefined> {
  return (await ex.selectFrom('message_channels').selectAll().where('id', '=', id).executeTakeFirst()) as ChannelRow | undefined;
}

export async function listChannels(ex: Executor): Promise<ChannelRow[]> {
  return (await ex.selectFrom('message_channels').selectAll().orderBy('created_at').orderBy('id').execute()) as ChannelRow[];
}

export async function deleteChannel(ex: Executor, id: string): Promise<boolean> {
  const r = await ex.deleteFrom('message_channels').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** A named secret of the installation (e.g. the generated encryption key), created once by whoever comes first. */
export async function ensureAppSecret(ex: Executor, name: string, candidate: string, now: Date): Promise<string> {
  await ex.insertInto('app_secrets').values({ name, value: candidate, created_at: now }).onConflict((oc) => oc.column('name').doNothing()).execute();
  const row = await ex.selectFrom('app_secrets').select('value').where('name', '=', name).executeTakeFirstOrThrow();
  return row.value;
}

export async function getSetting<T extends object>(ex: Executor, key: string): Promise<T | undefined> {
  const row = await ex.selectFrom('app_settings').select('value').where('key', '=', key).executeTakeFirst();
  return row?.value as T | undefined;
}

export async function putSetting(ex: Executor, key: string, value: object, now: Date): Promise<void> {
  await ex
    .insertInto('app_settings')
    .values({ key, value: JSON.stringify(value), updated_at: now })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify(value), updated_at: now }))
    .execute();
}
