import { durationMs, parseDuration } from '../duration.js';
import { isValidTimezone } from '../messaging/schedule.js';
import { TEMPLATE_CHANNELS } from '../messaging/template.js';
import { isUuid } from '../profiles/ref.js';
import { cronProblem, type CampaignSchedule } from './schedule.js';
import type { WinnerMetric } from './winner.js';

/**
 * A campaign: a one-shot broadcast, a regular mailing on a cron (each run its own audience snapshot), or a
 * trigger mailing sent through the API one profile at a time. The rules here are the ones a schema cannot
 * say: which fields go with which kind, and how the lifecycle moves.
 */
export const CAMPAIGN_KINDS = ['broadcast', 'regular', 'trigger'] as const;
export type CampaignKind = (typeof CAMPAIGN_KINDS)[number];
export const CAMPAIGN_STATUSES = ['draft', 'scheduled', 'running', 'paused', 'completed', 'canceled'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

export const MAX_VARIANTS = 10;
export const MAX_CONTROL_PERCENT = 50;

export interface CampaignVariant {
  template_id: string;
  weight: number;
}

export interface Audience {
  segment_ids: string[];
  exclude_segment_ids?: string[];
}

export interface WinnerSelection {
  /** Share of the audience (after control groups) that gets the variants first. */
  test_percent: number;
  metric: WinnerMetric;
  /** How long after the test share was sent the winner is chosen. */
  window: string;
}

/** What counts as success (reports compare the sent group with the control groups; `goal` winner metric). */
export interface CampaignGoal {
  event: string;
  within: string;
}

export interface CampaignDefinition {
  name: string;
  kind: CampaignKind;
  channel: string;
  variants: CampaignVariant[];
  audience: Audience | null;
  schedule: CampaignSchedule | null;
  send_in_profile_timezone: boolean;
  control_percent: number;
  throttle_per_minute: number | null;
  winner_selection: WinnerSelection | null;
  goal: CampaignGoal | null;
  data: Record<string, unknown>;
}

export interface RuleError {
  path: string;
  message: string;
}

function positiveDuration(d: string): boolean {
  const p = parseDuration(d);
  return !!p && !p.negative && durationMs(p) > 0;
}

/** Every rule the definition breaks, with the field it concerns (empty when it is fine). */
export function definitionErrors(d: CampaignDefinition): RuleError[] {
  const errors: RuleError[] = [];
  const err = (path: string, message: string) => errors.push({ path, message });

  if (!(TEMPLATE_CHANNELS as readonly string[]).includes(d.channel) && d.channel !== 'outbox' && !isUuid(d.channel))
    err('channel', `must be a channel type (${TEMPLATE_CHANNELS.join(', ')}), outbox, or a channel id`);
  if (d.variants.length < 1) err('variants', 'needs at least one variant');
  if (d.variants.length > MAX_VARIANTS) err('variants', `takes at most ${MAX_VARIANTS} variants`);
  d.variants.forEach((v, i) => {
    if (!(Number.isInteger(v.weight) && v.weight > 0)) err(`variants.${i}.weight`, 'must be a positive integer');
  });

  if (d.kind !== 'trigger' && (!d.audience || d.audience.segment_ids.length === 0)) err('audience.segment_ids', `is required for a ${d.kind} campaign`);
  if (d.audience) {
    const inc = new Set(d.audience.segment_ids);
    for (const [i, id] of (d.audience.exclude_segment_ids ?? []).entries())
      if (inc.has(id)) err(`audience.exclude_segment_ids.${i}`, 'is also an included segment');
  }

  const s = d.schedule;
  if (d.kind === 'broadcast' && s && 'cron' in s) err('schedule.cron', 'a broadcast is sent once: give schedule.at, or make it a regular campaign');
  if (d.kind === 'regular') {
    if (!s || !('cron' in s)) err('schedule.cron', 'is required for a regular campaign');
  }
  if (d.kind === 'trigger' && s) err('schedule', 'a trigger campaign sends when the API asks; it has no schedule');
  if (s && 'cron' in s) {
    if (!isValidTimezone(s.timezone)) err('schedule.timezone', 'is not a known IANA time zone (e.g. Europe/Berlin)');
    const p = cronProblem(s.cron, s.timezone);
    if (p) err('schedule.cron', p);
  }
  if (s && 'at' in s && Number.isNaN(new Date(s.at).getTime())) err('schedule.at', 'is not a date-time');
  if (d.send_in_profile_timezone && !(d.kind === 'broadcast' && s && 'at' in s))
    err('send_in_profile_timezone', 'needs a broadcast with schedule.at (the local time to send at)');

  if (!(d.control_percent >= 0 && d.control_percent <= MAX_CONTROL_PERCENT)) err('control_percent', `must be from 0 to ${MAX_CONTROL_PERCENT}`);
  if (d.throttle_per_minute !== null && d.kind === 'trigger') err('throttle', 'a trigger campaign sends each API request at once; throttle broadcasts and regular campaigns');

  const w = d.winner_selection;
  if (w) {
    if (d.kind === 'trigger') err('winner_selection', 'needs an audience to hold back the rest: use it with broadcast or regular campaigns');
    if (d.variants.length < 2) err('winner_selection', 'needs at least two variants to compare');
    if (!(w.test_percent > 0 && w.test_percent < 100)) err('winner_selection.test_percent', 'must be more than 0 and less than 100');
    if (!positiveDuration(w.window)) err('winner_selection.window', 'must be a positive ISO 8601 duration such as PT4H');
    if (w.metric === 'goal' && !d.goal) err('goal', 'is required when the winner is chosen by the goal');
  }
  if (d.goal && !positiveDuration(d.goal.within)) err('goal.within', 'must be a positive ISO 8601 duration such as P7D');
  return errors;
}

export type CampaignAction = 'start' | 'pause' | 'resume' | 'cancel';

/** The statuses an action may leave from. */
export const ACTION_FROM: Record<CampaignAction, readonly CampaignStatus[]> = {
  start: ['draft'],
  pause: ['scheduled', 'running'],
  resume: ['paused'],
  cancel: ['draft', 'scheduled', 'running', 'paused'],
};

export function actionRefusal(action: CampaignAction, status: CampaignStatus): string | null {
  if (ACTION_FROM[action].includes(status)) return null;
  return `A ${status} campaign cannot ${action === 'resume' ? 'be resumed' : action === 'start' ? 'be started' : action === 'pause' ? 'be paused' : 'be canceled'}; it must be ${ACTION_FROM[action].join(' or ')}.`;
}

/**
 * Where a campaign goes when it starts or resumes: scheduled while its first run lies ahead (a broadcast
 * with `at` still in the future), else running (sending, or a regular campaign waiting for its next cron time).
 */
export function activeStatus(kind: CampaignKind, firstRunAt: Date | null, hasRun: boolean, now: Date): 'scheduled' | 'running' {
  if (kind === 'broadcast' && !hasRun && firstRunAt && firstRunAt.getTime() > now.getTime()) return 'scheduled';
  return 'running';
}
