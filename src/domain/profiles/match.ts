/** The contact identifiers a profile is matched by, already normalised. */
export interface Identifiers {
  external_id?: string | null;
  email_norm?: string | null;
  phone?: string | null;
}

export interface Candidate extends Identifiers {
  id: string;
}

export type MatchDecision =
  | { kind: 'create' }
  | { kind: 'update'; id: string }
  | { kind: 'conflict'; field: 'external_id' | 'email' | 'phone'; otherId: string };

/**
 * Upsert matching: by external_id, then email, then phone. The chosen profile takes the identifiers of
 * the input; when another profile already holds one of them, that is a conflict, never a silent merge.
 */
export function decideMatch(input: Identifiers, candidates: Candidate[]): MatchDecision {
  const by = (key: keyof Identifiers) =>
    input[key] ? candidates.find((c) => c[key] === input[key]) : undefined;
  const target = by('external_id') ?? by('email_norm') ?? by('phone');
  for (const [key, field] of [
    ['external_id', 'external_id'],
    ['email_norm', 'email'],
    ['phone', 'phone'],
  ] as const) {
    const holder = by(key);
    if (holder && target && holder.id !== target.id) return { kind: 'conflict', field, otherId: holder.id };
  }
  return target ? { kind: 'update', id: target.id } : { kind: 'create' };
}
