import { sql, type RawBuilder, type Selectable } from 'kysely';
import { WORD, GLOBAL_CONTROL_SEED, type AssignmentPlan, type RecipientGroup } from '../domain/campaigns/assignment.js';
import type { SqlBool } from './conditions.js';
import type { Executor } from './db.js';
import type { CampaignRecipientsTable } from './schema.js';

/** A campaign's recipients: the audience snapshot of each run, its delivery and the counts reports read. */
export type RecipientRow = Selectable<CampaignRecipientsTable>;

/**
 * The words of domain/campaigns/assignment.ts in SQL: words 0 and 1 (control, variant) from one 64-bit read
 * of the md5 digest, word 2 (test) only when the campaign tests. Unsigned, as in the domain.
 */
const high = (w64: RawBuilder<number>) => sql<number>`((${w64} >> 32) & 4294967295)`;
const low = (w64: RawBuilder<number>) => sql<number>`(${w64} & 4294967295)`;
const first64 = (digest: RawBuilder<string>) => sql<number>`('x' || left(${digest}, 16))::bit(64)::bigint`;
const word = (digest: RawBuilder<string>, k: number) => sql<number>`('x' || substr(${digest}, ${k * 8 + 1}, 8))::bit(32)::bigint`;

export interface SnapshotInput {
  runId: string;
  plan: AssignmentPlan;
  /** Profiles in any of the included segments … */
  include: SqlBool;
  /** … and in none of the excluded ones. */
  exclude: SqlBool | null;
  now: Date;
  /** Send in the profile's time zone: the moment per IANA zone (profile field `timezone`); a moment passed is due now. */
  zoneMoments: Map<string, Date> | null;
  /** With zone moments: when profiles without a known zone are due (the schedule's own moment). */
  defaultDue?: Date;
}

/**
 * The audience snapshot of a run in ONE set-based statement: every matching profile with its group
 * (control groups, test share, rest) and variant decided by hash in SQL, due now or at its local time.
 * Control-group rows are recorded as such (never sent, counted). Rows go in in profile order, which keeps
 * the primary key's inserts at its right edge. Returns the count per group.
 */
export async function snapshotAudience(ex: Executor, s: SnapshotInput): Promise<Map<RecipientGroup, number>> {
  const { plan } = s;
  if (WORD.control !== 0 || WORD.variant !== 1) throw new Error('the SQL reads control and variant as words 0 and 1');
  const h = sql<string>`x.h`;
  const w64 = sql<number>`x.w`;
  // one variant, no control group, no test: everyone is `all`, variant 0, and no hash is needed
  const split = plan.controlBound > 0 || plan.testBound !== null || plan.variantBounds.length > 1;
  const variantCase = sql`CASE ${sql.join(
    plan.variantBounds.map((b, i) => sql`WHEN a.w_variant < ${b}::bigint THEN ${i}::smallint`),
    sql` `,
  )} ELSE ${plan.variantBounds.length - 1}::smallint END`;
  const testCase = plan.testBound === null ? sql`'all'` : sql`CASE WHEN a.w_test < ${plan.testBound}::bigint THEN 'test' ELSE 'rest' END`;
  const groupCase = sql`CASE
      WHEN a.w_global < ${plan.globalControlBound}::bigint THEN 'global_control'
      WHEN a.w_control < ${plan.controlBound}::bigint THEN 'control'
      ELSE ${testCase} END`;
  const globalWord = plan.globalControlBound > 0 ? high(first64(sql`md5(${GLOBAL_CONTROL_SEED}::text || p.id::text)`)) : sql`0::bigint`;
  const zones = s.zoneMoments;
  const zoneJoin = zones
    ? sql`LEFT JOIN unnest(${[...zones.keys()]}::text[], ${[...zones.values()].map((d) => d.toISOString())}::timestamptz[]) AS z(zone, due) ON z.zone = p.fields ->> 'timezone'`
    : sql``;
  const due = zones ? sql`greatest(coalesce(z.due, ${s.defaultDue ?? s.now}::timestamptz), ${s.now}::timestamptz)` : sql`${s.now}::timestamptz`;
  const exclude = s.exclude ? sql` AND NOT ${s.exclude}` : sql``;
  // A big sort in memory rather than on disk; the audience is materialised so that the planner sorts it
  // instead of reading profiles in id order through the index (random heap access).
  await sql`SET LOCAL work_mem = '256MB'`.execute(ex);
  const r = await sql<{ grp: RecipientGroup; n: number }>`
    WITH aud AS MATERIALIZED (
      SELECT a.id, a.due, ${groupCase} AS grp, ${variantCase} AS variant
      FROM (
        SELECT p.id, ${due} AS due, ${split ? high(w64) : sql`0::bigint`} AS w_control, ${split ? low(w64) : sql`0::bigint`} AS w_variant,
          ${plan.testBound === null ? sql`0::bigint` : word(h, WORD.test)} AS w_test, ${globalWord} AS w_global
        FROM profiles p
        ${split ? sql`CROSS JOIN LATERAL (SELECT md5(${plan.seed}::text || p.id::text) AS h) d CROSS JOIN LATERAL (SELECT d.h, ${first64(sql`d.h`)} AS w) x` : sql``}
        ${zoneJoin}
        WHERE p.erased_at IS NULL AND ${s.include}${exclude}
      ) a
    ), ins AS (
      INSERT INTO campaign_recipients (run_id, profile_id, seq, grp, variant, status, due_at, done_at)
      SELECT ${s.runId}::uuid, b.id, 0, b.grp,
        CASE WHEN b.grp IN ('all', 'test') THEN b.variant END,
        CASE b.grp WHEN 'rest' THEN 'held' WHEN 'control' THEN 'control' WHEN 'global_control' THEN 'control'
          ELSE CASE WHEN b.due > ${s.now}::timestamptz THEN 'scheduled' ELSE 'pending' END END,
        CASE WHEN b.grp IN ('all', 'test') THEN b.due END,
        CASE WHEN b.grp IN ('control', 'global_control') THEN ${s.now}::timestamptz END
      FROM aud b
      ORDER BY b.id
    )
    SELECT grp, count(*)::int AS n FROM aud GROUP BY grp`.execute(ex);
  return new Map(r.rows.map((x) => [x.grp, x.n]));
}

/** Fresh statistics after a big snapshot, so that plans over the new run's rows fit their number. */
export async function analyzeRecipients(ex: Executor): Promise<void> {
  await sql`ANALYZE campaign_recipients`.execute(ex);
}

export interface ClaimedRecipient {
  profile_id: string;
  seq: number;
  grp: RecipientGroup;
  variant: number;
}

/** Where a worker's last claim in a run ended: the next claim goes on from there instead of re-reading what is done. */
export interface ClaimCursor {
  profile_id: string;
  seq: number;
}

/**
 * Up to `limit` of the run's pending recipients after `after`, along the primary key, locked for this
 * worker (SKIP LOCKED: workers share a run).
 */
export async function claimRecipients(ex: Executor, runId: string, limit: number, after: ClaimCursor | null = null): Promise<ClaimedRecipient[]> {
  if (limit <= 0) return [];
  const from = after ? sql` AND (profile_id, seq) > (${after.profile_id}::uuid, ${after.seq}::bigint)` : sql``;
  const r = await sql<ClaimedRecipient>`
    SELECT profile_id, seq, grp, variant FROM campaign_recipients
    WHERE run_id = ${runId} AND status = 'pending'${from}
    ORDER BY profile_id, seq LIMIT ${limit}
    FOR UPDATE SKIP LOCKED`.execute(ex);
  return r.rows.map((x) => ({ ...x, seq: Number(x.seq) }));
}

/** Recipients whose local send time has come become pending (due). */
export async function promoteDue(ex: Executor, runIds: string[], now: Date): Promise<number> {
  if (!runIds.length) return 0;
  const r = await sql`
    UPDATE campaign_recipients SET status = 'pending'
    WHERE run_id = ANY(${runIds}::uuid[]) AND status = 'scheduled' AND due_at <= ${now}`.execute(ex);
  return Number(r.numAffectedRows ?? 0);
}

export interface RecipientOutcome {
  profile_id: string;
  seq: number;
  status: 'sent' | 'skipped';
  reason: string | null;
  message_id: string | null;
  deferred: boolean;
}

/**
 * Records what became of claimed recipients, in one statement; only rows still pending change. The
 * `profile_id = ANY(…)` restates the join as an index condition, so that the plan is a primary-key lookup
 * per recipient even while the table's statistics do not know the new run yet.
 */
export async function recordOutcomes(ex: Executor, runId: string, outcomes: RecipientOutcome[], now: Date): Promise<number> {
  if (!outcomes.length) return 0;
  const ids = outcomes.map((o) => o.profile_id);
  const r = await sql`
    UPDATE campaign_recipients r SET status = o.status, reason = o.reason, message_id = o.message_id, deferred = o.deferred, done_at = ${now}
    FROM unnest(
      ${ids}::uuid[],
      ${outcomes.map((o) => o.seq)}::bigint[],
      ${outcomes.map((o) => o.status)}::text[],
      ${outcomes.map((o) => o.reason)}::text[],
      ${outcomes.map((o) => o.message_id)}::uuid[],
      ${outcomes.map((o) => o.deferred)}::boolean[]
    ) AS o(profile_id, seq, status, reason, message_id, deferred)
    WHERE r.run_id = ${runId} AND r.profile_id = ANY(${ids}::uuid[]) AND r.profile_id = o.profile_id AND r.seq = o.seq AND r.status = 'pending'`.execute(ex);
  return Number(r.numAffectedRows ?? 0);
}

export interface TriggerRecipient {
  profile_id: string;
  grp: RecipientGroup;
  variant: number | null;
  status: 'sent' | 'skipped' | 'control';
  reason: string | null;
  message_id: string | null;
  deferred: boolean;
}

/** Records API sends of a trigger campaign (each its own row, numbered from campaign_send_seq). */
export async function insertTriggerRecipients(ex: Executor, runId: string, rows: TriggerRecipient[], now: Date): Promise<void> {
  if (!rows.length) return;
  await sql`
    INSERT INTO campaign_recipients (run_id, profile_id, seq, grp, variant, status, reason, message_id, deferred, done_at)
    SELECT ${runId}::uuid, t.profile_id, nextval('campaign_send_seq'), t.grp, t.variant, t.status, t.reason, t.message_id, t.deferred, ${now}::timestamptz
    FROM unnest(
      ${rows.map((x) => x.profile_id)}::uuid[],
      ${rows.map((x) => x.grp)}::text[],
      ${rows.map((x) => x.variant)}::smallint[],
      ${rows.map((x) => x.status)}::text[],
      ${rows.map((x) => x.reason)}::text[],
      ${rows.map((x) => x.message_id)}::uuid[],
      ${rows.map((x) => x.deferred)}::boolean[]
    ) AS t(profile_id, grp, variant, status, reason, message_id, deferred)`.execute(ex);
}

/** After the winner is chosen: the rest gets the winning variant and is due now. */
export async function releaseRest(ex: Executor, runId: string, variant: number, now: Date): Promise<number> {
  const r = await sql`
    UPDATE campaign_recipients SET status = 'pending', variant = ${variant}, due_at = ${now}
    WHERE run_id = ${runId} AND status = 'held'`.execute(ex);
  return Number(r.numAffectedRows ?? 0);
}

/** A canceled campaign: what was still to be sent is recorded as canceled. */
export async function cancelPending(ex: Executor, runIds: string[], now: Date): Promise<number> {
  if (!runIds.length) return 0;
  const r = await sql`
    UPDATE campaign_recipients SET status = 'canceled', reason = 'campaign canceled', done_at = ${now}
    WHERE run_id = ANY(${runIds}::uuid[]) AND status IN ('pending', 'scheduled', 'held')`.execute(ex);
  return Number(r.numAffectedRows ?? 0);
}

// ---------------------------------------------------------------------------------------------------
// Counts

export interface RecipientCount {
  grp: RecipientGroup;
  variant: number | null;
  status: RecipientRow['status'];
  reason: string | null;
  n: number;
}

/** Recipients of the runs counted by group, variant, status and (for skipped ones) reason. */
export async function recipientCounts(ex: Executor, runIds: string[]): Promise<RecipientCount[]> {
  if (!runIds.length) return [];
  const r = await sql<RecipientCount>`
    SELECT grp, variant, status, CASE WHEN status = 'skipped' THEN reason END AS reason, count(*)::int AS n
    FROM campaign_recipients WHERE run_id = ANY(${runIds}::uuid[])
    GROUP BY 1, 2, 3, 4`.execute(ex);
  return r.rows;
}

export interface DeliveryCount {
  variant: number | null;
  status: string;
  deferred: boolean;
  n: number;
}

/** What became of the messages handed to messaging: counted by variant, message status and deferral. */
export async function deliveryCounts(ex: Executor, runIds: string[]): Promise<DeliveryCount[]> {
  if (!runIds.length) return [];
  const r = await sql<DeliveryCount>`
    SELECT r.variant, m.status, r.deferred, count(*)::int AS n
    FROM campaign_recipients r JOIN messages m ON m.id = r.message_id
    WHERE r.run_id = ANY(${runIds}::uuid[]) AND r.status = 'sent'
    GROUP BY 1, 2, 3`.execute(ex);
  return r.rows;
}

export interface ConversionCount {
  grp: RecipientGroup;
  profiles: number;
  converted: number;
}

/**
 * Per group, how many recipients did `event` within `withinMs` of being sent (or, for control groups, of
 * the snapshot): the comparison between who got the campaign and who was held out.
 */
export async function conversionCounts(ex: Executor, runIds: string[], event: string, withinMs: number): Promise<ConversionCount[]> {
  if (!runIds.length) return [];
  const r = await sql<ConversionCount>`
    SELECT r.grp, count(*)::int AS profiles,
      count(*) FILTER (WHERE EXISTS (
        SELECT 1 FROM events e WHERE e.profile_id = r.profile_id AND e.name = ${event}
          AND e.occurred_at >= r.done_at AND e.occurred_at < r.done_at + ${withinMs} * interval '1 millisecond'))::int AS converted
    FROM campaign_recipients r
    WHERE r.run_id = ANY(${runIds}::uuid[]) AND r.status IN ('sent', 'control')
    GROUP BY 1`.execute(ex);
  return r.rows;
}

/**
 * How each variant did on the test share up to `until`: test recipients handed over, and how many of them
 * had `event` — for opens and clicks the tracking event of their own message, for a goal any such event
 * after their message was sent.
 */
export async function testResults(
  ex: Executor,
  runId: string,
  event: string,
  byMessage: boolean,
  until: Date,
): Promise<{ variant: number; sent: number; converted: number }[]> {
  const match = byMessage ? sql`AND e.properties ->> 'message_id' = r.message_id::text` : sql`AND e.occurred_at >= r.done_at`;
  const r = await sql<{ variant: number; sent: number; converted: number }>`
    SELECT r.variant, count(*)::int AS sent,
      count(*) FILTER (WHERE EXISTS (
        SELECT 1 FROM events e WHERE e.profile_id = r.profile_id AND e.name = ${event} ${match} AND e.occurred_at <= ${until}))::int AS converted
    FROM campaign_recipients r
    WHERE r.run_id = ${runId} AND r.grp = 'test' AND r.status = 'sent'
    GROUP BY 1`.execute(ex);
  return r.rows;
}

export interface RecipientFilter {
  run_id?: string;
  status?: string;
  group?: string;
  profile_id?: string;
}

/** Recipients of a campaign's runs, by run then profile. */
export async function listRecipients(
  ex: Executor,
  runIds: string[],
  f: RecipientFilter,
  limit: number,
  after?: [string, string, number],
): Promise<RecipientRow[]> {
  const runs = f.run_id ? runIds.filter((r) => r === f.run_id) : runIds;
  if (!runs.length) return [];
  let q = ex
    .selectFrom('campaign_recipients')
    .selectAll()
    .where('run_id', 'in', runs)
    .orderBy('run_id')
    .orderBy('profile_id')
    .orderBy('seq')
    .limit(limit);
  if (f.status) q = q.where('status', '=', f.status as RecipientRow['status']);
  if (f.group) q = q.where('grp', '=', f.group as RecipientGroup);
  if (f.profile_id) q = q.where('profile_id', '=', f.profile_id);
  if (after) {
    const [run, profile, seq] = after;
    q = q.where((eb) =>
      eb.or([
        eb('run_id', '>', run),
        eb.and([eb('run_id', '=', run), eb('profile_id', '>', profile)]),
        eb.and([eb('run_id', '=', run), eb('profile_id', '=', profile), eb('seq', '>', seq)]),
      ]),
    );
  }
  return (await q.execute()).map((r) => ({ ...r, seq: Number(r.seq) }));
}
