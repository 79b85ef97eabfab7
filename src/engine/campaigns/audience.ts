import { sql } from 'kysely';
import type { AppContext } from '../../context.js';
import { assignmentPlan, type AssignmentPlan } from '../../domain/campaigns/assignment.js';
import type { Audience } from '../../domain/campaigns/campaign.js';
import type { CampaignRow } from '../../store/campaigns.js';
import type { SqlBool } from '../../store/conditions.js';
import type { Executor } from '../../store/db.js';
import { getSegment, membershipCondition, referencedSegments } from '../../store/segments.js';
import { getTemplates, type TemplateRow } from '../../store/templates.js';
import { messaging } from '../messaging.js';

/** `control_group_percent` of `PUT /settings/messaging`: the share of profiles no marketing campaign sends to. */
export interface ControlGroupSettings {
  control_group_percent?: number | null;
}

export async function globalControlPercent(ctx: AppContext, ex: Executor): Promise<number> {
  const s = (await messaging(ctx).settings(ex)) as ControlGroupSettings;
  return typeof s.control_group_percent === 'number' ? s.control_group_percent : 0;
}

/** Campaigns whose every template is transactional (receipts, service notices) are not marketing: the global control group does not apply. */
export function isMarketing(templates: TemplateRow[]): boolean {
  return templates.length === 0 || templates.some((t) => !t.transactional);
}

export async function planFor(ctx: AppContext, ex: Executor, c: CampaignRow): Promise<{ plan: AssignmentPlan; templates: TemplateRow[] }> {
  const templates = await getTemplates(ex, c.variants.map((v) => v.template_id));
  const global = isMarketing(templates) ? await globalControlPercent(ctx, ex) : 0;
  const plan = assignmentPlan({
    campaignId: c.id,
    weights: c.variants.map((v) => v.weight),
    controlPercent: c.control_percent,
    globalControlPercent: global,
    testPercent: c.winner_selection?.test_percent ?? null,
  });
  return { plan, templates };
}

/** One segment's condition over `profiles p` (static lists and dynamic trees alike); false for a deleted segment. */
async function segmentCondition(ex: Executor, id: string, now: Date): Promise<SqlBool> {
  const seg = await getSegment(ex, id);
  if (!seg) return sql<boolean>`false`;
  return membershipCondition(seg, { now, scope: null, segments: await referencedSegments(ex, seg.conditions) });
}

/** The audience as SQL: in any included segment, in no excluded one. */
export async function audienceConditions(ex: Executor, a: Audience, now: Date): Promise<{ include: SqlBool; exclude: SqlBool | null }> {
  const any = async (ids: string[]) =>
    sql<boolean>`(${sql.join(await Promise.all(ids.map((id) => segmentCondition(ex, id, now))), sql` OR `)})`;
  const include = a.segment_ids.length ? await any(a.segment_ids) : sql<boolean>`false`;
  const exclude = a.exclude_segment_ids?.length ? await any(a.exclude_segment_ids) : null;
  return { include, exclude };
}
