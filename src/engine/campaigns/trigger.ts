import { sql } from 'kysely';
import type { AppContext } from '../../context.js';
import { assign, type RecipientGroup } from '../../domain/campaigns/assignment.js';
import { insertTriggerRecipients, type TriggerRecipient } from '../../store/campaign-recipients.js';
import { getCampaign, triggerRun, type CampaignRow } from '../../store/campaigns.js';
import type { Tx } from '../../store/db.js';
import { evaluateForProfiles } from '../../store/segments.js';
import { MESSAGE_DELIVERY_TASK } from '../messaging.js';
import { audienceConditions, planFor } from './audience.js';
import { CampaignNotFound, CampaignRefusal } from './errors.js';
import { sendCampaignBatch, type CampaignSend } from './send.js';

export const MAX_TRIGGER_BATCH = 10_000;
const CHUNK = 500;

export interface TriggerRequest {
  profile_id: string;
  data?: Record<string, unknown>;
  /** Makes the send once-only: a repeat answers with the first message. */
  dedupe_key?: string;
}

export interface TriggerResult {
  message_id: string | null;
  status: 'queued' | 'skipped';
  reason: string | null;
  /** Why nothing was sent by the campaign's own rules: `control-group`, `global-control-group`, `not-in-audience`. */
  skipped?: 'control-group' | 'global-control-group' | 'not-in-audience';
  group: RecipientGroup;
  variant: number | null;
  deferred_until: Date | null;
  duplicate: boolean;
}

/**
 * API sends of a trigger campaign (transactional and API-triggered messages): each profile's variant and
 * control-group membership decided by hash as in a broadcast, the audience (when the campaign has one)
 * checked for these profiles in one query, then the messages written in batches; every send is recorded
 * as a recipient of the campaign's run, so stats and control-group comparisons read the same rows.
 */
export async function triggerSends(ctx: AppContext, campaignId: string, reqs: TriggerRequest[]): Promise<TriggerResult[]> {
  const c = await getCampaign(ctx.db, campaignId);
  if (!c) throw new CampaignNotFound();
  if (c.kind !== 'trigger') throw new CampaignRefusal('campaign-not-trigger', `This is a ${c.kind} campaign; only trigger campaigns send through the API.`);
  if (c.status !== 'running') throw new CampaignRefusal('campaign-not-running', `The campaign is ${c.status}; start it (or resume it) to send.`);
  const run = await triggerRun(ctx.db, c.id);
  if (!run) throw new CampaignRefusal('campaign-not-running', 'The campaign has no open run.');
  const out: TriggerResult[] = [];
  for (let i = 0; i < reqs.length; i += CHUNK) {
    const chunk = reqs.slice(i, i + CHUNK);
    out.push(...(await ctx.db.transaction().execute((tx) => sendChunk(ctx, tx, c, run.id, chunk))));
  }
  if (out.some((r) => r.status === 'queued')) await ctx.work.announce(MESSAGE_DELIVERY_TASK);
  return out;
}

async function sendChunk(ctx: AppContext, tx: Tx, c: CampaignRow, runId: string, reqs: TriggerRequest[]): Promise<TriggerResult[]> {
  const now = ctx.clock.now();
  const { plan } = await planFor(ctx, tx, c);
  let inAudience: Map<string, boolean[]> | null = null;
  if (c.audience?.segment_ids.length) {
    const { include, exclude } = await audienceConditions(tx, c.audience, now);
    const cond = exclude ? sql<boolean>`(${include} AND NOT ${exclude})` : include;
    inAudience = await evaluateForProfiles(tx, [cond], [...new Set(reqs.map((r) => r.profile_id))]);
  }
  const results: TriggerResult[] = [];
  const sends: CampaignSend[] = [];
  const sendIndex: number[] = [];
  for (const [i, r] of reqs.entries()) {
    const a = assign(plan, r.profile_id);
    const base = { message_id: null, status: 'skipped' as const, group: a.group, variant: a.variant, deferred_until: null, duplicate: false };
    if (inAudience && !inAudience.get(r.profile_id)?.[0]) results.push({ ...base, reason: 'not in the campaign audience', skipped: 'not-in-audience' });
    else if (a.group === 'global_control') results.push({ ...base, reason: 'in the global control group', skipped: 'global-control-group' });
    else if (a.group === 'control') results.push({ ...base, reason: "in the campaign's control group", skipped: 'control-group' });
    else {
      results.push({ ...base, reason: null });
      sends.push({ profile_id: r.profile_id, variant: a.variant ?? 0, data: r.data, dedupe_key: r.dedupe_key ? `campaign:${c.id}:${r.dedupe_key}` : undefined });
      sendIndex.push(i);
    }
  }
  const sent = await sendCampaignBatch(ctx, tx, c, sends, now);
  sent.forEach((s, k) => {
    const res = results[sendIndex[k]];
    Object.assign(res, {
      message_id: s.message_id,
      status: s.status === 'sent' ? 'queued' : 'skipped',
      reason: s.reason,
      deferred_until: s.deferred ? s.scheduled_at : null,
      duplicate: s.duplicate,
    });
  });
  const rows: TriggerRecipient[] = [];
  for (const [i, r] of results.entries()) {
    if (r.duplicate) continue;
    rows.push({
      profile_id: reqs[i].profile_id,
      grp: r.group,
      variant: r.variant,
      status: r.skipped === 'control-group' || r.skipped === 'global-control-group' ? 'control' : r.status === 'queued' ? 'sent' : 'skipped',
      reason: r.skipped?.endsWith('control-group') ? null : r.reason,
      message_id: r.message_id,
      deferred: r.deferred_until !== null,
    });
  }
  await insertTriggerRecipients(tx, runId, rows, now);
  return results;
}
