import type { AppContext } from '../context.js';
import { parseProfileRef, type ProfileRef, type ProfileRefInput } from '../domain/profiles/ref.js';
import { appendEvents, type NewEvent } from '../store/events.js';
import { refKey, resolveOrCreateProfiles } from '../store/profiles.js';

export interface EventInput {
  profile: ProfileRefInput;
  name: string;
  properties?: Record<string, unknown>;
  occurred_at?: string;
  event_id?: string;
}

export type IngestOutcome =
  | { kind: 'stored'; id: string }
  | { kind: 'duplicate'; id: string | null }
  | { kind: 'rejected'; errors: { path: string; message: string }[] };

/**
 * The one way events enter: profiles resolved (and created for a new email, phone or external_id) in
 * one query per kind, events appended in one statement, then published on the bus after commit.
 */
export async function ingestEvents(ctx: AppContext, inputs: EventInput[]): Promise<IngestOutcome[]> {
  const now = ctx.clock.now();
  const outcomes: IngestOutcome[] = new Array(inputs.length);
  const refs: (ProfileRef | null)[] = inputs.map((e, i) => {
    const ref = parseProfileRef(e.profile);
    if (typeof ref === 'string') {
      outcomes[i] = { kind: 'rejected', errors: [{ path: 'profile', message: ref }] };
      return null;
    }
    return ref;
  });
  const stored = await ctx.db.transaction().execute(async (tx) => {
    const resolved = await resolveOrCreateProfiles(tx, refs.filter((r): r is ProfileRef => r !== null), now);
    const rows: NewEvent[] = [];
    const positions: number[] = [];
    inputs.forEach((e, i) => {
      const ref = refs[i];
      if (!ref) return;
      const profileId = resolved.get(refKey(ref));
      if (!profileId) {
        outcomes[i] = { kind: 'rejected', errors: [{ path: 'profile', message: 'no profile with this id' }] };
        return;
      }
      positions.push(i);
      rows.push({
        profile_id: profileId,
        name: e.name,
        properties: e.properties ?? {},
        occurred_at: e.occurred_at ? new Date(e.occurred_at) : now,
        event_id: e.event_id ?? null,
      });
    });
    const result = await appendEvents(tx, rows, now);
    let s = 0;
    positions.forEach((pos, j) => {
      if (result.duplicates.has(j)) outcomes[pos] = { kind: 'duplicate', id: result.duplicates.get(j) ?? null };
      else outcomes[pos] = { kind: 'stored', id: result.stored[s++].id };
    });
    return result.stored;
  });
  if (stored.length) ctx.bus.publish('events', stored);
  return outcomes;
}
