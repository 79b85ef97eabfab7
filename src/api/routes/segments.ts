import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import type { ConditionNode } from '../../domain/conditions/tree.js';
import { pageOf } from '../../domain/cursor.js';
import { parseProfileRef, type ProfileRef } from '../../domain/profiles/ref.js';
import { findCycle } from '../../domain/segments/graph.js';
import { isTimeRelative } from '../../domain/segments/index-of-dependencies.js';
import { referencedSegments as directReferences, segmentLanguage } from '../../domain/segments/leaves.js';
import { loyaltyPrograms } from '../../domain/segments/loyalty-leaf.js';
import { startJob } from '../../engine/jobs.js';
import { REFRESH_EVERY_MS, segmentMembership } from '../../engine/segments.js';
import { allowLargeSorts, type Executor, type Tx } from '../../store/db.js';
import { getProgram } from '../../store/loyalty.js';
import {
  addMembers,
  countMatching,
  countMembers,
  deleteSegment,
  getSegment,
  insertSegment,
  listSegments,
  lookupProfileIds,
  matchingProfiles,
  membershipCondition,
  referencedSegments,
  removeMembers,
  segmentGraph,
  segmentsReferencing,
  setTimeRelative,
  updateSegment,
  type MemberChange,
  type SegmentRow,
} from '../../store/segments.js';
import { cursorAfter } from '../pagination.js';
import { badRequest, conflict, notFound, unprocessable, type FieldError } from '../problem.js';
import { IdParams, Page, PageQuery } from '../schemas/common.js';
import { ProfileView } from '../schemas/profiles.js';
import {
  CountView,
  CountBody,
  MembersBody,
  MembersQuery,
  MembersResult,
  SegmentCreateBody,
  SegmentCreateQuery,
  SegmentListQuery,
  SegmentPatchBody,
  SegmentView,
} from '../schemas/segments.js';
import { compileBody, fieldErrors } from '../validation.js';
import { uploadedStream } from './profiles.js';
import { rfmRoutes } from './rfm.js';

const view = (s: SegmentRow) => ({
  id: s.id,
  name: s.name,
  description: s.description,
  type: s.type,
  conditions: s.conditions,
  time_relative: s.time_relative,
  refreshed_at: s.refreshed_at,
  created_at: s.created_at,
  updated_at: s.updated_at,
});

interface Definition {
  refs: string[];
  dependencies: string[];
}

/**
 * Checks a tree for a segment: every malformed part (400), leaves not available here (422
 * condition-not-available), references to unknown segments (422 segment-not-found) or loyalty programs
 * (422 loyalty-program-not-found) and reference cycles (422 segment-cycle).
 */
async function checkDefinition(ex: Executor, selfId: string | null, conditions: unknown): Promise<Definition> {
  const v = segmentLanguage.validate(conditions, 'conditions');
  if (v.errors.length) throw badRequest(v.errors, 'The condition tree has invalid parts.');
  if (v.unavailable.length) throw unprocessable('condition-not-available', 'Some conditions need data this installation does not have yet.', v.unavailable);
  const tree = conditions as ConditionNode;
  const refs = directReferences(tree);
  const graph = await segmentGraph(ex);
  const missing = refs.filter((r) => !graph.has(r));
  if (missing.length)
    throw unprocessable('segment-not-found', 'The conditions name segments that do not exist.', missing.map((id) => ({ path: 'conditions', message: `segment ${id} does not exist` })));
  const programs = loyaltyPrograms(segmentLanguage.leaves(tree));
  const unknownPrograms: string[] = [];
  for (const id of programs) if (!(await getProgram(ex, id))) unknownPrograms.push(id);
  if (unknownPrograms.length)
    throw unprocessable(
      'loyalty-program-not-found',
      'The conditions name loyalty programs that do not exist.',
      unknownPrograms.map((id) => ({ path: 'conditions', message: `loyalty program ${id} does not exist` })),
    );
  const self = selfId ?? 'new';
  const refsOf = (id: string) => (id === self ? refs : (graph.get(id)?.refs ?? []));
  const cycle = findCycle(self, refsOf);
  if (cycle) throw unprocessable('segment-cycle', `The segment would include itself: ${cycle.map((id) => (id === 'new' ? '(this segment)' : id)).join(' → ')}.`);
  return { refs, dependencies: [...segmentLanguage.dependencies(tree)].sort() };
}

/** Time-relative flags follow references; recompute them after any definition change. */
async function refreshTimeFlags(tx: Tx, now: Date): Promise<void> {
  const graph = await segmentGraph(tx);
  for (const [id, node] of graph) {
    const tr = isTimeRelative(id, graph);
    if (tr !== node.time_relative)
      await setTimeRelative(tx, id, tr, tr ? new Date(now.getTime() + REFRESH_EVERY_MS) : null);
  }
}

type RefResult = { index: number; ref: ProfileRef } | { index: number; error: string };

/** Resolves references to profile ids without creating profiles; the unknown ones come back as errors. */
async function resolveRefs(ex: Executor, items: RefResult[]): Promise<{ ids: Map<number, string>; errors: { index: number; message: string }[] }> {
  const errors: { index: number; message: string }[] = [];
  const byKind = new Map<ProfileRef['kind'], Set<string>>();
  for (const it of items) {
    if ('error' in it) continue;
    if (!byKind.has(it.ref.kind)) byKind.set(it.ref.kind, new Set());
    byKind.get(it.ref.kind)!.add(it.ref.value);
  }
  const found = new Map<string, string>();
  for (const [kind, values] of byKind) for (const [v, id] of await lookupProfileIds(ex, kind, [...values])) found.set(`${kind}:${v}`, id);
  const ids = new Map<number, string>();
  for (const it of items) {
    if ('error' in it) errors.push({ index: it.index, message: it.error });
    else {
      const id = found.get(`${it.ref.kind}:${it.ref.value}`);
      if (id) ids.set(it.index, id);
      else errors.push({ index: it.index, message: `no profile with this ${it.ref.kind === 'id' ? 'id' : it.ref.kind}` });
    }
  }
  return { ids, errors };
}

const REF_COLUMNS = ['id', 'email', 'phone', 'external_id'] as const;

/** Reads profile references from a CSV in batches: the chosen column, or the first of id/email/phone/external_id. */
async function* csvRefs(source: Readable, column: string | undefined, delimiter: string | undefined): AsyncGenerator<RefResult[]> {
  const parser = source.pipe(parse({ columns: true, bom: true, skip_empty_lines: true, relax_column_count: true, delimiter: delimiter ?? ',', info: true }));
  source.on('error', (err) => parser.destroy(err));
  let batch: RefResult[] = [];
  let key: string | null = null;
  let kind: (typeof REF_COLUMNS)[number] = 'email';
  for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
    if (key === null) {
      const headers = Object.keys(record);
      const want = column ?? headers.find((h) => (REF_COLUMNS as readonly string[]).includes(h.trim().toLowerCase()));
      const found = want === undefined ? undefined : headers.find((h) => h.trim().toLowerCase() === want.trim().toLowerCase());
      if (!found) throw badRequest([{ path: column ? 'query.column' : '(body)', message: `the CSV has no ${column ? `"${column}"` : 'id, email, phone or external_id'} column` }]);
      key = found;
      const lower = found.trim().toLowerCase();
      kind = (REF_COLUMNS as readonly string[]).includes(lower) ? (lower as typeof kind) : 'email';
    }
    const value = (record[key] ?? '').trim();
    const ref = value ? parseProfileRef({ [kind]: value }) : 'the reference column is empty';
    batch.push(typeof ref === 'string' ? { index: info.lines, error: ref } : { index: info.lines, ref });
    if (batch.length >= 1000) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}

export function segmentRoutes(app: FastifyInstance, ctx: AppContext) {
  const tags = ['segments'];
  // RFM scores are part of segmentation: their refresh and per-profile read live beside the segments
  rfmRoutes(app, ctx);
  const membership = segmentMembership(ctx);
  const validateMembers = compileBody(MembersBody);

  const load = async (id: string) => {
    const s = await getSegment(ctx.db, id);
    if (!s) throw notFound('Segment');
    return s;
  };

  const condition = async (ex: Executor, s: SegmentRow) =>
    membershipCondition(s, { now: ctx.clock.now(), scope: null, segments: await referencedSegments(ex, s.conditions) });

  async function create(body: { name: string; description?: string | null; type: 'dynamic' | 'static'; conditions?: unknown }) {
    const now = ctx.clock.now();
    const seg = await ctx.db.transaction().execute(async (tx) => {
      const def: Definition = body.conditions !== undefined ? await checkDefinition(tx, null, body.conditions) : { refs: [], dependencies: [] };
      const s = await insertSegment(
        tx,
        {
          name: body.name,
          description: body.description ?? null,
          type: body.type,
          conditions: (body.conditions as ConditionNode | undefined) ?? null,
          refs: body.type === 'dynamic' ? def.refs : [],
          dependencies: def.dependencies,
          time_relative: false,
          refresh_at: null,
        },
        now,
      );
      // the current members are the baseline (a static segment with conditions is a snapshot of them)
      if (s.conditions) await membership.resync(tx, { ...s, type: 'dynamic' }, true);
      await refreshTimeFlags(tx, now);
      return (await getSegment(tx, s.id))!;
    });
    await membership.definitionsChanged();
    return view(seg);
  }

  app.post(
    '/segments',
    {
      schema: {
        tags,
        summary: 'Create a dynamic segment (conditions) or a static one (a list; with conditions, a snapshot of who matches now)',
        body: SegmentCreateBody,
        querystring: SegmentCreateQuery,
        response: { 201: SegmentView, 202: Type.Object({ job_id: Type.String() }) },
      },
    },
    async (req, reply) => {
      const body = req.body as { name: string; description?: string | null; type: 'dynamic' | 'static'; conditions?: unknown };
      if (body.type === 'dynamic' && body.conditions === undefined) throw badRequest([{ path: 'conditions', message: 'is required for a dynamic segment' }]);
      if ((req.query as { async?: boolean }).async) {
        // validate before answering, so that a bad tree is still a 4xx
        if (body.conditions !== undefined) await checkDefinition(ctx.db, null, body.conditions);
        const jobId = await startJob(ctx, 'segments.create', () => create(body));
        return reply.code(202).send({ job_id: jobId });
      }
      return reply.code(201).send(await create(body));
    },
  );

  app.get('/segments', { schema: { tags, summary: 'List segments', querystring: SegmentListQuery, response: { 200: Page(SegmentView) } } }, async (req) => {
    const q = req.query as { limit?: number; cursor?: string; type?: string };
    const limit = q.limit ?? 50;
    const rows = await listSegments(ctx.db, limit + 1, cursorAfter(q.cursor), q.type);
    const page = pageOf(rows, limit, (r) => [r.id]);
    return { items: page.items.map(view), next_cursor: page.next_cursor };
  });

  app.get('/segments/:id', { schema: { tags, summary: 'A segment', params: IdParams, response: { 200: SegmentView } } }, async (req) =>
    view(await load((req.params as { id: string }).id)),
  );

  app.patch(
    '/segments/:id',
    { schema: { tags, summary: 'Rename a segment or change its conditions (dynamic segments)', params: IdParams, body: SegmentPatchBody, response: { 200: SegmentView } } },
    async (req) => {
      const { id } = req.params as { id: string };
      const body = req.body as { name?: string; description?: string | null; conditions?: unknown };
      const now = ctx.clock.now();
      const seg = await ctx.db.transaction().execute(async (tx) => {
        const cur = await getSegment(tx, id, true);
        if (!cur) throw notFound('Segment');
        const set: Parameters<typeof updateSegment>[2] = {};
        if (body.name !== undefined) set.name = body.name;
        if (body.description !== undefined) set.description = body.description;
        if (body.conditions !== undefined) {
          if (cur.type === 'static')
            throw unprocessable('segment-static', 'A static segment is a list: change its members through /segments/{id}/members.');
          const def = await checkDefinition(tx, id, body.conditions);
          Object.assign(set, { conditions: body.conditions as ConditionNode, refs: def.refs, dependencies: def.dependencies });
        }
        const s = (await updateSegment(tx, id, set, now))!;
        if (body.conditions !== undefined) {
          await membership.resync(tx, s, true);
          await refreshTimeFlags(tx, now);
        }
        return (await getSegment(tx, id))!;
      });
      if (body.conditions !== undefined) await membership.definitionsChanged();
      return view(seg);
    },
  );

  app.delete('/segments/:id', { schema: { tags, summary: 'Delete a segment that no other segment includes', params: IdParams } }, async (req, reply) => {
    const { id } = req.params as { id: string };
    await ctx.db.transaction().execute(async (tx) => {
      if (!(await getSegment(tx, id, true))) throw notFound('Segment');
      const users = await segmentsReferencing(tx, id);
      if (users.length) throw conflict('segment-in-use', `Segments include this one: ${users.map((u) => `${u.name} (${u.id})`).join(', ')}.`);
      await deleteSegment(tx, id);
      await refreshTimeFlags(tx, ctx.clock.now());
    });
    await membership.definitionsChanged();
    return reply.code(204).send();
  });

  app.post(
    '/segments/count',
    {
      schema: {
        tags,
        summary: 'How many profiles unsaved conditions match now (the segment editor counts before saving); 400 names every bad part of the tree',
        body: CountBody,
        response: { 200: CountView },
      },
    },
    async (req) => {
      const { conditions } = req.body as { conditions: unknown };
      await checkDefinition(ctx.db, null, conditions);
      const count = await ctx.db.transaction().execute(async (tx) => {
        await allowLargeSorts(tx);
        const tree = conditions as ConditionNode;
        const cond = membershipCondition({ id: 'new', type: 'dynamic', conditions: tree }, { now: ctx.clock.now(), scope: null, segments: await referencedSegments(tx, tree) });
        return countMatching(tx, cond);
      });
      return { count };
    },
  );

  app.get('/segments/:id/count', { schema: { tags, summary: 'How many profiles the segment holds now', params: IdParams, response: { 200: CountView } } }, async (req) => {
    const s = await load((req.params as { id: string }).id);
    if (s.type === 'static') return { count: await countMembers(ctx.db, s.id) };
    const count = await ctx.db.transaction().execute(async (tx) => {
      await allowLargeSorts(tx);
      return countMatching(tx, await condition(tx, s));
    });
    return { count };
  });

  app.get(
    '/segments/:id/profiles',
    { schema: { tags, summary: 'The profiles in the segment, by id', params: IdParams, querystring: PageQuery, response: { 200: Page(ProfileView) } } },
    async (req) => {
      const s = await load((req.params as { id: string }).id);
      const q = req.query as { limit?: number; cursor?: string };
      const limit = q.limit ?? 50;
      const after = cursorAfter(q.cursor);
      const rows = await matchingProfiles(ctx.db, await condition(ctx.db, s), limit + 1, after);
      return pageOf(rows, limit, (r) => [r.id]);
    },
  );

  /** Adds or removes resolved references; the changes are recorded as entries/exits after commit. */
  async function applyMembers(segmentId: string, mode: 'add' | 'remove', items: RefResult[], errors: FieldError[] | { index?: number; row?: number; message: string }[], rowKey: 'index' | 'row') {
    const { ids, errors: bad } = await resolveRefs(ctx.db, items);
    for (const e of bad) (errors as { index?: number; row?: number; message: string }[]).push({ [rowKey]: e.index, message: e.message });
    const pairs: MemberChange[] = [...new Set(ids.values())].map((profile_id) => ({ segment_id: segmentId, profile_id }));
    const changed = await ctx.db.transaction().execute((tx) => (mode === 'add' ? addMembers(tx, pairs, ctx.clock.now()) : removeMembers(tx, pairs)));
    if (changed.length) {
      await membership.record(mode === 'add' ? changed : [], mode === 'remove' ? changed : []);
      await membership.staticMembersChanged(segmentId, changed.map((c) => c.profile_id));
    }
    return { changed: changed.length, unchanged: pairs.length - changed.length };
  }

  const membersRoute = (mode: 'add' | 'remove') => async (req: import('fastify').FastifyRequest) => {
    const s = await load((req.params as { id: string }).id);
    if (s.type !== 'static') throw unprocessable('segment-not-static', 'Members are listed by hand only in static segments; a dynamic segment follows its conditions.');
    const errors: { index?: number; row?: number; message: string }[] = [];
    let changed = 0;
    let unchanged = 0;
    const ct = String(req.headers['content-type'] ?? '');
    if (ct.startsWith('application/json')) {
      if (!validateMembers(req.body)) throw badRequest(fieldErrors(validateMembers.errors));
      const items = (req.body as { profiles: unknown[] }).profiles.map((p, index): RefResult => {
        if (typeof p !== 'object' || p === null || Array.isArray(p)) return { index, error: 'must be a profile reference {id|email|phone|external_id}' };
        const ref = parseProfileRef(p as Record<string, string>);
        return typeof ref === 'string' ? { index, error: ref } : { index, ref };
      });
      const r = await applyMembers(s.id, mode, items, errors, 'index');
      changed = r.changed;
      unchanged = r.unchanged;
    } else {
      const q = req.query as { column?: string; delimiter?: string };
      const source = await uploadedStream(req);
      try {
        for await (const batch of csvRefs(source, q.column, q.delimiter)) {
          const r = await applyMembers(s.id, mode, batch, errors, 'row');
          changed += r.changed;
          unchanged += r.unchanged;
        }
      } catch (err) {
        if (err instanceof Error && 'status' in err) throw err;
        errors.push({ row: 0, message: `the file could not be read past this point: ${(err as Error).message}` });
      }
    }
    errors.sort((a, b) => (a.index ?? a.row ?? 0) - (b.index ?? b.row ?? 0));
    return { ...(mode === 'add' ? { added: changed } : { removed: changed }), unchanged, failed: errors.length, errors };
  };

  const membersSchema = (summary: string) => ({
    tags,
    summary,
    params: IdParams,
    querystring: MembersQuery,
    consumes: ['application/json', 'text/csv', 'multipart/form-data'],
    body: { content: { 'application/json': { schema: MembersBody }, 'text/csv': { schema: { description: 'CSV with an id, email, phone or external_id column' } } } },
    response: { 200: MembersResult },
  });

  app.post('/segments/:id/members', { schema: membersSchema('Add profiles to a static segment (up to 10,000 references as JSON, or any number as CSV)') }, membersRoute('add'));
  app.delete('/segments/:id/members', { schema: membersSchema('Remove profiles from a static segment (JSON references or CSV)') }, membersRoute('remove'));
}
