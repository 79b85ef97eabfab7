import { sql } from 'kysely';
import { mergeFields, type Fields } from '../domain/profiles/fields.js';
import { decideMatch, type Identifiers } from '../domain/profiles/match.js';
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
export interface ProfileInput {
  email?: string | null;
  email_norm?: string | null;
  phone?: string | null;
  external_id?: string | null;
  fields?: Fields;
  subscriptions?: Record<string, string>;
}

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
  const ids: Identifiers = { external_id: input.external_id, email_norm: input.email_norm, phone: input.phone };
  const candidates = await ex
    .selectFrom('profiles')
    .select(['id', 'external_id', 'email_norm', 'phone'])
    .where('erased_at', 'is', null)
    .where((eb) =>
      eb.or([
        ...(ids.external_id ? [eb('external_id', '=', ids.external_id)] : []),
        ...(ids.email_norm ? [eb('email_norm', '=', ids.email_norm)] : []),
        ...(ids.phone ? [eb('phone', '=', ids.phone)] : []),
      ]),
    )
    .execute();
  const decision = decideMatch(ids, candidates);
  if (decision.kind === 'conflict') throw new ProfileConflict(decision.field, decision.otherId);
  if (decision.kind === 'update') {
    const profile = await updateProfile(ex, decision.id, input, now);
    return { profile: profile!, created: false };
  }
  const row = await ex
    .insertInto('profiles')
    .values({
      id: newId(),
      email: input.email ?? null,
      email_norm: input.email_norm ?? null,
      phone: input.phone ?? null,
      external_id: input.external_id ?? null,
      fields: JSON.stringify(mergeFields({}, input.fields)),
      subscriptions: JSON.stringify(input.subscriptions ?? {}),
      created_at: now,
      updated_at: now,
    })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
  return { profile: row as Profile, created: true };
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
