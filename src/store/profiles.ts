import { sql } from 'kysely';
import { mergeFields, type Fields } from '../domain/profiles/fields.js';
import { planBatch, type BatchPlan, type ProfileState, type RowWrite } from '../domain/profiles/batch.js';
import type { ProfileRef } from '../domain/profiles/ref.js';
import type { Executor } from './db.js';
import { newId } from './ids.js';

export interface Profile {
  id: string;
  email: string | null;
  phone: string | null;
  external_id: string | null;
  fields: Fields;
  subscriptions: Record<string, string>;
  created_at: Date;
  updated_at: Date;
}

/** A profile write with identifiers normalised by the caller (see domain/profiles/contact.ts). */
export type ProfileInput = RowWrite;

export class ProfileConflict extends Error {
  constructor(
    readonly field: string,
    readonly otherId: string,
  ) {
    super(`${field} already belongs to another profile`);
  }
}

const COLUMNS = ['id', 'email', 'phone', 'external_id', 'fields', 'subscriptions', 'created_at', 'updated_at'] as const;

export async function getProfile(ex: Executor, id: string): Promise<Profile | undefined> {
  return (await ex
    .selectFrom('profiles')
    .select(COLUMNS)
    .where('id', '=', id)
    .where('erased_at', 'is', null)
    .executeTakeFirst()) as Profile | undefined;
}

const REF_COLUMN = { id: 'id', email: 'email_norm', phone: 'phone', external_id: 'external_id' } as const;

export async function findProfile(ex: Executor, ref: ProfileRef): Promise<Profile | undefined> {
  return (await ex
    .selectFrom('profiles')
    .select(COLUMNS)
    .where(REF_COLUMN[ref.kind], '=', ref.value)
    .where('erased_at', 'is', null)
    .executeTakeFirst()) as Profile | undefined;
}

export async function listProfiles(ex: Executor, limit: number, after?: string): Promise<Profile[]> {
  let q = ex.selectFrom('profiles').select(COLUMNS).where('erased_at', 'is', null).orderBy('id').limit(limit);
  if (after) q = q.where('id', '>', after);
  return (await q.execute()) as Profile[];
}

/**
 * Upsert by external_id → email → phone. Fields and subscriptions merge into the stored ones.
 * Throws ProfileConflict when an identifier belongs to another profile.
 */
export async function upsertProfile(ex: Executor, input: ProfileInput, now: Date): Promise<{ profile: Profile; created: boolean }> {
  const [outcome] = await upsertProfiles(ex, [input], now);
  if (outcome.kind === 'conflict') throw new ProfileConflict(outcome.field, '');
  const profile = await getProfile(ex, outcome.id);
  return { profile: profile!, created: outcome.kind === 'created' };
}

/**
 * Upserts many rows with three statements: the stored profiles they may match (locked), one insert of
 * the new ones and one update of the changed ones. Rows are applied in order (see planBatch); a row whose
 * identifier belongs to another profile comes back as a conflict and changes nothing.
 */
export async function upsertProfiles(ex: Executor, rows: ProfileInput[], now: Date): Promise<BatchPlan['outcomes']> {
  const values = (k: 'external_id' | 'email_norm' | 'phone') => [...new Set(rows.map((r) => r[k]).filter((v): v is string => !!v))];
  const storedRows = await sql<ProfileState>`
    SELECT id, email, email_norm, phone, external_id, fields, subscriptions FROM profiles
    WHERE erased_at IS NULL AND (external_id = ANY(${values('external_id')}::text[])
      OR email_norm = ANY(${values('email_norm')}::text[]) OR phone = ANY(${values('phone')}::text[]))
    FOR UPDATE`.execute(ex);
  const plan = planBatch(rows, storedRows.rows, newId);
  const cols = (list: ProfileState[]) => [
    sql.val(list.map((p) => p.id)),
    sql.val(list.map((p) => p.email)),
    sql.val(list.map((p) => p.email_norm ?? null)),
    sql.val(list.map((p) => p.phone ?? null)),
    sql.val(list.map((p) => p.external_id ?? null)),
    sql.val(list.map((p) => JSON.stringify(p.fields))),
    sql.val(list.map((p) => JSON.stringify(p.subscriptions))),
  ];
  if (plan.updates.length) {
    const [id, email, emailNorm, phone, ext, fields, subs] = cols(plan.updates);
    await sql`
      UPDATE profiles AS p SET email = u.email, email_norm = u.email_norm, phone = u.phone, external_id = u.external_id,
        fields = u.fields, subscriptions = u.subscriptions, updated_at = ${now}
      FROM unnest(${id}::uuid[], ${email}::text[], ${emailNorm}::text[], ${phone}::text[], ${ext}::text[], ${fields}::jsonb[], ${subs}::jsonb[])
        AS u(id, email, email_norm, phone, external_id, fields, subscriptions)
      WHERE p.id = u.id`.execute(ex);
  }
  if (plan.creates.length) {
    const [id, email, emailNorm, phone, ext, fields, subs] = cols(plan.creates);
    await sql`
      INSERT INTO profiles (id, email, email_norm, phone, external_id, fields, subscriptions, created_at, updated_at)
      SELECT id, email, email_norm, phone, external_id, fields, subscriptions, ${now}, ${now}
      FROM unnest(${id}::uuid[], ${email}::text[], ${emailNorm}::text[], ${phone}::text[], ${ext}::text[], ${fields}::jsonb[], ${subs}::jsonb[])
        AS u(id, email, email_norm, phone, external_id, fields, subscriptions)`.execute(ex);
  }
  return plan.outcomes;
}

/** Partial update: identifiers given replace (null clears), fields and subscriptions merge. Locks the row. */
export async function updateProfile(ex: Executor, id: string, input: ProfileInput, now: Date): Promise<Profile | undefined> {
  const current = await ex
    .selectFrom('profiles')
    .select(['fields', 'subscriptions'])
    .where('id', '=', id)
    .where('erased_at', 'is', null)
    .forUpdate()
    .executeTakeFirst();
  if (!current) return undefined;
  const set: Record<string, unknown> = { updated_at: now };
  if (input.email !== undefined) {
    set.email = input.email;
    set.email_norm = input.email_norm ?? null;
  }
  if (input.phone !== undefined) set.phone = input.phone;
  if (input.external_id !== undefined) set.external_id = input.external_id;
  if (input.fields) set.fields = JSON.stringify(mergeFields(current.fields, input.fields));
  if (input.subscriptions) set.subscriptions = JSON.stringify({ ...current.subscriptions, ...input.subscriptions });
  try {
    return (await ex.updateTable('profiles').set(set).where('id', '=', id).returning(COLUMNS).executeTakeFirst()) as Profile;
  } catch (e) {
    const err = e as { code?: string; constraint?: string; message?: string };
    if (err.code === '23505') {
      const c = `${err.constraint ?? err.message ?? ''}`;
      const field = c.includes('email') ? 'email' : c.includes('phone') ? 'phone' : 'external_id';
      throw new ProfileConflict(field, '');
    }
    throw e;
  }
}

/**
 * GDPR erase: contact data, fields and subscriptions go, event properties are cleared; the row stays so that
 * ledgers and orders keep their reference, anonymised.
 */
export async function eraseProfile(ex: Executor, id: string, now: Date): Promise<boolean> {
  const r = await ex
    .updateTable('profiles')
    .set({
      email: null,
      email_norm: null,
      phone: null,
      external_id: null,
      fields: '{}',
      subscriptions: '{}',
      erased_at: now,
      updated_at: now,
    })
    .where('id', '=', id)
    .where('erased_at', 'is', null)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) === 0) return false;
  await ex.updateTable('events').set({ properties: '{}' }).where('profile_id', '=', id).execute();
  return true;
}

export type RefKey = string;
export const refKey = (r: ProfileRef): RefKey => `${r.kind}:${r.value}`;

/**
 * Resolves many references at once (one query per kind) and creates the profiles that email, phone or
 * external_id name but that do not exist yet. References by an unknown id stay unresolved.
 */
export async function resolveOrCreateProfiles(ex: Executor, refs: ProfileRef[], now: Date): Promise<Map<RefKey, string>> {
  const out = new Map<RefKey, string>();
  const byKind = new Map<ProfileRef['kind'], Set<string>>();
  for (const r of refs) {
    if (!byKind.has(r.kind)) byKind.set(r.kind, new Set());
    byKind.get(r.kind)!.add(r.value);
  }
  const lookup = async (kind: ProfileRef['kind'], values: string[]) => {
    if (!values.length) return;
    const col = REF_COLUMN[kind];
    const rows = await ex
      .selectFrom('profiles')
      .select(['id', col])
      .where(col, '=', sql<string>`ANY(${sql.val(values)}::${sql.raw(kind === 'id' ? 'uuid' : 'text')}[])`)
      .where('erased_at', 'is', null)
      .execute();
    for (const row of rows) out.set(`${kind}:${String((row as Record<string, unknown>)[col])}`, row.id);
  };
  for (const [kind, set] of byKind) await lookup(kind, [...set]);
  for (const kind of ['email', 'phone', 'external_id'] as const) {
    const missing = [...(byKind.get(kind) ?? [])].filter((v) => !out.has(`${kind}:${v}`));
    if (!missing.length) continue;
    const col = REF_COLUMN[kind];
    const ids = missing.map(() => newId());
    await sql`
      INSERT INTO profiles (id, ${sql.ref(col)}, ${sql.raw(kind === 'email' ? 'email,' : '')} fields, subscriptions, created_at, updated_at)
      SELECT id, v, ${sql.raw(kind === 'email' ? 'v,' : '')} '{}'::jsonb, '{}'::jsonb, ${now}, ${now}
      FROM unnest(${sql.val(ids)}::uuid[], ${sql.val(missing)}::text[]) AS t(id, v)
      ON CONFLICT DO NOTHING`.execute(ex);
    await lookup(kind, missing);
  }
  return out;
}
