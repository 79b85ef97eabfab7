import { mergeFields, type Fields } from './fields.js';
import { decideMatch, type Candidate } from './match.js';

/** A stored profile as far as an upsert needs it. */
export interface ProfileState extends Candidate {
  email: string | null;
  fields: Fields;
  subscriptions: Record<string, string>;
}

export interface RowWrite {
  email?: string | null;
  email_norm?: string | null;
  phone?: string | null;
  external_id?: string | null;
  fields?: Fields;
  subscriptions?: Record<string, string>;
}

export interface BatchPlan {
  /** Final state of every profile the batch creates or changes, once each. */
  creates: ProfileState[];
  updates: ProfileState[];
  /** Per input row: created, updated, or the conflict that refused it. */
  outcomes: ({ kind: 'created' | 'updated'; id: string } | { kind: 'conflict'; field: string })[];
}

/**
 * Plans the upsert of many rows against the stored profiles they may match, in row order, so that a
 * later row sees what an earlier row of the same batch created or changed. Pure: ids come from `newId`.
 */
export function planBatch(rows: RowWrite[], stored: ProfileState[], newId: () => string): BatchPlan {
  const byId = new Map<string, ProfileState>(stored.map((p) => [p.id, { ...p }]));
  const index = { external_id: new Map<string, string>(), email_norm: new Map<string, string>(), phone: new Map<string, string>() };
  const keys = ['external_id', 'email_norm', 'phone'] as const;
  const indexOf = (p: ProfileState) => keys.forEach((k) => p[k] && index[k].set(p[k]!, p.id));
  const unindex = (p: ProfileState) => keys.forEach((k) => p[k] && index[k].get(p[k]!) === p.id && index[k].delete(p[k]!));
  byId.forEach(indexOf);
  const created = new Set<string>();
  const touched = new Set<string>();
  const outcomes: BatchPlan['outcomes'] = [];

  for (const row of rows) {
    const cands: Candidate[] = [];
    for (const k of keys) {
      const v = row[k];
      const id = v ? index[k].get(v) : undefined;
      if (id) cands.push(byId.get(id)!);
    }
    const decision = decideMatch({ external_id: row.external_id, email_norm: row.email_norm, phone: row.phone }, cands);
    if (decision.kind === 'conflict') {
      outcomes.push({ kind: 'conflict', field: decision.field });
      continue;
    }
    const current: ProfileState =
      decision.kind === 'update'
        ? byId.get(decision.id)!
        : { id: newId(), email: null, email_norm: null, phone: null, external_id: null, fields: {}, subscriptions: {} };
    unindex(current);
    const next: ProfileState = {
      ...current,
      fields: mergeFields(current.fields, row.fields),
      subscriptions: { ...current.subscriptions, ...(row.subscriptions ?? {}) },
    };
    if (row.email !== undefined) Object.assign(next, { email: row.email, email_norm: row.email_norm ?? null });
    if (row.phone !== undefined) next.phone = row.phone;
    if (row.external_id !== undefined) next.external_id = row.external_id;
    byId.set(next.id, next);
    indexOf(next);
    if (decision.kind === 'create') created.add(next.id);
    touched.add(next.id);
    outcomes.push({ kind: decision.kind === 'create' ? 'created' : 'updated', id: next.id });
  }
  const creates: ProfileState[] = [];
  const updates: ProfileState[] = [];
  for (const id of touched) (created.has(id) ? creates : updates).push(byId.get(id)!);
  return { creates, updates, outcomes };
}
