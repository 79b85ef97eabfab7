import { sql } from 'kysely';
import type { Executor } from './db.js';
import type { StoredEvent } from './events.js';
import type { TimelineEntry } from './timeline.js';

export const MESSAGE_STATUSES = ['queued', 'sent', 'failed', 'suppressed', 'skipped'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

export interface MessageRow {
  id: string;
  profile_id: string;
  template_id: string | null;
  channel: string;
  channel_id: string | null;
  provider: string;
  to_address: string | null;
  subject: string | null;
  body: string | null;
  text_body: string | null;
  extra: Record<string, unknown>;
  transactional: boolean;
  status: MessageStatus;
  reason: string | null;
  deferred_reason: string | null;
  attempts: number;
  due_at: Date | null;
  scheduled_at: Date;
  provider_response: Record<string, unknown> | null;
  dedupe_key: string;
  scenario_id: string | null;
  scenario_version: number | null;
  node_id: string | null;
  instance_id: string | null;
  campaign_id: string | null;
  created_at: Date;
  updated_at: Date;
  sent_at: Date | null;
  /** First open (the pixel loaded, or a first click). */
  opened_at: Date | null;
  /** First click on a tracked link. */
  clicked_at: Date | null;
  clicks: number;
}

export type NewMessage = Omit<MessageRow, 'updated_at' | 'opened_at' | 'clicked_at' | 'clicks'>;

const COLUMN_TYPES: [keyof NewMessage, string][] = [
  ['id', 'uuid'],
  ['profile_id', 'uuid'],
  ['template_id', 'uuid'],
  ['channel', 'text'],
  ['channel_id', 'uuid'],
  ['provider', 'text'],
  ['to_address', 'text'],
  ['subject', 'text'],
  ['body', 'text'],
  ['text_body', 'text'],
  ['extra', 'jsonb'],
  ['transactional', 'boolean'],
  ['status', 'text'],
  ['reason', 'text'],
  ['deferred_reason', 'text'],
  ['due_at', 'timestamptz'],
  ['scheduled_at', 'timestamptz'],
  ['dedupe_key', 'text'],
  ['scenario_id', 'uuid'],
  ['scenario_version', 'integer'],
  ['node_id', 'text'],
  ['instance_id', 'uuid'],
  ['campaign_id', 'text'],
  ['created_at', 'timestamptz'],
  ['attempts', 'integer'],
  ['provider_response', 'jsonb'],
  ['sent_at', 'timestamptz'],
];

function columnValue(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  if (v !== null && typeof v === 'object') return JSON.stringify(v);
  return v ?? null;
}

/**
 * Writes messages in the caller's transaction, in one statement (one array per column); a dedupe key seen
 * before writes nothing, and its id is not in the returned set.
 */
export async function insertMessages(ex: Executor, rows: NewMessage[]): Promise<Set<string>> {
  if (!rows.length) return new Set();
  const names = sql.join(COLUMN_TYPES.map(([c]) => sql.ref(c)));
  const arrays = sql.join(COLUMN_TYPES.map(([c, t]) => sql`${sql.val(rows.map((r) => columnValue(r[c])))}::${sql.raw(t)}[]`));
  const inserted = await sql<{ id: string }>`
    INSERT INTO messages (${names}, updated_at)
    SELECT t.*, t.created_at FROM unnest(${arrays}) AS t(${names})
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING id`.execute(ex);
  return new Set(inserted.rows.map((r) => r.id));
}

export async function messagesByDedupeKeys(ex: Executor, keys: string[]): Promise<MessageRow[]> {
  if (!keys.length) return [];
  return (await ex.selectFrom('messages').selectAll().where('dedupe_key', 'in', keys).execute()) as MessageRow[];
}

export async function getMessage(ex: Executor, id: string): Promise<MessageRow | undefined> {
  return (await ex.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirst()) as MessageRow | undefined;
}

/**
 * Planned or actual send times of non-transactional messages per profile since `since` (for the frequency cap).
 * Held-back and skipped messages do not count; queued ones count at their planned time.
 */
export async function recentSends(ex: Executor, profileIds: string[], since: Date): Promise<Map<string, Date[]>> {
  const out = new Map<string, Date[]>();
  if (!profileIds.length) return out;
  const rows = await ex
    .selectFrom('messages')
    .select(['profile_id', 'scheduled_at', 'sent_at'])
    .where('profile_id', 'in', profileIds)
    .where('transactional', '=', false)
    .where('status', 'in', ['queued', 'sent'])
    .where('scheduled_at', '>', since)
    .execute();
  for (const r of rows) {
    const list = out.get(r.profile_id) ?? [];
    list.push(new Date(r.sent_at ?? r.scheduled_at));
    out.set(r.profile_id, list);
  }
  return out;
}

/** Serialises concurrent sends to the same profiles (for the frequency cap) under their row locks. */
export async function lockProfiles(ex: Executor, profileIds: string[]): Promise<void> {
  if (!profileIds.length) return;
  await sql`SELECT id FROM profiles WHERE id = ANY(${sql.val(profileIds)}::uuid[]) ORDER BY id FOR UPDATE`.execute(ex);
}

/** What the delivery loop needs of a claimed message before it reads the content (outbox messages need none). */
export type ClaimedMessage = Pick<
  MessageRow,
  'id' | 'profile_id' | 'channel' | 'channel_id' | 'provider' | 'template_id' | 'attempts' | 'status' | 'scenario_id' | 'scenario_version' | 'node_id' | 'instance_id' | 'campaign_id'
> & {
  /** False when the profile has been erased since: its timeline gets no event. */
  live: boolean;
};

/**
 * Claims due queued messages (FOR UPDATE SKIP LOCKED) in one statement. Outbox messages (no channel) are
 * delivered by this very update: stored as sent. The others are leased: their next due time moves to
 * `leaseUntil`, so a worker that dies mid-delivery leaves them to be taken again after the lease.
 */
export async function claimDueMessages(ex: Executor, now: Date, limit: number, leaseUntil: Date): Promise<ClaimedMessage[]> {
  const r = await sql<ClaimedMessage>`
    UPDATE messages m SET
      attempts = m.attempts + 1,
      status = CASE WHEN m.channel_id IS NULL THEN 'sent' ELSE m.status END,
      sent_at = CASE WHEN m.channel_id IS NULL THEN ${now}::timestamptz ELSE m.sent_at END,
      reason = CASE WHEN m.channel_id IS NULL THEN NULL ELSE m.reason END,
      provider_response = CASE WHEN m.channel_id IS NULL THEN '{"provider":"outbox","stored":true}'::jsonb ELSE m.provider_response END,
      due_at = CASE WHEN m.channel_id IS NULL THEN NULL ELSE ${leaseUntil}::timestamptz END,
      updated_at = ${now}
    FROM (
      SELECT id FROM messages WHERE due_at <= ${now} AND status = 'queued'
      ORDER BY due_at LIMIT ${limit} FOR UPDATE SKIP LOCKED
    ) d
    WHERE m.id = d.id
    RETURNING m.id, m.profile_id, m.channel, m.channel_id, m.provider, m.template_id, m.attempts, m.status,
      m.scenario_id, m.scenario_version, m.node_id, m.instance_id, m.campaign_id,
      EXISTS (SELECT 1 FROM profiles p WHERE p.id = m.profile_id AND p.erased_at IS NULL) AS live`.execute(ex);
  return r.rows;
}

/** Notes events written in the sender's transaction, to be published on the bus after it commits. */
export async function queueEventPublication(ex: Executor, id: string, eventIds: string[], now: Date): Promise<void> {
  if (!eventIds.length) return;
  await sql`INSERT INTO message_event_outbox (id, event_ids, created_at) VALUES (${id}, ${sql.val(eventIds)}::uuid[], ${now})`.execute(ex);
}

/**
 * Takes committed publications (SKIP LOCKED: each once across workers) and answers their events; the rows go
 * with the caller's transaction, so a crash before it commits leaves them to be published again. `known`
 * answers the events of publications this process wrote itself (read from the database otherwise).
 */
export async function takeEventPublications(ex: Executor, limit: number, known: (id: string) => StoredEvent[] | undefined): Promise<StoredEvent[]> {
  const taken = await sql<{ id: string; event_ids: string[] }>`
    DELETE FROM message_event_outbox o USING (
      SELECT id FROM message_event_outbox ORDER BY id LIMIT ${limit} FOR UPDATE SKIP LOCKED
    ) t WHERE o.id = t.id
    RETURNING o.id, o.event_ids`.execute(ex);
  const out: StoredEvent[] = [];
  const unknown: string[] = [];
  for (const r of taken.rows) {
    const events = known(r.id);
    if (events) out.push(...events);
    else unknown.push(...r.event_ids);
  }
  if (unknown.length) {
    const rows = await sql<StoredEvent>`
      SELECT id, profile_id, name, properties, occurred_at, received_at, event_id FROM events
      WHERE id = ANY(${sql.val(unknown)}::uuid[]) ORDER BY id`.execute(ex);
    out.push(...rows.rows);
  }
  return out;
}

/** Publications not yet taken (benchmarks wait for none). */
export async function pendingEventPublications(ex: Executor): Promise<number> {
  return Number((await ex.selectFrom('message_event_outbox').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
}

/** The message a tracking link names, with what its events say about it. */
export type TrackedMessage = Pick<MessageRow, 'id' | 'profile_id' | 'channel' | 'template_id' | 'scenario_id' | 'node_id' | 'instance_id' | 'campaign_id'>;

/** Records an open: only the first one sets `opened_at`; answers the message when this was the first. */
export async function recordOpen(ex: Executor, id: string, now: Date): Promise<TrackedMessage | undefined> {
  const r = await sql<TrackedMessage>`
    UPDATE messages SET opened_at = ${now}
    WHERE id = ${id} AND opened_at IS NULL
    RETURNING id, profile_id, channel, template_id, scenario_id, node_id, instance_id, campaign_id`.execute(ex);
  return r.rows[0];
}

/** Records a click (every one counts; the first sets `clicked_at`, and `opened_at` when no open was seen). */
export async function recordClick(ex: Executor, id: string, now: Date): Promise<(TrackedMessage & { first_open: boolean; clicks: number }) | undefined> {
  const r = await sql<TrackedMessage & { first_open: boolean; clicks: number }>`
    UPDATE messages m SET clicks = m.clicks + 1, clicked_at = COALESCE(m.clicked_at, ${now}), opened_at = COALESCE(m.opened_at, ${now})
    FROM (SELECT id, opened_at IS NULL AS first_open FROM messages WHERE id = ${id} FOR UPDATE) b
    WHERE m.id = b.id
    RETURNING m.id, m.profile_id, m.channel, m.template_id, m.scenario_id, m.node_id, m.instance_id, m.campaign_id, m.clicks, b.first_open`.execute(ex);
  return r.rows[0];
}

export async function getMessages(ex: Executor, ids: string[]): Promise<MessageRow[]> {
  if (!ids.length) return [];
  return (await ex.selectFrom('messages').selectAll().where('id', 'in', ids).execute()) as MessageRow[];
}

export interface DeliveryOutcome {
  id: string;
  status: 'sent' | 'failed' | 'queued';
  reason: string | null;
  response: Record<string, unknown> | null;
  /** For a retry: when to try again. */
  retryAt?: Date;
}

/** Records delivery outcomes; only rows still queued change (a late duplicate worker changes nothing). */
export async function recordOutcomes(ex: Executor, outcomes: DeliveryOutcome[], now: Date): Promise<string[]> {
  if (!outcomes.length) return [];
  const r = await sql<{ id: string }>`
    UPDATE messages m SET
      status = o.status,
      reason = o.reason,
      provider_response = o.response,
      due_at = o.retry_at,
      sent_at = CASE WHEN o.status = 'sent' THEN ${now}::timestamptz ELSE m.sent_at END,
      updated_at = ${now}
    FROM unnest(
      ${sql.val(outcomes.map((o) => o.id))}::uuid[],
      ${sql.val(outcomes.map((o) => o.status))}::text[],
      ${sql.val(outcomes.map((o) => o.reason))}::text[],
      ${sql.val(outcomes.map((o) => (o.response ? JSON.stringify(o.response) : null)))}::jsonb[],
      ${sql.val(outcomes.map((o) => (o.retryAt ? o.retryAt.toISOString() : null)))}::timestamptz[]
    ) AS o(id, status, reason, response, retry_at)
    WHERE m.id = o.id AND m.status = 'queued'
    RETURNING m.id`.execute(ex);
  return r.rows.map((x) => x.id);
}

export interface MessageFilter {
  profile_id?: string;
  scenario_id?: string;
  campaign_id?: string;
  status?: string;
  channel?: string;
  template_id?: string;
}

/** Newest first, keyed by id (UUIDv7 ids sort by creation). */
export async function listMessages(ex: Executor, f: MessageFilter, limit: number, before?: string): Promise<MessageRow[]> {
  let q = ex.selectFrom('messages').selectAll().orderBy('id', 'desc').limit(limit);
  if (f.profile_id) q = q.where('profile_id', '=', f.profile_id);
  if (f.scenario_id) q = q.where('scenario_id', '=', f.scenario_id);
  if (f.campaign_id) q = q.where('campaign_id', '=', f.campaign_id);
  if (f.status) q = q.where('status', '=', f.status);
  if (f.channel) q = q.where('channel', '=', f.channel);
  if (f.template_id) q = q.where('template_id', '=', f.template_id);
  if (before) q = q.where('id', '<', before);
  return (await q.execute()) as MessageRow[];
}

export async function countMessages(ex: Executor, status?: string): Promise<number> {
  let q = ex.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n'));
  if (status) q = q.where('status', '=', status);
  return Number((await q.executeTakeFirstOrThrow()).n);
}

/** Messages on the profile timeline: what was sent, held back (and until when), skipped or failed, and why. */
export async function messageTimeline(ex: Executor, profileId: string, before: TimelineEntry | null, limit: number): Promise<TimelineEntry[]> {
  let q = ex
    .selectFrom('messages')
    .select(['id', 'channel', 'template_id', 'status', 'reason', 'deferred_reason', 'scheduled_at', 'subject', 'created_at', 'sent_at', 'opened_at', 'clicked_at', 'scenario_id', 'node_id', 'campaign_id'])
    .where('profile_id', '=', profileId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit);
  if (before) {
    const at = new Date(before.at);
    q = q.where((eb) => eb.or([eb('created_at', '<', at), eb.and([eb('created_at', '=', at), eb('id', '<', before.id)])]));
  }
  const rows = await q.execute();
  return rows.map((r) => ({
    id: r.id,
    at: new Date(r.created_at).toISOString(),
    kind: 'message',
    title: `${r.channel} message ${r.status}${r.deferred_reason && r.status === 'queued' ? ' (deferred)' : ''}`,
    data: {
      message_id: r.id,
      channel: r.channel,
      template_id: r.template_id,
      status: r.status,
      reason: r.reason,
      deferred_reason: r.deferred_reason,
      scheduled_at: new Date(r.scheduled_at).toISOString(),
      sent_at: r.sent_at ? new Date(r.sent_at).toISOString() : null,
      opened_at: r.opened_at ? new Date(r.opened_at).toISOString() : null,
      clicked_at: r.clicked_at ? new Date(r.clicked_at).toISOString() : null,
      subject: r.subject,
      scenario_id: r.scenario_id,
      node_id: r.node_id,
      campaign_id: r.campaign_id,
    },
  }));
}

export interface RecipientProfile {
  id: string;
  email: string | null;
  phone: string | null;
  external_id: string | null;
  fields: Record<string, unknown>;
  subscriptions: Record<string, string>;
  created_at: Date;
  updated_at: Date;
}

/** The profiles a batch of sends goes to, in one query (erased ones are left out). */
export async function recipientProfiles(ex: Executor, ids: string[]): Promise<Map<string, RecipientProfile>> {
  if (!ids.length) return new Map();
  const rows = await ex
    .selectFrom('profiles')
    .select(['id', 'email', 'phone', 'external_id', 'fields', 'subscriptions', 'created_at', 'updated_at'])
    .where('id', 'in', ids)
    .where('erased_at', 'is', null)
    .execute();
  return new Map(rows.map((r) => [r.id, r as RecipientProfile]));
}

/** Sets one channel's subscription status; returns the status it had before, or undefined for no such profile. */
export async function setSubscription(ex: Executor, profileId: string, channel: string, status: string, now: Date): Promise<string | null | undefined> {
  const before = await sql<{ old: string | null }>`
    SELECT subscriptions ->> ${channel} AS old FROM profiles WHERE id = ${profileId} AND erased_at IS NULL FOR UPDATE`.execute(ex);
  if (!before.rows.length) return undefined;
  await sql`
    UPDATE profiles SET subscriptions = subscriptions || jsonb_build_object(${channel}::text, ${status}::text), updated_at = ${now}
    WHERE id = ${profileId}`.execute(ex);
  return before.rows[0].old;
}
