import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import { decodeCursor, encodeCursor } from '../../domain/cursor.js';
import { statusAt } from '../../domain/promo/lifecycle.js';
import { poolCapacity, settingErrors, type PoolSettings } from '../../domain/promo/pool.js';
import { parseProfileRef, type ProfileRef, type ProfileRefInput } from '../../domain/profiles/ref.js';
import { startJob } from '../../engine/jobs.js';
import { promo, PromoNotFound, PromoRefusal, RemoteGeneratorFailed, type IssueVia } from '../../engine/promo.js';
import { exportCodes, exportFields } from '../../promo/export.js';
import { checkGeneration, generateCodes, generateForProfiles } from '../../promo/generate.js';
import { CodeImportError, importCodes, sniffFormat, type CodeImportOptions } from '../../promo/import.js';
import type { Executor } from '../../store/db.js';
import { findProfile } from '../../store/profiles.js';
import {
  createPool,
  getCode,
  getPool,
  listCodes,
  listPools,
  statusCounts,
  templateNameTaken,
  updatePool,
  type CodeRow,
  type Pool,
  type StatusCounts,
} from '../../store/promo.js';
import { getSegment, lookupProfileIds, matchingIds, membershipCondition, referencedSegments } from '../../store/segments.js';
import { cursorAfter } from '../pagination.js';
import { badRequest, conflict, notFound, ProblemError, unprocessable, type FieldError } from '../problem.js';
import { IdParams, Page, PageQuery } from '../schemas/common.js';
import {
  AsyncQuery,
  CodeListQuery,
  CodeParams,
  CodeView,
  DetachBody,
  ExportQuery,
  GenerateBody,
  GenerateResultView,
  ImportQuery,
  ImportResultView,
  IssueBody,
  IssueView,
  PoolCodeParams,
  PoolCreateBody,
  PoolPatchBody,
  PoolView,
  RedeemBody,
  ReleaseBody,
  TransitionView,
} from '../schemas/promo.js';
import { uploadedStream } from './profiles.js';

const DEFAULTS: Omit<PoolSettings, 'name' | 'template_name'> = {
  generator: null,
  valid_from: null,
  valid_to: null,
  code_ttl: null,
  max_codes: null,
  multi_profile: false,
  auto_link: false,
  scenario_can_create: false,
  campaign_can_create: false,
  custom_fields: [],
};

type SettingsBody = Partial<Omit<PoolSettings, 'valid_from' | 'valid_to'>> & { valid_from?: string | null; valid_to?: string | null };

function settingsOf(body: SettingsBody): Partial<PoolSettings> {
  const out: Partial<PoolSettings> = { ...(body as Partial<PoolSettings>) };
  if (body.valid_from !== undefined) out.valid_from = body.valid_from === null ? null : new Date(body.valid_from);
  if (body.valid_to !== undefined) out.valid_to = body.valid_to === null ? null : new Date(body.valid_to);
  return out;
}

function checkSettings(s: PoolSettings) {
  const errors = settingErrors(s);
  if (errors.length) throw badRequest(errors);
}

const ZERO: StatusCounts = { available: 0, issued: 0, redeemed: 0, expired: 0, deleted: 0 };
const poolView = (p: Pool, counts: StatusCounts = ZERO) => {
  const { codes_total: _total, ...rest } = p;
  return { ...rest, counts, capacity: poolCapacity(p.generator)?.toString() ?? null };
};
/** Pools with their per-status totals (one grouped query over the status index). */
async function poolViews(ex: Executor, pools: Pool[], now: Date) {
  const counts = await statusCounts(ex, pools.map((p) => p.id), now);
  return pools.map((p) => poolView(p, counts.get(p.id)));
}
const onePoolView = async (ex: Executor, p: Pool, now: Date) => (await poolViews(ex, [p], now))[0];

function codeView(r: CodeRow, now: Date) {
  return { ...r, status: statusAt(r, now), fields: r.fields ?? {} };
}

/** Refusals become 422 with their slug, unknown pools and codes 404. */
async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof PromoRefusal) throw unprocessable(e.slug, e.message);
    if (e instanceof PromoNotFound) throw notFound(e.what);
    if (e instanceof RemoteGeneratorFailed) throw new ProblemError(502, 'remote-generator-failed', e.message);
    throw e;
  }
}

async function profileId(ex: Executor, input: ProfileRefInput, path = 'profile'): Promise<string> {
  const ref = parseProfileRef(input);
  if (typeof ref === 'string') throw badRequest([{ path, message: ref }]);
  const p = await findProfile(ex, ref);
  if (!p) throw notFound('Profile');
  return p.id;
}

export function promoRoutes(app: FastifyInstance, ctx: AppContext) {
  const tags = ['promo codes'];
  const requirePool = async (ex: Executor, id: string) => {
    const pool = await getPool(ex, id);
    if (!pool) throw notFound('Pool');
    return pool;
  };

  app.post(
    '/promo/pools',
    { schema: { tags, summary: 'Create a promo code pool', body: PoolCreateBody, response: { 201: PoolView } } },
    async (req, reply) => {
      const body = req.body as SettingsBody & { name: string; template_name: string };
      const settings = { ...DEFAULTS, ...settingsOf(body) } as PoolSettings;
      checkSettings(settings);
      const pool = await createPool(ctx.db, settings, ctx.clock.now());
      if (!pool) throw conflict('template-name-taken', `Another pool uses the template name "${settings.template_name}".`);
      return reply.code(201).send(poolView(pool));
    },
  );

  app.get('/promo/pools', { schema: { tags, summary: 'List pools', querystring: PageQuery, response: { 200: Page(PoolView) } } }, async (req) => {
    const q = req.query as { limit?: number; cursor?: string };
    const limit = q.limit ?? 50;
    const rows = await listPools(ctx.db, limit + 1, cursorAfter(q.cursor));
    const items = await poolViews(ctx.db, rows.slice(0, limit), ctx.clock.now());
    return { items, next_cursor: rows.length > limit ? encodeCursor([items[items.length - 1].id]) : null };
  });

  app.get('/promo/pools/:id', { schema: { tags, summary: 'A pool with its capacity', params: IdParams, response: { 200: PoolView } } }, async (req) =>
    onePoolView(ctx.db, await requirePool(ctx.db, (req.params as { id: string }).id), ctx.clock.now()),
  );

  app.patch(
    '/promo/pools/:id',
    { schema: { tags, summary: 'Change settings; status "paused" stops issuing and redeeming', params: IdParams, body: PoolPatchBody, response: { 200: PoolView } } },
    async (req) => {
      const { id } = req.params as { id: string };
      const body = req.body as SettingsBody & { status?: Pool['status'] };
      const pool = await ctx.db.transaction().execute(async (tx) => {
        const current = await requirePool(tx, id);
        const patch = settingsOf(body);
        checkSettings({ ...current, ...patch } as PoolSettings);
        if (patch.template_name && (await templateNameTaken(tx, patch.template_name, id)))
          throw conflict('template-name-taken', `Another pool uses the template name "${patch.template_name}".`);
        return updatePool(tx, id, { ...patch, ...(body.status ? { status: body.status } : {}) }, ctx.clock.now());
      });
      return onePoolView(ctx.db, pool!, ctx.clock.now());
    },
  );

  for (const [action, status] of [['pause', 'paused'], ['resume', 'active']] as const) {
    app.post(
      `/promo/pools/:id/${action}`,
      { schema: { tags, summary: action === 'pause' ? 'Pause: no issuing, generating or redeeming' : 'Resume a paused pool', params: IdParams, response: { 200: PoolView } } },
      async (req) => {
        const pool = await updatePool(ctx.db, (req.params as { id: string }).id, { status }, ctx.clock.now());
        if (!pool) throw notFound('Pool');
        return onePoolView(ctx.db, pool, ctx.clock.now());
      },
    );
  }

  app.post(
    '/promo/pools/:id/generate',
    {
      schema: {
        tags,
        summary: 'Generate codes with the pool generator; 422 pool-exhausted when max_codes or half the free template space would be passed',
        params: IdParams,
        querystring: AsyncQuery,
        body: GenerateBody,
        response: { 200: GenerateResultView, 202: Type.Object({ job_id: Type.String() }) },
      },
    },
    async (req, reply) => {
      const pool = await requirePool(ctx.db, (req.params as { id: string }).id);
      const body = req.body as { count?: number; profiles?: ProfileRefInput[]; segment_id?: string; fields?: Record<string, unknown> };
      const { count, fields } = body;
      const errors: FieldError[] = Object.keys(fields ?? {})
        .filter((f) => !pool.custom_fields.includes(f))
        .map((f) => ({ path: `fields.${f}`, message: 'is not one of the pool custom_fields' }));
      const given = (['count', 'profiles', 'segment_id'] as const).filter((k) => body[k] !== undefined);
      if (given.length !== 1) errors.push({ path: given.length ? given[1] : 'count', message: 'give exactly one of count, profiles, segment_id' });
      const refs = (body.profiles ?? []).map((p, i) => ({ i, ref: parseProfileRef(p) }));
      for (const { i, ref } of refs) if (typeof ref === 'string') errors.push({ path: `profiles.${i}`, message: ref });
      if (errors.length) throw badRequest(errors);
      const async = (req.query as { async?: boolean }).async;
      if (count !== undefined) {
        await guarded(() => checkGeneration(ctx.db, pool, count));
        const run = (progress?: (done: number, total?: number | null) => void) => generateCodes(ctx.db, ctx.clock, pool, count, fields ?? null, progress);
        if (!async) return run();
        const jobId = await startJob(ctx, 'promo.generate', (progress) => run(progress));
        return reply.code(202).send({ job_id: jobId });
      }
      let profileIds: string[];
      if (body.segment_id !== undefined) {
        const seg = await getSegment(ctx.db, body.segment_id);
        if (!seg) throw notFound('Segment');
        const cond = membershipCondition(seg, { now: ctx.clock.now(), scope: null, segments: await referencedSegments(ctx.db, seg.conditions) });
        profileIds = await matchingIds(ctx.db, cond);
      } else {
        const parsed = refs.map(({ i, ref }) => ({ i, ref: ref as ProfileRef }));
        const found = new Map<string, string>();
        for (const kind of ['id', 'email', 'phone', 'external_id'] as const) {
          const values = [...new Set(parsed.filter((r) => r.ref.kind === kind).map((r) => r.ref.value))];
          for (const [v, id] of await lookupProfileIds(ctx.db, kind, values)) found.set(`${kind}:${v}`, id);
        }
        const ids: string[] = [];
        const missing: FieldError[] = [];
        for (const { i, ref } of parsed) {
          const id = found.get(`${ref.kind}:${ref.value}`);
          if (id) ids.push(id);
          else missing.push({ path: `profiles.${i}`, message: `no profile with this ${ref.kind}` });
        }
        if (missing.length) throw new ProblemError(404, 'not-found', 'Some profiles do not exist.', missing);
        profileIds = ids;
      }
      const run = (progress?: (done: number, total?: number | null) => void) =>
        guarded(() => generateForProfiles(ctx.db, ctx.clock, pool, profileIds, fields ?? null, progress));
      if (!async) return run();
      const jobId = await startJob(ctx, 'promo.generate', (progress) => run(progress));
      return reply.code(202).send({ job_id: jobId });
    },
  );

  app.post(
    '/promo/pools/:id/import',
    {
      schema: {
        tags,
        summary: 'Import codes from a CSV or XLSX file (raw body or multipart); bad rows are reported by row, good rows land',
        params: IdParams,
        querystring: ImportQuery,
        response: { 200: ImportResultView, 202: Type.Object({ job_id: Type.String() }) },
      },
    },
    async (req, reply) => {
      const pool = await requirePool(ctx.db, (req.params as { id: string }).id);
      const q = req.query as { column?: string; format?: 'csv' | 'xlsx'; delimiter?: string; async?: boolean };
      let source = await uploadedStream(req);
      let format = q.format ?? (String(req.headers['content-type'] ?? '').includes('spreadsheetml') ? 'xlsx' : undefined);
      if (!format) ({ format, stream: source } = await sniffFormat(source));
      const opts: CodeImportOptions = { format, column: q.column, delimiter: q.delimiter };
      const run = async (src: typeof source, progress?: (n: number) => void) => {
        try {
          return await importCodes(ctx.db, ctx.clock, pool, src, opts, progress);
        } catch (e) {
          if (e instanceof CodeImportError) throw badRequest([{ path: e.about === 'column' && q.column ? 'query.column' : 'file', message: e.message }], 'The file cannot be imported.');
          throw e;
        }
      };
      if (!q.async) return run(source);
      const dir = await mkdtemp(join(tmpdir(), 'retenta-codes-'));
      const file = join(dir, `codes.${opts.format}`);
      await pipeline(source, createWriteStream(file));
      const jobId = await startJob(ctx, 'promo.import', async (progress) => {
        try {
          return await run(createReadStream(file), (n) => progress(n));
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      });
      return reply.code(202).send({ job_id: jobId });
    },
  );

  app.get(
    '/promo/pools/:id/codes',
    { schema: { tags, summary: 'The pool codes in creation order, optionally by status', params: IdParams, querystring: CodeListQuery, response: { 200: Page(CodeView) } } },
    async (req) => {
      const { id } = req.params as { id: string };
      const q = req.query as { status?: string; limit?: number; cursor?: string };
      await requirePool(ctx.db, id);
      let after: number | undefined;
      if (q.cursor !== undefined) {
        const key = decodeCursor(q.cursor, 1);
        if (!key || typeof key[0] !== 'number') throw badRequest([{ path: 'query.cursor', message: 'is not a cursor this list returned' }]);
        after = key[0];
      }
      const limit = q.limit ?? 50;
      const now = ctx.clock.now();
      const rows = await listCodes(ctx.db, id, q.status, now, limit + 1, after);
      const page = rows.slice(0, limit);
      return {
        items: page.map((r) => codeView(r, now)),
        next_cursor: rows.length > limit ? encodeCursor([Number(page[page.length - 1].seq)]) : null,
      };
    },
  );

  app.get(
    '/promo/pools/:id/export',
    { schema: { tags, summary: 'The pool codes as CSV, streamed, with the chosen fields of each linked profile', params: IdParams, querystring: ExportQuery } },
    async (req, reply) => {
      const { id } = req.params as { id: string };
      const parsed = exportFields((req.query as { fields?: string }).fields);
      if ('bad' in parsed)
        throw badRequest(parsed.bad.map((f) => ({ path: 'query.fields', message: `"${f}" is not email, phone, external_id or fields.<name>` })));
      const pool = await requirePool(ctx.db, id);
      reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${pool.template_name}.csv"`);
      return reply.send(exportCodes(ctx.db, ctx.clock, id, parsed.fields));
    },
  );

  app.delete(
    '/promo/pools/:id/codes/:code',
    { schema: { tags, summary: 'Delete an unissued or issued, unredeemed code (it is never reused)', params: PoolCodeParams } },
    async (req, reply) => {
      const { id, code } = req.params as { id: string; code: string };
      await guarded(() => ctx.db.transaction().execute((tx) => promo.deleteCode(tx, id, code, ctx.clock.now())));
      return reply.code(204).send();
    },
  );

  app.post(
    '/promo/pools/:id/issue',
    {
      schema: {
        tags,
        summary: "Give the profile a code: its own if it has one, else the next free one, else one generated now (when allowed)",
        params: IdParams,
        body: IssueBody,
        response: { 200: IssueView },
      },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      const body = req.body as { profile: ProfileRefInput; via?: IssueVia };
      return guarded(() =>
        ctx.db.transaction().execute(async (tx) => promo.issueCode(tx, id, await profileId(tx, body.profile), ctx.clock.now(), body.via ?? 'api')),
      );
    },
  );

  app.get('/promo/codes/:code', { schema: { tags, summary: 'One code, in any pool', params: CodeParams, response: { 200: CodeView } } }, async (req) => {
    const row = await getCode(ctx.db, (req.params as { code: string }).code);
    if (!row) throw notFound('Code');
    return codeView(row, ctx.clock.now());
  });

  app.post(
    '/promo/codes/:code/redeem',
    {
      schema: {
        tags,
        summary: 'Redeem a code for the profile it was issued to; 422 code-expired, code-redeemed, code-not-issued-to-profile or pool-not-valid',
        params: CodeParams,
        body: RedeemBody,
        response: { 200: TransitionView },
      },
    },
    async (req) => {
      const { code } = req.params as { code: string };
      const body = req.body as { profile: ProfileRefInput; order_id?: string };
      return guarded(() =>
        ctx.db.transaction().execute(async (tx) => promo.redeemCode(tx, code, await profileId(tx, body.profile), body.order_id ?? null, ctx.clock.now())),
      );
    },
  );

  app.post(
    '/promo/codes/:code/release',
    { preValidation: emptyBody, schema: { tags, summary: 'Undo a redemption (the order was canceled)', params: CodeParams, body: ReleaseBody, response: { 200: TransitionView } } },
    async (req) => {
      const { code } = req.params as { code: string };
      const body = req.body as { profile?: ProfileRefInput; order_id?: string };
      return guarded(() =>
        ctx.db.transaction().execute(async (tx) =>
          promo.releaseCode(tx, code, ctx.clock.now(), {
            profileId: body.profile ? await profileId(tx, body.profile) : null,
            orderId: body.order_id ?? null,
          }),
        ),
      );
    },
  );

  app.post(
    '/promo/codes/:code/detach',
    {
      preValidation: emptyBody,
      schema: { tags, summary: 'Unlink an issued, unredeemed code from its profile; it becomes available', params: CodeParams, body: DetachBody, response: { 200: TransitionView } },
    },
    async (req) => {
      const { code } = req.params as { code: string };
      const body = req.body as { profile?: ProfileRefInput };
      return guarded(() =>
        ctx.db.transaction().execute(async (tx) =>
          promo.detachCode(tx, code, ctx.clock.now(), body.profile ? await profileId(tx, body.profile) : null),
        ),
      );
    },
  );
}

/** Release and detach take an optional body: none at all reads as `{}`. */
async function emptyBody(req: FastifyRequest) {
  if (req.body === undefined || req.body === null) req.body = {};
}

