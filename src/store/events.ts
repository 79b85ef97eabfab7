import { sql } from 'kysely';
import type { Executor } from './db.js';
import { newId } from './ids.js';
import type { TimelineEntry } from './timeline.js';

export interface NewEvent {
  profile_id: string;
  name: string;
  properties: Record<string, unknown>;
  occurred_at: Date;
  event_id: string | null;
}

export interface StoredEvent extends NewEvent {
  id: string;
  received_at: Date;
}

/**
 * Appends events in one statement. An `event_id` seen before (or twice in the batch) is not stored again:
 * its position comes back in `duplicates` together with the id of the event first stored under it.
 */
export async function appendEvents(
  ex: Executor,
  events: NewEvent[],
  now: Date,
): Promise<{ stored: StoredEvent[]; duplicates: Map<number, string | null> }> {
  const duplicates = new Map<number, string | null>();
  const seen = new Set<string>();
  const fresh: (StoredEvent & { index: number })[] = [];
  events.forEach((e, index) => {
    if (e.event_id !== null) {
      if (seen.has(e.event_id)) {
        duplicates.set(index, null);
        return;
      }
      seen.add(e.event_id);
    }
    fresh.push({ ...e, id: newId(), received_at: now, index });
  });
  if (!fresh.length) return { stored: [], duplicates };
  const inserted = await sql<{ id: string }>`
    INSERT INTO events (id, profile_id, name, properties, occurred_at, received_at, event_id)
    SELECT id, profile_id, name, properties, occurred_at, ${now}, event_id
    FROM unnest(
      ${sql.val(fresh.map((e) => e.id))}::uuid[],
      ${sql.val(fresh.map((e) => e.profile_id))}::uuid[],
      ${sql.val(fresh.map((e) => e.name))}::text[],
      ${sql.val(fresh.map((e) => JSON.stringify(e.properties)))}::jsonb[],
      ${sql.val(fresh.map((e) => e.occurred_at.toISOString()))}::timestamptz[],
      ${sql.val(fresh.map((e) => e.event_id))}::text[]
    ) AS t(id, profile_id, name, properties, occurred_at, event_id)
    ON CONFLICT (event_id) WHERE event_id IS NOT NULL DO NOTHING
    RETURNING id`.execute(ex);
  const ok = new Set(inserted.rows.map((r) => r.id));
  const stored: StoredEvent[] = [];
  const lost: (StoredEvent & { index: number })[] = [];
  for (const { index, ...e } of fresh) {
    if (ok.has(e.id)) stored.push(e);
    else lost.push({ ...e, index });
  }
  if (lost.length) {
    const firsts = await ex
      .selectFrom('events')
      .select(['id', 'event_id'])
      .where('event_id', 'in', lost.map((e) => e.event_id!))
      .execute();
    const byEventId = new Map(firsts.map((r) => [r.event_id!, r.id]));
    for (const e of lost) duplicates.set(e.index, byEventId.get(e.event_id!) ?? null);
  }
  return { stored, duplicates };
}

export async function eventTimeline(ex: Executor, profileId: string, before: TimelineEntry | null, limit: number) {
  let q = ex
    .selectFrom('events')
    .select(['id', 'name', 'properties', 'occurred_at'])
    .where('profile_id', '=', profileId)
    .orderBy('occurred_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit);
  if (before) {
    const at = new Date(before.at);
    q = q.where((eb) => eb.or([eb('occurred_at', '<', at), eb.and([eb('occurred_at', '=', at), eb('id', '<', before.id)])]));
  }
  const rows = await q.execute();
  return rows.map(
    (r): TimelineEntry => ({ id: r.id, at: new Date(r.occurred_at).toISOString(), kind: 'event', title: r.name, data: r.properties }),
  );
}
