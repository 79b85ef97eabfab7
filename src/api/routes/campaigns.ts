import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { definitionErrors, type CampaignAction, type CampaignDefinition, type RuleError } from '../../domain/campaigns/campaign.js';
import type { CampaignSchedule } from '../../domain/campaigns/schedule.js';
import { encodeCursor, decodeCursor, pageOf } from '../../domain/cursor.js';
import { parseProfileRef, type ProfileRef, type ProfileRefInput } from '../../domain/profiles/ref.js';
import { CampaignNotFound, CampaignRefusal } from '../../engine/campaigns/errors.js';
import { campaignAction, referenceErrors } from '../../engine/campaigns/lifecycle.js';
import { campaignStats } from '../../engine/campaigns/stats.js';
import { triggerSends, type TriggerRequest, type TriggerResult } from '../../engine/campaigns/trigger.js';
import { listRecipients, type RecipientRow } from '../../store/campaign-recipients.js';
import { deleteDraft, getCampaign, insertCampaign, listCampaigns, runsOf, updateDraft, type CampaignRow, type CampaignRunRow } from '../../store/campaigns.js';
import { lookupProfileIds } from '../../store/segments.js';
import { cursorAfter } from '../pagination.js';
import { badRequest, notFound, unprocessable } from '../problem.js';
import {
  CampaignCreateBody,
  CampaignListQuery,
  CampaignPatchBody,
  CampaignStatsQuery,
  CampaignStatsView,
  CampaignView,
  RecipientListQuery,
  RecipientView,
  RunView,
  TriggerBatchBody,
  TriggerBatchView,
  TriggerResultView,
  TriggerSendBody,
} from '../schemas/campaigns.js';
import { IdParams, Page, PageQuery } from '../schemas/common.js';

interface CampaignBody {
  name: string;
  kind: CampaignDefinition['kind'];
  channel: string;
  template_id?: string;
  variants?: { template_id: string; weight?: number }[];
  audience?: CampaignDefinition['audience'];
  schedule?: CampaignSchedule | null;
  send_in_profile_timezone?: boolean;
  control_percent?: number;
  throttle?: { per_minute: number } | null;
  winner_selection?: CampaignDefinition['winner_selection'];
  goal?: CampaignDefinition['goal'];
  data?: Record<string, unknown>;
}

/** A campaign's definition in the request's own terms (what PATCH merges into). */
const bodyOf = (c: CampaignRow) => ({
  name: c.name,
  kind: c.kind,
  channel: c.channel,
  variants: c.variants,
  audience: c.audience,
  schedule: c.schedule as CampaignSchedule | null,
  send_in_profile_timezone: c.send_in_profile_timezone,
  control_percent: c.control_percent,
  throttle: c.throttle_per_minute ? { per_minute: c.throttle_per_minute } : null,
  winner_selection: c.winner_selection,
  goal: c.goal,
  data: c.data,
});

const view = (c: CampaignRow) => ({
  id: c.id,
  status: c.status,
  ...bodyOf(c),
  template_id: c.variants.length === 1 ? c.variants[0].template_id : null,
  next_run_at: c.next_run_at,
  started_at: c.started_at,
  completed_at: c.completed_at,
  created_at: c.created_at,
  updated_at: c.updated_at,
});

const runView = (r: CampaignRunRow) => ({
  id: r.id,
  scheduled_for: r.scheduled_for,
  status: r.status,
  audience: r.audience,
  snapshot_ms: r.snapshot_ms,
  winner_due_at: r.winner_due_at,
  winner_variant: r.winner_variant,
  started_at: r.started_at,
  completed_at: r.completed_at,
});

const recipientView = (r: RecipientRow) => ({
  run_id: r.run_id,
  profile_id: r.profile_id,
  group: r.grp,
  variant: r.variant,
  status: r.status,
  reason: r.reason,
  message_id: r.message_id,
  deferred: r.deferred,
  due_at: r.due_at,
  done_at: r.done_at,
});

/** The body as a definition; `template_id` is the one-variant form of `variants`. */
function definitionOf(b: CampaignBody): { def: CampaignDefinition; single: boolean } {
  const errors: RuleError[] = [];
  if (b.template_id !== undefined && b.variants !== undefined) errors.push({ path: 'template_id', message: 'give template_id or variants, not both' });
  if (b.template_id === undefined && b.variants === undefined) errors.push({ path: 'template_id', message: 'is required (or variants)' });
  if (errors.length) throw badRequest(errors);
  const single = b.template_id !== undefined;
  const def: CampaignDefinition = {
    name: b.name,
    kind: b.kind,
    channel: b.channel,
    variants: single ? [{ template_id: b.template_id!, weight: 1 }] : b.variants!.map((v) => ({ template_id: v.template_id, weight: v.weight ?? 1 })),
    audience: b.audience ?? null,
    schedule: b.schedule ?? null,
    send_in_profile_timezone: b.send_in_profile_timezone ?? false,
    control_percent: b.control_percent ?? 0,
    throttle_per_minute: b.throttle?.per_minute ?? null,
    winner_selection: b.winner_selection ?? null,
    goal: b.goal ?? null,
    data: b.data ?? {},
  };
  return { def, single };
}

const renamed = (errors: RuleError[], single: boolean) => (single ? errors.map((e) => ({ ...e, path: e.path.replace(/^variants\.0\.template_id$/, 'template_id') })) : errors);

function problemOf(err: unknown): unknown {
  if (err instanceof CampaignNotFound) return notFound('Campaign');
  if (err instanceof CampaignRefusal) return unprocessable(err.slug, err.message, err.errors);
  return err;
}

/** Profile references to ids without creating profiles; a reference that does not resolve maps to its problem. */
async function resolveProfiles(ctx: AppContext, refs: ProfileRefInput[]): Promise<(string | { error: string })[]> {
  const parsed = refs.map((r) => parseProfileRef(r));
  const byKind = new Map<ProfileRef['kind'], Set<string>>();
  for (const p of parsed) if (typeof p !== 'string') (byKind.get(p.kind) ?? byKind.set(p.kind, new Set()).get(p.kind)!).add(p.value);
  const found = new Map<string, Map<string, string>>();
  for (const [kind, values] of byKind) found.set(kind, await lookupProfileIds(ctx.db, kind, [...values]));
  return parsed.map((p) => {
    if (typeof p === 'string') return { error: p };
    const id = found.get(p.kind)?.get(p.value);
    return id ?? { error: 'no such profile' };
  });
}

const resultView = (r: TriggerResult) => ({ ...r, ...(r.skipped ? {} : { skipped: undefined }) });

export function campaignRoutes(app: FastifyInstance, ctx: AppContext) {
  const tags = ['campaigns'];

  const load = async (id: string) => {
    const c = await getCampaign(ctx.db, id);
    if (!c) throw notFound('Campaign');
    return c;
  };

  async function checked(b: CampaignBody) {
    const { def, single } = definitionOf(b);
    const rules = definitionErrors(def);
    if (rules.length) throw badRequest(renamed(rules, single));
    const refs = await referenceErrors(ctx, ctx.db, def);
    if (refs.length) throw unprocessable('campaign-invalid', 'The campaign refers to templates or segments that do not exist or do not fit its channel.', renamed(refs, single));
    return def;
  }

  app.post(
    '/campaigns',
    {
      schema: {
        tags,
        summary: 'Create a campaign (draft): a broadcast, a regular mailing on a cron, or a trigger mailing sent through the API',
        body: CampaignCreateBody,
        response: { 201: CampaignView },
      },
    },
    async (req, reply) => {
      const def = await checked(req.body as CampaignBody);
      return reply.code(201).send(view(await insertCampaign(ctx.db, def, ctx.clock.now())));
    },
  );

  app.get('/campaigns', { schema: { tags, summary: 'Campaigns, newest first', querystring: CampaignListQuery, response: { 200: Page(CampaignView) } } }, async (req) => {
    const q = req.query as { limit?: number; cursor?: string; status?: string; kind?: string };
    const limit = q.limit ?? 50;
    const rows = await listCampaigns(ctx.db, limit + 1, cursorAfter(q.cursor), { status: q.status, kind: q.kind });
    const page = pageOf(rows, limit, (r) => [r.id]);
    return { items: page.items.map(view), next_cursor: page.next_cursor };
  });

  app.get('/campaigns/:id', { schema: { tags, summary: 'A campaign', params: IdParams, response: { 200: CampaignView } } }, async (req) =>
    view(await load((req.params as { id: string }).id)),
  );

  app.patch(
    '/campaigns/:id',
    { schema: { tags, summary: 'Change a draft campaign', params: IdParams, body: CampaignPatchBody, response: { 200: CampaignView } } },
    async (req) => {
      const { id } = req.params as { id: string };
      const cur = await load(id);
      if (cur.status !== 'draft') throw unprocessable('campaign-not-draft', `A ${cur.status} campaign cannot be changed; only drafts can.`);
      const patch = req.body as Partial<CampaignBody>;
      const merged: CampaignBody = { ...bodyOf(cur), audience: cur.audience ?? undefined, ...patch };
      if (patch.template_id !== undefined) delete merged.variants;
      const def = await checked(merged);
      const row = await updateDraft(ctx.db, id, def, ctx.clock.now());
      if (!row) throw unprocessable('campaign-not-draft', 'The campaign was started meanwhile; only drafts can be changed.');
      return view(row);
    },
  );

  app.delete('/campaigns/:id', { schema: { tags, summary: 'Delete a draft campaign', params: IdParams } }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const cur = await load(id);
    if (!(await deleteDraft(ctx.db, id))) throw unprocessable('campaign-not-draft', `A ${cur.status} campaign is kept for its reports; cancel it instead.`);
    return reply.code(204).send();
  });

  const actions: Record<CampaignAction, string> = {
    start: 'Start: snapshot and send now or at schedule.at (broadcast), run on the cron (regular), accept API sends (trigger)',
    pause: 'Pause delivery and cron runs',
    resume: 'Resume a paused campaign',
    cancel: 'Cancel: nothing more is sent; what was still to go is recorded as canceled',
  };
  for (const [action, summary] of Object.entries(actions) as [CampaignAction, string][]) {
    app.post(`/campaigns/:id/${action}`, { schema: { tags, summary, params: IdParams, response: { 200: CampaignView } } }, async (req) => {
      try {
        return view(await campaignAction(ctx, (req.params as { id: string }).id, action));
      } catch (err) {
        throw problemOf(err);
      }
    });
  }

  app.get(
    '/campaigns/:id/stats',
    {
      schema: {
        tags,
        summary: 'Audience, sent, failed, skipped by reason, deferred, per variant, control groups, winner and goal conversions',
        params: IdParams,
        querystring: CampaignStatsQuery,
        response: { 200: CampaignStatsView },
      },
    },
    async (req) => {
      const c = await load((req.params as { id: string }).id);
      return campaignStats(ctx.db, c, (req.query as { run_id?: string }).run_id);
    },
  );

  app.get(
    '/campaigns/:id/runs',
    { schema: { tags, summary: 'Runs of the campaign, newest first (one per broadcast, one per cron time)', params: IdParams, querystring: PageQuery, response: { 200: Page(RunView) } } },
    async (req) => {
      const c = await load((req.params as { id: string }).id);
      const q = req.query as { limit?: number; cursor?: string };
      const limit = q.limit ?? 50;
      const rows = await runsOf(ctx.db, c.id, limit + 1, cursorAfter(q.cursor));
      const page = pageOf(rows, limit, (r) => [r.id]);
      return { items: page.items.map(runView), next_cursor: page.next_cursor };
    },
  );

  app.get(
    '/campaigns/:id/recipients',
    {
      schema: {
        tags,
        summary: 'Recipients: group (control, test, rest), variant, status and why one was skipped',
        params: IdParams,
        querystring: RecipientListQuery,
        response: { 200: Page(RecipientView) },
      },
    },
    async (req) => {
      const c = await load((req.params as { id: string }).id);
      const q = req.query as { limit?: number; cursor?: string; run_id?: string; status?: string; group?: string; profile?: string };
      const limit = q.limit ?? 50;
      let after: [string, string, number] | undefined;
      if (q.cursor !== undefined) {
        const key = decodeCursor(q.cursor, 3);
        if (!key || typeof key[0] !== 'string' || typeof key[1] !== 'string' || typeof key[2] !== 'number')
          throw badRequest([{ path: 'query.cursor', message: 'is not a cursor this list returned' }]);
        after = key as [string, string, number];
      }
      const runs = (await runsOf(ctx.db, c.id)).map((r) => r.id);
      const rows = await listRecipients(ctx.db, runs, { run_id: q.run_id, status: q.status, group: q.group, profile_id: q.profile }, limit + 1, after);
      const items = rows.slice(0, limit).map(recipientView);
      const last = rows.length > limit ? rows[limit - 1] : null;
      return { items, next_cursor: last ? encodeCursor([last.run_id, last.profile_id, last.seq]) : null };
    },
  );

  app.post(
    '/campaigns/:id/send',
    {
      schema: {
        tags,
        summary: 'Send a trigger campaign to one profile (transactional and API-triggered messages); 202 with the message or why it was skipped',
        params: IdParams,
        body: TriggerSendBody,
        response: { 202: TriggerResultView },
      },
    },
    async (req, reply) => {
      const { id } = req.params as { id: string };
      const b = req.body as { profile: ProfileRefInput; data?: Record<string, unknown>; dedupe_key?: string };
      await load(id);
      const [resolved] = await resolveProfiles(ctx, [b.profile]);
      if (typeof resolved !== 'string') {
        if (resolved.error === 'no such profile') throw notFound('Profile');
        throw badRequest([{ path: 'profile', message: resolved.error }]);
      }
      try {
        const [r] = await triggerSends(ctx, id, [{ profile_id: resolved, data: b.data, dedupe_key: b.dedupe_key }]);
        return reply.code(202).send(resultView(r));
      } catch (err) {
        throw problemOf(err);
      }
    },
  );

  app.post(
    '/campaigns/:id/send_batch',
    {
      schema: {
        tags,
        summary: 'Send a trigger campaign to up to 10,000 profiles; one result per send, in order',
        params: IdParams,
        body: TriggerBatchBody,
        response: { 200: TriggerBatchView },
      },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      const b = req.body as { sends: { profile: ProfileRefInput; data?: Record<string, unknown>; dedupe_key?: string }[] };
      await load(id);
      const resolved = await resolveProfiles(ctx, b.sends.map((s) => s.profile));
      const reqs: TriggerRequest[] = [];
      const index: number[] = [];
      resolved.forEach((r, i) => {
        if (typeof r === 'string') {
          reqs.push({ profile_id: r, data: b.sends[i].data, dedupe_key: b.sends[i].dedupe_key });
          index.push(i);
        }
      });
      let sent: TriggerResult[];
      try {
        sent = await triggerSends(ctx, id, reqs);
      } catch (err) {
        throw problemOf(err);
      }
      const results: Record<string, unknown>[] = resolved.map((r, i) => (typeof r === 'string' ? { index: i } : { index: i, error: r.error }));
      sent.forEach((s, k) => Object.assign(results[index[k]], resultView(s)));
      return { results };
    },
  );
}
