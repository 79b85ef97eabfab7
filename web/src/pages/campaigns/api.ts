import { api, type Page } from '../../api/client';

export const CAMPAIGN_KINDS = ['broadcast', 'regular', 'trigger'] as const;
export type CampaignKind = (typeof CAMPAIGN_KINDS)[number];
export type CampaignStatus = 'draft' | 'scheduled' | 'running' | 'paused' | 'completed' | 'canceled';

export const KIND_LABEL: Record<CampaignKind, string> = {
  broadcast: 'Broadcast — once, now or at a date',
  regular: 'Regular — on a schedule (cron)',
  trigger: 'Trigger — one profile at a time through the API',
};

export interface Campaign {
  id: string;
  name: string;
  kind: CampaignKind;
  status: CampaignStatus;
  channel: string;
  template_id: string | null;
  variants: { template_id: string; weight: number }[];
  audience: { segment_ids: string[]; exclude_segment_ids?: string[] } | null;
  schedule: { at: string } | { cron: string; timezone: string } | null;
  send_in_profile_timezone: boolean;
  control_percent: number;
  throttle: { per_minute: number } | null;
  winner_selection: { test_percent: number; metric: string; window: string } | null;
  goal: { event: string; within: string } | null;
  data: Record<string, unknown>;
  next_run_at: string | null;
  started_at: string | null;
  completed_at: string | null;
  created_at: string;
  updated_at: string;
}

interface Counts {
  pending: number;
  queued: number;
  deferred: number;
  sent: number;
  failed: number;
}

export interface CampaignStats extends Counts {
  campaign_id: string;
  status: CampaignStatus;
  runs: number;
  audience: number;
  control_group: number;
  global_control_group: number;
  held_for_winner: number;
  skipped: { total: number; by_reason: Record<string, number> };
  canceled: number;
  variants: (Counts & { variant: number; template_id: string; weight: number; recipients: number; skipped: number; winner: boolean })[];
  winner: { run_id: string; variant: number | null; due_at: string | null; results: Record<string, unknown>[] | null } | null;
  conversions: {
    event: string;
    within: string;
    sent: { profiles: number; converted: number; rate: number };
    control: { profiles: number; converted: number; rate: number };
    global_control: { profiles: number; converted: number; rate: number };
  } | null;
}

export interface Recipient {
  run_id: string;
  profile_id: string;
  group: string;
  variant: number | null;
  status: string;
  reason: string | null;
  message_id: string | null;
  deferred: boolean;
  due_at: string | null;
  done_at: string | null;
}

export interface Engagement {
  messages: number;
  opened: number;
  clicked: number;
  clicks: number;
  /** More messages than one page holds: the figures count the newest 1000. */
  partial: boolean;
}

/** Opens and clicks of a campaign's messages, counted from GET /messages?campaign_id= (newest 1000). */
export async function engagementOf(campaignId: string, signal?: AbortSignal): Promise<Engagement> {
  const page = await api.get<Page<{ opened_at: string | null; clicked_at: string | null; clicks: number }>>('/messages', { campaign_id: campaignId, limit: 1000 }, signal);
  return {
    messages: page.items.length,
    opened: page.items.filter((m) => m.opened_at).length,
    clicked: page.items.filter((m) => m.clicked_at).length,
    clicks: page.items.reduce((s, m) => s + (m.clicks ?? 0), 0),
    partial: page.next_cursor !== null,
  };
}
