import { durationMs } from '../../domain/duration.js';
import { conversionCounts, deliveryCounts, recipientCounts } from '../../store/campaign-recipients.js';
import { runsOf, type CampaignRow, type CampaignRunRow } from '../../store/campaigns.js';
import type { Executor } from '../../store/db.js';

export interface VariantStats {
  variant: number;
  template_id: string;
  weight: number;
  /** Recipients assigned this variant (test share, everyone, or the rest after the winner). */
  recipients: number;
  pending: number;
  queued: number;
  deferred: number;
  sent: number;
  failed: number;
  skipped: number;
  winner: boolean;
}

export interface GroupConversion {
  profiles: number;
  converted: number;
  rate: number;
}

export interface CampaignStats {
  campaign_id: string;
  status: string;
  runs: number;
  /** Everyone the snapshots (or API sends) took in, control groups included. */
  audience: number;
  control_group: number;
  global_control_group: number;
  /** Waiting to be sent: due later, or (test then winner) the rest waiting for the winner. */
  pending: number;
  /** Of the pending ones, the rest held back until the winner is chosen. */
  held_for_winner: number;
  /** Handed to messaging, not delivered yet (deferred ones included). */
  queued: number;
  /** Held back by the frequency cap or quiet hours and still waiting. */
  deferred: number;
  sent: number;
  failed: number;
  skipped: { total: number; by_reason: Record<string, number> };
  canceled: number;
  variants: VariantStats[];
  winner: { run_id: string; variant: number | null; due_at: Date | null; results: object[] | null } | null;
  /** With a goal: who did the goal event within `within` of being sent (or held out), per group. */
  conversions: { event: string; within: string; sent: GroupConversion; control: GroupConversion; global_control: GroupConversion } | null;
}

const rate = (c: { profiles: number; converted: number }): GroupConversion => ({ ...c, rate: c.profiles ? Math.round((c.converted / c.profiles) * 10_000) / 10_000 : 0 });

/** The campaign's report over all its runs, or over one run. */
export async function campaignStats(ex: Executor, c: CampaignRow, runId?: string): Promise<CampaignStats> {
  const allRuns = await runsOf(ex, c.id);
  const runs: CampaignRunRow[] = runId ? allRuns.filter((r) => r.id === runId) : allRuns;
  const ids = runs.map((r) => r.id);
  const [counts, deliveries] = await Promise.all([recipientCounts(ex, ids), deliveryCounts(ex, ids)]);

  const variants: VariantStats[] = c.variants.map((v, i) => ({
    variant: i,
    template_id: v.template_id,
    weight: v.weight,
    recipients: 0,
    pending: 0,
    queued: 0,
    deferred: 0,
    sent: 0,
    failed: 0,
    skipped: 0,
    winner: false,
  }));
  const s: CampaignStats = {
    campaign_id: c.id,
    status: c.status,
    runs: runs.length,
    audience: 0,
    control_group: 0,
    global_control_group: 0,
    pending: 0,
    held_for_winner: 0,
    queued: 0,
    deferred: 0,
    sent: 0,
    failed: 0,
    skipped: { total: 0, by_reason: {} },
    canceled: 0,
    variants,
    winner: null,
    conversions: null,
  };
  for (const r of counts) {
    s.audience += r.n;
    const v = r.variant !== null ? variants[r.variant] : undefined;
    if (v) v.recipients += r.n;
    switch (r.status) {
      case 'control':
        if (r.grp === 'global_control') s.global_control_group += r.n;
        else s.control_group += r.n;
        break;
      case 'pending':
      case 'scheduled':
        s.pending += r.n;
        if (v) v.pending += r.n;
        break;
      case 'held':
        s.pending += r.n;
        s.held_for_winner += r.n;
        break;
      case 'skipped': {
        s.skipped.total += r.n;
        const reason = r.reason ?? 'unknown';
        s.skipped.by_reason[reason] = (s.skipped.by_reason[reason] ?? 0) + r.n;
        if (v) v.skipped += r.n;
        break;
      }
      case 'canceled':
        s.canceled += r.n;
        break;
    }
  }
  for (const d of deliveries) {
    const v = d.variant !== null ? variants[d.variant] : undefined;
    const add = (key: 'queued' | 'sent' | 'failed' | 'deferred') => {
      s[key] += d.n;
      if (v) v[key] += d.n;
    };
    if (d.status === 'sent') add('sent');
    else if (d.status === 'failed') add('failed');
    else if (d.status === 'queued') {
      add('queued');
      if (d.deferred) add('deferred');
    }
  }

  const tested = runs.find((r) => r.winner_due_at !== null || r.winner_variant !== null);
  if (tested) {
    s.winner = { run_id: tested.id, variant: tested.winner_variant, due_at: tested.winner_due_at, results: tested.winner_results };
    if (tested.winner_variant !== null && variants[tested.winner_variant]) variants[tested.winner_variant].winner = true;
  }

  if (c.goal) {
    const byGroup = new Map((await conversionCounts(ex, ids, c.goal.event, durationMs(c.goal.within))).map((g) => [g.grp, g]));
    const sum = (...groups: string[]) =>
      groups.reduce((acc, g) => ({ profiles: acc.profiles + (byGroup.get(g as never)?.profiles ?? 0), converted: acc.converted + (byGroup.get(g as never)?.converted ?? 0) }), {
        profiles: 0,
        converted: 0,
      });
    s.conversions = {
      event: c.goal.event,
      within: c.goal.within,
      sent: rate(sum('all', 'test', 'rest')),
      control: rate(sum('control')),
      global_control: rate(sum('global_control')),
    };
  }
  return s;
}
