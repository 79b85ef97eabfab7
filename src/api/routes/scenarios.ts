import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import { pageOf } from '../../domain/cursor.js';
import { parseProfileRef, type ProfileRef, type ProfileRefInput } from '../../domain/profiles/ref.js';
import type { ScenarioDefinition, ScenarioNode, ScenarioSettings } from '../../domain/scenarios/model.js';
import { launchInstances, type Launch, type LaunchResult } from '../../engine/scenarios/launch.js';
import { assertValid, refreshInterest, scenarioAction, ScenarioNotFound, ScenarioRefusal, type ScenarioAction } from '../../engine/scenarios/lifecycle.js';
import { NODE_TYPES } from '../../engine/scenarios/node-types.js';
import { scenarioRegistry } from '../../engine/scenarios/registry.js';
import { simulateScenario } from '../../engine/scenarios/simulate.js';
import { scenarioStats } from '../../engine/scenarios/stats.js';
import { createFromTemplate, templateCatalogue, TemplateUnknown } from '../../engine/scenarios/templates.js';
import { webhookSecret } from '../../engine/scenarios/webhook.js';
import { getProfile } from '../../store/profiles.js';
import { historyOf, instancesOf } from '../../store/scenario-instances.js';
import { getScenario, getVersion, insertScenario, listScenarios, listVersions, saveEdit, type InstanceRow, type Layout, type ScenarioRow } from '../../store/scenarios.js';
import { lookupProfileIds } from '../../store/segments.js';
import { cursorAfter } from '../pagination.js';
import { badRequest, notFound, unprocessable } from '../problem.js';
import { IdParams, Page } from '../schemas/common.js';
import {
  InstanceQuery,
  InstanceView,
  LaunchBatchBody,
  LaunchBatchView,
  LaunchBody,
  LaunchView,
  ScenarioBody,
  ScenarioCreateBody,
  ScenarioListQuery,
  ScenarioView,
  SimulateBody,
  SimulateView,
  StatsQuery,
  StatsView,
  VersionView,
} from '../schemas/scenarios.js';

interface Body {
  name: string;
  description?: string | null;
  settings: ScenarioSettings;
  nodes: ScenarioNode[];
  layout?: Layout | null;
}

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

function view(s: ScenarioRow, def: ScenarioDefinition) {
  return {
    id: s.id,
    name: s.name,
    description: s.description,
    status: s.status,
    version: s.version,
    live_version: s.live_version,
    settings: def.settings,
    nodes: def.nodes,
    layout: s.layout,
    template_key: s.template_key,
    created_at: iso(s.created_at),
    updated_at: iso(s.updated_at),
    activated_at: iso(s.activated_at),
    paused_at: iso(s.paused_at),
    stopped_at: iso(s.stopped_at),
  };
}

/** The API's instance status: an instance calling a webhook is active. */
const instanceView = (r: InstanceRow, history: { node_id: string; at: Date; outcome: string }[]) => ({
  id: r.id,
  scenario_id: r.scenario_id,
  profile_id: r.profile_id,
  version: r.version,
  status: r.status === 'calling' ? 'active' : r.status,
  node_id: r.node_id,
  wake_at: iso(r.wake_at),
  data: r.data,
  holdout: r.holdout,
  reason: r.reason,
  entered_at: iso(r.entered_at),
  finished_at: iso(r.finished_at),
  history: history.map((h) => ({ ...h, at: h.at.toISOString() })),
});

const invalid = (err: ScenarioRefusal) =>
  unprocessable(
    err.slug,
    err.message,
    err.faults.map((f) => ({ path: f.path, message: f.node_id ? `node ${f.node_id}: ${f.message}` : f.message, ...(f.node_id ? { node_id: f.node_id } : {}) })),
  );

function problemOf(err: unknown): unknown {
  if (err instanceof ScenarioNotFound) return notFound('Scenario');
  if (err instanceof ScenarioRefusal) return invalid(err);
  if (err instanceof TemplateUnknown) return badRequest([{ path: 'from_template', message: err.message }]);
  return err;
}

/** Profile references to ids without creating profiles; a reference that does not resolve maps to its problem. */
async function resolveProfiles(ctx: AppContext, refs: unknown[]): Promise<(string | { error: string })[]> {
  const parsed = refs.map((r) => (r && typeof r === 'object' && !Array.isArray(r) ? parseProfileRef(r as ProfileRefInput) : 'must be a profile reference {id|email|phone|external_id}'));
  const byKind = new Map<ProfileRef['kind'], Set<string>>();
  for (const p of parsed) if (typeof p !== 'string') (byKind.get(p.kind) ?? byKind.set(p.kind, new Set()).get(p.kind)!).add(p.value);
  const found = new Map<string, Map<string, string>>();
  for (const [kind, values] of byKind) found.set(kind, await lookupProfileIds(ctx.db, kind, [...values]));
  return parsed.map((p) => {
    if (typeof p === 'string') return { error: p };
    return found.get(p.kind)?.get(p.value) ?? { error: 'no such profile' };
  });
}

export function scenarioRoutes(app: FastifyInstance, ctx: AppContext) {
  const tags = ['scenarios'];

  const load = async (id: string) => {
    const s = await getScenario(ctx.db, id);
    if (!s) throw notFound('Scenario');
    return s;
  };
  const definitionOf = async (s: ScenarioRow, version = s.version) => {
    const def = await getVersion(ctx.db, s.id, version);
    if (!def) throw notFound('Scenario version');
    return def;
  };

  app.post(
    '/scenarios',
    {
      schema: {
        tags,
        summary: 'Create a scenario (draft, version 1), from nodes and settings or from a ready-made template',
        body: ScenarioCreateBody,
        response: { 201: ScenarioView },
      },
    },
    async (req, reply) => {
      const b = req.body as Partial<Body> & { from_template?: string; template_refs?: Record<string, string> };
      const now = ctx.clock.now();
      if (b.from_template) {
        try {
          const made = await ctx.db.transaction().execute((tx) => createFromTemplate(ctx, tx, b.from_template!, { name: b.name, description: b.description, layout: b.layout, refs: b.template_refs ?? {} }, now));
          return reply.code(201).send({ ...view(made.scenario, made.definition), created_templates: made.templates });
        } catch (err) {
          throw problemOf(err);
        }
      }
      const errors = [];
      if (!b.name) errors.push({ path: 'name', message: 'is required' });
      if (!b.settings) errors.push({ path: 'settings', message: 'is required' });
      if (!b.nodes) errors.push({ path: 'nodes', message: 'is required' });
      if (errors.length) throw badRequest(errors);
      const def: ScenarioDefinition = { settings: b.settings!, nodes: b.nodes! };
      const s = await insertScenario(ctx.db, { name: b.name!, description: b.description ?? null, layout: b.layout ?? null }, def, now);
      return reply.code(201).send(view(s, def));
    },
  );

  app.get('/scenarios', { schema: { tags, summary: 'Scenarios, newest first', querystring: ScenarioListQuery, response: { 200: Page(ScenarioView) } } }, async (req) => {
    const q = req.query as { limit?: number; cursor?: string; status?: string };
    const limit = q.limit ?? 50;
    const rows = await listScenarios(ctx.db, limit + 1, cursorAfter(q.cursor), q.status);
    const page = pageOf(rows, limit, (r) => [r.id]);
    return { items: await Promise.all(page.items.map(async (s) => view(s, await definitionOf(s)))), next_cursor: page.next_cursor };
  });

  app.get('/scenarios/:id', { schema: { tags, summary: 'A scenario with its latest version', params: IdParams, response: { 200: ScenarioView } } }, async (req) => {
    const s = await load((req.params as { id: string }).id);
    return view(s, await definitionOf(s));
  });

  app.put(
    '/scenarios/:id',
    {
      schema: {
        tags,
        summary: 'Replace the definition. A draft is changed in place; an active or paused scenario gets a new version (validated; new instances use it, running ones finish on theirs)',
        params: IdParams,
        body: ScenarioBody,
        response: { 200: ScenarioView },
      },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      const b = req.body as Body;
      const def: ScenarioDefinition = { settings: b.settings, nodes: b.nodes };
      const now = ctx.clock.now();
      try {
        const row = await ctx.db.transaction().execute(async (tx) => {
          const cur = await getScenario(tx, id, true);
          if (!cur) throw new ScenarioNotFound();
          if (cur.status === 'stopped') throw new ScenarioRefusal('scenario-stopped', 'A stopped scenario cannot be changed; create a new one.');
          if (cur.status !== 'draft') await assertValid(tx, def);
          const saved = await saveEdit(tx, cur, { name: b.name, description: b.description ?? null, layout: b.layout === undefined ? cur.layout : b.layout }, def, now);
          if (saved.status !== 'draft') await refreshInterest(tx, saved);
          return saved;
        });
        if (row.status !== 'draft') await scenarioRegistry(ctx).changed();
        return view(row, def);
      } catch (err) {
        throw problemOf(err);
      }
    },
  );

  app.get(
    '/scenarios/:id/versions',
    { schema: { tags, summary: 'Versions of the scenario, newest first', params: IdParams, response: { 200: Type.Object({ items: Type.Array(VersionView) }) } } },
    async (req) => {
      const s = await load((req.params as { id: string }).id);
      const rows = await listVersions(ctx.db, s.id);
      return {
        items: rows.map((v) => ({
          version: v.version,
          settings: (v.definition as unknown as ScenarioDefinition).settings,
          nodes: (v.definition as unknown as ScenarioDefinition).nodes,
          created_at: iso(v.created_at),
          live: v.version === s.live_version,
        })),
      };
    },
  );

  const actions: Record<ScenarioAction, string> = {
    activate: 'Activate a draft: validated with every reference checked (422 scenario-invalid lists every fault with its node); start nodes begin to take profiles',
    pause: 'Pause: instances hold where they are; waits that come due meanwhile go on at resume',
    resume: 'Resume a paused scenario',
    stop: 'Stop: every running instance exits; the scenario takes no one any more',
  };
  for (const [action, summary] of Object.entries(actions) as [ScenarioAction, string][]) {
    app.post(`/scenarios/:id/${action}`, { schema: { tags, summary, params: IdParams, response: { 200: ScenarioView } } }, async (req) => {
      try {
        const s = await scenarioAction(ctx, (req.params as { id: string }).id, action);
        return view(s, await definitionOf(s));
      } catch (err) {
        throw problemOf(err);
      }
    });
  }

  app.post(
    '/scenarios/:id/launch',
    { schema: { tags, summary: 'Start one profile at the trigger.api node (reentry, max active per profile and holdout decide)', params: IdParams, body: LaunchBody, response: { 200: LaunchView } } },
    async (req) => {
      const { id } = req.params as { id: string };
      const b = req.body as { profile: ProfileRefInput; data?: Record<string, unknown> };
      await load(id);
      const [resolved] = await resolveProfiles(ctx, [b.profile]);
      if (typeof resolved !== 'string') {
        if (resolved.error === 'no such profile') throw notFound('Profile');
        throw badRequest([{ path: 'profile', message: resolved.error }]);
      }
      const [r] = await launchInstances(ctx, id, [{ profile_id: resolved, data: b.data }]);
      return r;
    },
  );

  app.post(
    '/scenarios/:id/launch_batch',
    {
      schema: { tags, summary: 'Start up to 10,000 profiles; one result per launch in order, a bad row reported at its index', params: IdParams, body: LaunchBatchBody, response: { 200: LaunchBatchView } },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      const b = req.body as { launches: { profile: unknown; data?: unknown }[] };
      await load(id);
      const resolved = await resolveProfiles(ctx, b.launches.map((l) => l.profile));
      const results: ({ index: number; error?: string } & LaunchResult)[] = [];
      const launches: Launch[] = [];
      const at: number[] = [];
      resolved.forEach((r, i) => {
        const data = b.launches[i].data;
        if (typeof r !== 'string') results.push({ index: i, error: `profile: ${r.error}` });
        else if (data !== undefined && (data === null || typeof data !== 'object' || Array.isArray(data))) results.push({ index: i, error: 'data: must be an object' });
        else {
          results.push({ index: i });
          launches.push({ profile_id: r, data: data as Record<string, unknown> | undefined });
          at.push(i);
        }
      });
      const out = await launchInstances(ctx, id, launches);
      out.forEach((r, k) => Object.assign(results[at[k]], r));
      return { results };
    },
  );

  app.get(
    '/scenarios/:id/stats',
    {
      schema: {
        tags,
        summary: 'Exact counts: instances entered, active, completed, exited, failed, goals, holdout, and per node entered, passed, waiting, failed and branches; per version with ?version=, else in total with each version',
        params: IdParams,
        querystring: StatsQuery,
        response: { 200: StatsView },
      },
    },
    async (req) => {
      const s = await load((req.params as { id: string }).id);
      const { version } = req.query as { version?: number };
      if (version !== undefined) return scenarioStats(ctx.db, s.id, version);
      const total = await scenarioStats(ctx.db, s.id);
      const versions = [];
      for (let v = 1; v <= s.version; v++) versions.push(await scenarioStats(ctx.db, s.id, v));
      return { ...total, versions };
    },
  );

  app.get(
    '/scenarios/:id/instances',
    { schema: { tags, summary: 'Instances, newest first, each with its history', params: IdParams, querystring: InstanceQuery, response: { 200: Page(InstanceView) } } },
    async (req) => {
      const s = await load((req.params as { id: string }).id);
      const q = req.query as { limit?: number; cursor?: string; profile?: string; status?: string };
      const limit = q.limit ?? 50;
      const rows = await instancesOf(ctx.db, s.id, { profile_id: q.profile, status: q.status }, limit + 1, cursorAfter(q.cursor));
      const page = pageOf(rows, limit, (r) => [r.id]);
      const history = await historyOf(ctx.db, page.items.map((r) => r.id));
      return { items: page.items.map((r) => instanceView(r, history.get(r.id) ?? [])), next_cursor: page.next_cursor };
    },
  );

  app.post(
    '/scenarios/:id/simulate',
    {
      schema: {
        tags,
        summary: 'Dry run of one profile on a virtual clock: the trace of nodes and outcomes; reads the profile and its facts, writes and sends nothing',
        params: IdParams,
        body: SimulateBody,
        response: { 200: SimulateView },
      },
    },
    async (req) => {
      const s = await load((req.params as { id: string }).id);
      const b = req.body as { profile: ProfileRefInput; data?: Record<string, unknown>; events?: { at: string; name: string; properties?: Record<string, unknown> }[]; until?: string; version?: number };
      const def = await definitionOf(s, b.version ?? s.version);
      const [resolved] = await resolveProfiles(ctx, [b.profile]);
      if (typeof resolved !== 'string') {
        if (resolved.error === 'no such profile') throw notFound('Profile');
        throw badRequest([{ path: 'profile', message: resolved.error }]);
      }
      const profile = await getProfile(ctx.db, resolved);
      if (!profile) throw notFound('Profile');
      try {
        const r = await simulateScenario(ctx.db, def, profile, { data: b.data, events: b.events, until: b.until }, ctx.clock.now());
        return {
          trace: r.trace.map((t) => ({ ...t, at: t.at.toISOString() })),
          effects: r.effects.map((e) => ({ ...e, at: e.at.toISOString() })),
          status: r.status,
          node_id: r.node_id,
          data: r.data,
        };
      } catch (err) {
        throw unprocessable('scenario-invalid', `The scenario cannot be simulated: ${(err as Error).message}`);
      }
    },
  );

  app.get('/scenario-templates', { schema: { tags, summary: 'Ready-made scenarios to create from (POST /scenarios {from_template})' } }, async () => ({ items: templateCatalogue() }));

  app.get('/scenario-node-types', { schema: { tags, summary: 'Node types for the editor: config fields, branch labels, whether a node starts a scenario' } }, async () => ({ items: NODE_TYPES }));

  app.get(
    '/scenario-webhook-secret',
    { config: { scope: 'admin' }, schema: { tags, summary: 'The key webhook nodes sign their requests with (X-Retenta-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">)' } },
    async () => ({ secret: await webhookSecret(ctx) }),
  );
}
