import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import { decodeCursor, encodeCursor, pageOf } from '../../domain/cursor.js';
import { normalizeEmail, normalizePhone } from '../../domain/profiles/contact.js';
import { parseProfileRef } from '../../domain/profiles/ref.js';
import { startJob } from '../../engine/jobs.js';
import { importProfiles, mappingErrors, type ImportOptions } from '../../imports/profiles.js';
import {
  eraseProfile,
  findProfile,
  getProfile,
  listProfiles,
  ProfileConflict,
  updateProfile,
  upsertProfile,
  type ProfileInput,
} from '../../store/profiles.js';
import { readTimeline, type TimelineEntry } from '../../store/timeline.js';
import { cursorAfter } from '../pagination.js';
import { badRequest, conflict, notFound, type FieldError } from '../problem.js';
import { IdParams, Page, PageQuery } from '../schemas/common.js';
import {
  ImportQuery,
  ProfileLookupQuery,
  ProfilePatchBody,
  ProfileUpsertBody,
  ProfileView,
  TimelineEntryView,
} from '../schemas/profiles.js';

type Body = { email?: string | null; phone?: string | null; external_id?: string | null; fields?: Record<string, unknown>; subscriptions?: Record<string, string> };

/** Normalises contact identifiers; every bad one is listed. */
function toInput(body: Body): ProfileInput {
  const errors: FieldError[] = [];
  const input: ProfileInput = { external_id: body.external_id, fields: body.fields, subscriptions: body.subscriptions };
  if (body.email !== undefined) {
    const norm = body.email === null ? null : normalizeEmail(body.email);
    if (body.email !== null && !norm) errors.push({ path: 'email', message: 'is not a valid email address' });
    input.email = body.email === null ? null : body.email.trim();
    input.email_norm = norm;
  }
  if (body.phone !== undefined) {
    const norm = body.phone === null ? null : normalizePhone(body.phone);
    if (body.phone !== null && !norm) errors.push({ path: 'phone', message: 'is not a valid phone number with country code' });
    input.phone = norm;
  }
  if (errors.length) throw badRequest(errors);
  return input;
}

const conflictOf = (e: ProfileConflict) => conflict('profile-identifier-taken', `The ${e.field} belongs to another profile.`);

export function profileRoutes(app: FastifyInstance, ctx: AppContext) {
  const tags = ['profiles'];

  app.post(
    '/profiles',
    { schema: { tags, summary: 'Create or update a profile (matched by external_id, then email, then phone)', body: ProfileUpsertBody, response: { 200: ProfileView, 201: ProfileView } } },
    async (req, reply) => {
      const body = req.body as Body;
      if (!body.email && !body.phone && !body.external_id)
        throw badRequest([{ path: 'email', message: 'one of email, phone or external_id is required' }]);
      const input = toInput(body);
      try {
        const { profile, created } = await ctx.db.transaction().execute((tx) => upsertProfile(tx, input, ctx.clock.now()));
        ctx.bus.publish('profiles', [profile.id]);
        return reply.code(created ? 201 : 200).send(profile);
      } catch (e) {
        if (e instanceof ProfileConflict) throw conflictOf(e);
        throw e;
      }
    },
  );

  app.get(
    '/profiles',
    { schema: { tags, summary: 'Look a profile up by email, phone or external_id; without one, list profiles', querystring: ProfileLookupQuery } },
    async (req) => {
      const q = req.query as { email?: string; phone?: string; external_id?: string; limit?: number; cursor?: string };
      const given = (['email', 'phone', 'external_id'] as const).filter((k) => q[k] !== undefined);
      if (given.length > 1) throw badRequest(given.map((k) => ({ path: `query.${k}`, message: 'give only one of email, phone, external_id' })));
      if (given.length === 1) {
        const ref = parseProfileRef({ [given[0]]: q[given[0]] });
        if (typeof ref === 'string') throw badRequest([{ path: `query.${given[0]}`, message: ref }]);
        const profile = await findProfile(ctx.db, ref);
        if (!profile) throw notFound('Profile');
        return profile;
      }
      const limit = q.limit ?? 50;
      const rows = await listProfiles(ctx.db, limit + 1, cursorAfter(q.cursor));
      return pageOf(rows, limit, (r) => [r.id]);
    },
  );

  app.get('/profiles/:id', { schema: { tags, params: IdParams, response: { 200: ProfileView } } }, async (req) => {
    const profile = await getProfile(ctx.db, (req.params as { id: string }).id);
    if (!profile) throw notFound('Profile');
    return profile;
  });

  app.patch(
    '/profiles/:id',
    { schema: { tags, summary: 'Partial update; fields merge (null removes a key)', params: IdParams, body: ProfilePatchBody, response: { 200: ProfileView } } },
    async (req) => {
      const input = toInput(req.body as Body);
      try {
        const profile = await ctx.db.transaction().execute((tx) => updateProfile(tx, (req.params as { id: string }).id, input, ctx.clock.now()));
        if (!profile) throw notFound('Profile');
        ctx.bus.publish('profiles', [profile.id]);
        return profile;
      } catch (e) {
        if (e instanceof ProfileConflict) throw conflictOf(e);
        throw e;
      }
    },
  );

  app.delete('/profiles/:id', { schema: { tags, summary: 'Erase personal data (GDPR); ledgers and orders stay, anonymised', params: IdParams } }, async (req, reply) => {
    const ok = await ctx.db.transaction().execute((tx) => eraseProfile(tx, (req.params as { id: string }).id, ctx.clock.now()));
    if (!ok) throw notFound('Profile');
    ctx.bus.publish('profiles', [(req.params as { id: string }).id]);
    return reply.code(204).send();
  });

  app.get(
    '/profiles/:id/timeline',
    { schema: { tags, summary: 'Everything that happened to the profile, newest first', params: IdParams, querystring: PageQuery, response: { 200: Page(TimelineEntryView) } } },
    async (req) => {
      const { id } = req.params as { id: string };
      const q = req.query as { limit?: number; cursor?: string };
      const limit = q.limit ?? 50;
      let before: TimelineEntry | null = null;
      if (q.cursor !== undefined) {
        const key = decodeCursor(q.cursor, 2);
        if (!key || typeof key[0] !== 'string' || typeof key[1] !== 'string' || Number.isNaN(Date.parse(key[0])))
          throw badRequest([{ path: 'query.cursor', message: 'is not a cursor this list returned' }]);
        before = { at: key[0], id: key[1], kind: '', title: '', data: null };
      }
      if (!(await getProfile(ctx.db, id))) throw notFound('Profile');
      const rows = await readTimeline(ctx.db, id, before, limit);
      const page = pageOf(rows, limit, (r) => [r.at, r.id]);
      return { items: page.items, next_cursor: page.next_cursor && encodeCursor([page.items.at(-1)!.at, page.items.at(-1)!.id]) };
    },
  );

  app.post(
    '/profiles/import',
    {
      schema: {
        tags,
        summary: 'Import profiles from CSV (text/csv body or multipart file); bad rows are reported by line, good rows land',
        querystring: ImportQuery,
        response: { 202: Type.Object({ job_id: Type.String() }) },
      },
    },
    async (req, reply) => {
      const q = req.query as { match?: ImportOptions['match']; mapping?: string; delimiter?: string; async?: boolean };
      const opts: ImportOptions = { match: q.match, delimiter: q.delimiter };
      if (q.mapping !== undefined) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(q.mapping);
        } catch {
          throw badRequest([{ path: 'query.mapping', message: 'must be a JSON object of column → target' }]);
        }
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || !Object.values(parsed).every((v) => typeof v === 'string'))
          throw badRequest([{ path: 'query.mapping', message: 'must be a JSON object of column → target' }]);
        const bad = mappingErrors(parsed as Record<string, string>);
        if (bad.length) throw badRequest(bad.map((message) => ({ path: 'query.mapping', message })));
        opts.mapping = parsed as Record<string, string>;
      }
      opts.onStored = (ids) => ctx.bus.publish('profiles', ids);
      const source = await uploadedStream(req);
      if (!q.async) return importProfiles(ctx.db, ctx.clock, source, opts);
      // Asynchronous: keep the upload on disk, answer at once, import from the file.
      const dir = await mkdtemp(join(tmpdir(), 'retenta-import-'));
      const file = join(dir, 'profiles.csv');
      await pipeline(source, createWriteStream(file));
      const jobId = await startJob(ctx, 'profiles.import', async (progress) => {
        try {
          return await importProfiles(ctx.db, ctx.clock, createReadStream(file), opts, (n) => progress(n));
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      });
      return reply.code(202).send({ job_id: jobId });
    },
  );
}

/** The uploaded file as a stream: a raw CSV body, or the first file of a multipart form. */
export async function uploadedStream(req: FastifyRequest): Promise<Readable> {
  if (req.isMultipart()) {
    const file = await req.file();
    if (!file) throw badRequest([{ path: 'file', message: 'a multipart upload needs a file part' }]);
    return file.file;
  }
  const body = req.body as Readable | undefined;
  if (!body || typeof body.pipe !== 'function')
    throw badRequest([{ path: '(body)', message: 'send the file as text/csv or as a multipart file' }], 'No file in the request.');
  return body;
}
