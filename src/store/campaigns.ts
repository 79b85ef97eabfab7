import { sql, type Selectable } from 'kysely';
import type { CampaignDefinition, CampaignStatus } from '../domain/campaigns/campaign.js';
import type { Executor } from './db.js';
import { newId } from './ids.js';
import type { CampaignRunsTable, CampaignsTable } from './schema.js';

/** Campaign definitions, their lifecycle and their runs. Recipients are in campaign-recipients.ts. */
export type CampaignRow = Omit<Selectable<CampaignsTable>, 'control_percent'> & { control_percent: number };
export type CampaignRunRow = Selectable<CampaignRunsTable>;

const fromRow = (r: Selectable<CampaignsTable>): CampaignRow => ({ ...r, control_percent: Number(r.control_percent) });
const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));

function columns(d: CampaignDefinition) {
  return {
    name: d.name,
    kind: d.kind,
    channel: d.channel,
    variants: JSON.stringify(d.variants),
    audience: json(d.audience),
    schedule: json(d.schedule),
    send_in_profile_timezone: d.send_in_profile_timezone,
    control_percent: d.control_percent,
    throttle_per_minute: d.throttle_per_minute,
    winner_selection: json(d.winner_selection),
    goal: json(d.goal),
    data: JSON.stringify(d.data),
  };
}

export async function insertCampaign(ex: Executor, d: CampaignDefinition, now: Date): Promise<CampaignRow> {
  const row = await ex
    .insertInto('campaigns')
    .values({ id: newId(), ...columns(d), status: 'draft', created_at: now, updated_at: now })
    .returningAll()
    .executeTakeFirstOrThrow();
  return fromRow(row);
}

/** Replaces the definition of a draft; undefined when the campaign is not (or no longer) a draft. */
export async function updateDraft(ex: Executor, id: string, d: CampaignDefinition, now: Date): Promise<CampaignRow | undefined> {
  const row = await ex
    .updateTable('campaigns')
    .set({ ...columns(d), updated_at: now })
    .where('id', '=', id)
    .where('status', '=', 'draft')
    .returningAll()
    .executeTakeFirst();
  return row && fromRow(row);
}

export async function deleteDraft(ex: Executor, id: string): Promise<boolean> {
  const r = await ex.deleteFrom('campaigns').where('id', '=', id).where('status', '=', 'draft').executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export async function getCampaign(ex: Executor, id: string, forUpdate = false): Promise<CampaignRow | undefined> {
  let q = ex.selectFrom('campaigns').selectAll().where('id', '=', id);
  if (forUpdate) q = q.forUpdate();
  const row = await q.executeTakeFirst();
  return row && fromRow(row);
}

export async function listCampaigns(ex: Executor, limit: number, after?: string, f: { status?: string; kind?: string } = {}): Promise<CampaignRow[]> {
  let q = ex.selectFrom('campaigns').selectAll().orderBy('id', 'desc').limit(limit);
  if (after) q = q.where('id', '<', after);
  if (f.status) q = q.where('status', '=', f.status as CampaignStatus);
  if (f.kind) q = q.where('kind', '=', f.kind as CampaignRow['kind']);
  return (await q.execute()).map(fromRow);
}

export interface StatusChange {
  status: CampaignStatus;
  next_run_at?: Date | null;
  started_at?: Date;
  paused_at?: Date | null;
  completed_at?: Date;
}

/** Moves the campaign from one of `from` to a new status in one conditional UPDATE; undefined when it was elsewhere. */
export async function changeStatus(ex: Executor, id: string, from: readonly CampaignStatus[], to: StatusChange, now: Date): Promise<CampaignRow | undefined> {
  const row = await ex
    .updateTable('campaigns')
    .set({ ...to, updated_at: now })
    .where('id', '=', id)
    .where('status', 'in', [...from])
    .returningAll()
    .executeTakeFirst();
  return row && fromRow(row);
}

/** Campaigns whose next run is due (broadcast `at`, cron time), locked for this worker. */
export async function claimDueCampaigns(ex: Executor, now: Date, limit: number): Promise<CampaignRow[]> {
  const rows = await ex
    .selectFrom('campaigns')
    .selectAll()
    .where('next_run_at', '<=', now)
    .where('status', 'in', ['scheduled', 'running'])
    .orderBy('next_run_at')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
  return rows.map(fromRow);
}

export async function setNextRun(ex: Executor, id: string, nextRunAt: Date | null, status: CampaignStatus, now: Date): Promise<void> {
  await ex.updateTable('campaigns').set({ next_run_at: nextRunAt, status, updated_at: now }).where('id', '=', id).execute();
}

// ---------------------------------------------------------------------------------------------------
// Runs

/** A new run for this scheduled time; undefined when that time has its run already. */
export async function insertRun(ex: Executor, campaignId: string, scheduledFor: Date, now: Date): Promise<CampaignRunRow | undefined> {
  return ex
    .insertInto('campaign_runs')
    .values({ id: newId(), campaign_id: campaignId, scheduled_for: scheduledFor, status: 'sending', started_at: now })
    .onConflict((oc) => oc.columns(['campaign_id', 'scheduled_for']).doNothing())
    .returningAll()
    .executeTakeFirst();
}

/** The snapshot's size: everyone taken in, what is to be sent (`remaining`), and the rest held for the winner. */
export async function recordSnapshot(ex: Executor, runId: string, counts: { audience: number; remaining: number; rest: number }, ms: number): Promise<void> {
  await ex.updateTable('campaign_runs').set({ ...counts, snapshot_ms: ms }).where('id', '=', runId).execute();
}

/** `n` more of the run's recipients are done (sent or skipped); in the batch's transaction. */
export async function recipientsDone(ex: Executor, runId: string, n: number): Promise<void> {
  if (n > 0) await sql`UPDATE campaign_runs SET remaining = remaining - ${n} WHERE id = ${runId}`.execute(ex);
}

export async function getRun(ex: Executor, id: string): Promise<CampaignRunRow | undefined> {
  return ex.selectFrom('campaign_runs').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function runsOf(ex: Executor, campaignId: string, limit = 1000, before?: string): Promise<CampaignRunRow[]> {
  let q = ex.selectFrom('campaign_runs').selectAll().where('campaign_id', '=', campaignId).orderBy('id', 'desc').limit(limit);
  if (before) q = q.where('id', '<', before);
  return q.execute();
}

/** The one run of a trigger campaign, which records its API sends. */
export async function triggerRun(ex: Executor, campaignId: string): Promise<CampaignRunRow | undefined> {
  return ex.selectFrom('campaign_runs').selectAll().where('campaign_id', '=', campaignId).orderBy('scheduled_for').limit(1).executeTakeFirst();
}

/** Runs that are sending for campaigns that are running (not paused) and have recipients left: what delivery works on. */
export async function deliverableRuns(ex: Executor): Promise<(CampaignRunRow & { throttle_per_minute: number | null })[]> {
  return ex
    .selectFrom('campaign_runs as r')
    .innerJoin('campaigns as c', 'c.id', 'r.campaign_id')
    .selectAll('r')
    .select('c.throttle_per_minute')
    .where('r.status', '=', 'sending')
    .where('r.remaining', '>', 0)
    .where('c.status', '=', 'running')
    .where('c.kind', '!=', 'trigger')
    .orderBy('r.started_at')
    .execute();
}

/**
 * Takes up to `want` sends from the run's per-minute allowance, under the run's row lock (held until the
 * caller's transaction ends, so concurrent workers share one allowance). Returns how many may go now.
 */
export async function takeThrottle(ex: Executor, runId: string, perMinute: number, want: number, now: Date): Promise<number> {
  const minute = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
  const cur = await sql<{ throttle_window: Date | null; throttle_count: number }>`
    SELECT throttle_window, throttle_count FROM campaign_runs WHERE id = ${runId} FOR UPDATE`.execute(ex);
  const row = cur.rows[0];
  if (!row) return 0;
  const used = row.throttle_window && new Date(row.throttle_window).getTime() === minute.getTime() ? row.throttle_count : 0;
  const granted = Math.max(0, Math.min(want, perMinute - used));
  if (granted > 0)
    await sql`UPDATE campaign_runs SET throttle_window = ${minute}, throttle_count = ${used + granted} WHERE id = ${runId}`.execute(ex);
  return granted;
}

/** Gives back what a batch took from the allowance but did not send (fewer recipients were due). */
export async function returnThrottle(ex: Executor, runId: string, unused: number): Promise<void> {
  if (unused > 0) await sql`UPDATE campaign_runs SET throttle_count = greatest(0, throttle_count - ${unused}) WHERE id = ${runId}`.execute(ex);
}

/**
 * Runs of test-then-winner campaigns whose test share is all handed over: the window starts now.
 * Returns the runs whose clock started.
 */
export async function startWinnerWindows(ex: Executor, now: Date): Promise<{ id: string; window: string }[]> {
  const r = await sql<{ id: string; window: string }>`
    UPDATE campaign_runs u SET test_sent_at = ${now}
    FROM campaigns c
    WHERE c.id = u.campaign_id AND c.status = 'running' AND c.winner_selection IS NOT NULL
      AND u.status = 'sending' AND u.test_sent_at IS NULL AND u.snapshot_ms IS NOT NULL
      AND u.remaining <= u.rest
    RETURNING u.id, c.winner_selection ->> 'window' AS window`.execute(ex);
  return r.rows;
}

export async function setWinnerDue(ex: Executor, runId: string, at: Date): Promise<void> {
  await ex.updateTable('campaign_runs').set({ winner_due_at: at }).where('id', '=', runId).execute();
}

/** Runs whose winner is due (the campaign running), locked for this worker. */
export async function claimDueWinners(ex: Executor, now: Date, limit: number): Promise<(CampaignRunRow & { campaign: CampaignRow })[]> {
  const runs = await ex
    .selectFrom('campaign_runs as u')
    .innerJoin('campaigns as c', 'c.id', 'u.campaign_id')
    .selectAll('u')
    .where('u.status', '=', 'sending')
    .where('u.winner_due_at', '<=', now)
    .where('u.winner_variant', 'is', null)
    .where('c.status', '=', 'running')
    .limit(limit)
    .forUpdate('u')
    .skipLocked()
    .execute();
  const out: (CampaignRunRow & { campaign: CampaignRow })[] = [];
  for (const r of runs) out.push({ ...r, campaign: (await getCampaign(ex, r.campaign_id))! });
  return out;
}

export async function recordWinner(ex: Executor, runId: string, variant: number, results: object[]): Promise<void> {
  await ex.updateTable('campaign_runs').set({ winner_variant: variant, winner_results: JSON.stringify(results) }).where('id', '=', runId).execute();
}

/**
 * Runs with nothing left to send become completed, and broadcasts whose run completed become completed.
 * Returns the campaigns that completed.
 */
export async function completeFinishedRuns(ex: Executor, now: Date): Promise<string[]> {
  await sql`
    UPDATE campaign_runs u SET status = 'completed', completed_at = ${now}
    FROM campaigns c
    WHERE c.id = u.campaign_id AND c.kind != 'trigger' AND u.status = 'sending' AND u.snapshot_ms IS NOT NULL AND u.remaining <= 0`.execute(ex);
  const done = await sql<{ id: string }>`
    UPDATE campaigns c SET status = 'completed', completed_at = ${now}, updated_at = ${now}
    WHERE c.kind = 'broadcast' AND c.status = 'running' AND c.next_run_at IS NULL
      AND EXISTS (SELECT 1 FROM campaign_runs u WHERE u.campaign_id = c.id)
      AND NOT EXISTS (SELECT 1 FROM campaign_runs u WHERE u.campaign_id = c.id AND u.status = 'sending')
    RETURNING c.id`.execute(ex);
  return done.rows.map((r) => r.id);
}

/** Cancels the campaign's runs that are sending. */
export async function cancelRuns(ex: Executor, campaignId: string, now: Date): Promise<string[]> {
  const r = await ex
    .updateTable('campaign_runs')
    .set({ status: 'canceled', completed_at: now, remaining: 0 })
    .where('campaign_id', '=', campaignId)
    .where('status', '=', 'sending')
    .returning('id')
    .execute();
  return r.map((x) => x.id);
}

export async function countRuns(ex: Executor, campaignId: string): Promise<number> {
  const r = await ex.selectFrom('campaign_runs').select((eb) => eb.fn.countAll<number>().as('n')).where('campaign_id', '=', campaignId).executeTakeFirstOrThrow();
  return Number(r.n);
}
