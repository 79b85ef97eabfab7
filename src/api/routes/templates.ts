import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { pageOf } from '../../domain/cursor.js';
import { compileMjml } from '../../domain/messaging/mjml.js';
import { checkLiquid, compileTemplate, type TemplateChannel, type TemplateFormat } from '../../domain/messaging/template.js';
import { parseProfileRef, type ProfileRefInput } from '../../domain/profiles/ref.js';
import { messaging } from '../../engine/messaging.js';
import { newId } from '../../store/ids.js';
import type { RecipientProfile } from '../../store/messages.js';
import { findProfile } from '../../store/profiles.js';
import { deleteTemplate, getTemplate, insertTemplate, listTemplates, updateTemplate, type TemplateRow, type TemplateWrite } from '../../store/templates.js';
import { cursorAfter } from '../pagination.js';
import { badRequest, notFound, type FieldError } from '../problem.js';
import { IdParams } from '../schemas/common.js';
import { RenderBody, TemplateBody, TemplateListQuery } from '../schemas/messaging.js';

interface Body {
  name: string;
  channel: TemplateChannel;
  format?: TemplateFormat;
  subject?: string | null;
  preheader?: string | null;
  from?: string | null;
  title?: string | null;
  url?: string | null;
  parse_mode?: string | null;
  body: string;
  transactional?: boolean;
}

/** Channel rules, Liquid syntax (field, line, column) and MJML validity: every problem is listed. */
async function toWrite(id: string, b: Body): Promise<TemplateWrite> {
  const errors: FieldError[] = [];
  const format: TemplateFormat = b.format ?? (b.channel === 'email' ? (/^\s*<mjml[\s>]/i.test(b.body) ? 'mjml' : 'html') : 'text');
  if (format === 'mjml' && b.channel !== 'email') errors.push({ path: 'format', message: 'mjml is for email templates only' });
  if (b.channel === 'email' && !b.subject) errors.push({ path: 'subject', message: 'is required for email templates' });
  if (b.channel === 'push' && !b.title && !b.subject) errors.push({ path: 'title', message: 'is required for push templates' });
  const notFor = (field: keyof Body, channels: TemplateChannel[]) => {
    if (b[field] !== undefined && b[field] !== null && !channels.includes(b.channel))
      errors.push({ path: field, message: `is not used by ${b.channel} templates (only ${channels.join(', ')})` });
  };
  notFor('preheader', ['email']);
  notFor('from', ['email']);
  notFor('title', ['push']);
  notFor('url', ['push']);
  notFor('parse_mode', ['telegram']);
  for (const e of checkLiquid({ subject: b.subject, preheader: b.preheader, from: b.from, title: b.title, url: b.url, body: b.body }))
    errors.push({ path: e.field, message: `Liquid syntax error: ${e.message}` });
  let compiled = b.body;
  if (format === 'mjml' && b.channel === 'email' && !errors.some((e) => e.path === 'body')) {
    const r = await compileMjml(b.body);
    for (const e of r.errors) errors.push({ path: 'body', message: `MJML: ${e.line ? `line ${e.line}: ` : ''}${e.message}` });
    compiled = r.html;
  }
  const write: TemplateWrite = {
    id,
    name: b.name,
    channel: b.channel,
    format,
    subject: b.subject ?? null,
    preheader: b.preheader ?? null,
    from_address: b.from ?? null,
    title: b.title ?? null,
    url: b.url ?? null,
    parse_mode: b.parse_mode ?? null,
    body: b.body,
    compiled_body: compiled,
    transactional: b.transactional ?? false,
  };
  if (!errors.length) {
    const c = compileTemplate({ ...write, from: write.from_address, channel: b.channel, format });
    if (Array.isArray(c)) for (const e of c) errors.push({ path: e.field, message: `Liquid syntax error after MJML compilation: ${e.message}` });
  }
  if (errors.length) throw badRequest(errors);
  return write;
}

export function templateView(t: TemplateRow) {
  return {
    id: t.id,
    name: t.name,
    channel: t.channel,
    format: t.format,
    subject: t.subject,
    preheader: t.preheader,
    from: t.from_address,
    title: t.title,
    url: t.url,
    parse_mode: t.parse_mode,
    body: t.body,
    transactional: t.transactional,
    created_at: t.created_at,
    updated_at: t.updated_at,
  };
}

const nameTaken = (name: string) => badRequest([{ path: 'name', message: `a template named "${name}" exists already` }]);

export function templateRoutes(app: FastifyInstance, ctx: AppContext) {
  const tags = ['templates'];
  const m = messaging(ctx);

  app.post('/templates', { schema: { tags, summary: 'Create a message template (Liquid; MJML compiled for email)', body: TemplateBody } }, async (req, reply) => {
    const b = req.body as Body;
    const write = await toWrite(newId(), b);
    try {
      const row = await insertTemplate(ctx.db, write, ctx.clock.now());
      m.invalidate();
      return reply.code(201).send(templateView(row));
    } catch (e) {
      if ((e as { code?: string }).code === '23505') throw nameTaken(b.name);
      throw e;
    }
  });

  app.get('/templates', { schema: { tags, summary: 'List templates', querystring: TemplateListQuery } }, async (req) => {
    const q = req.query as { limit?: number; cursor?: string; channel?: string };
    const limit = q.limit ?? 50;
    const rows = await listTemplates(ctx.db, limit + 1, cursorAfter(q.cursor), q.channel);
    const page = pageOf(rows, limit, (r) => [r.id]);
    return { items: page.items.map(templateView), next_cursor: page.next_cursor };
  });

  app.get('/templates/:id', { schema: { tags, summary: 'A template', params: IdParams } }, async (req) => {
    const row = await getTemplate(ctx.db, (req.params as { id: string }).id);
    if (!row) throw notFound('Template');
    return templateView(row);
  });

  app.put('/templates/:id', { schema: { tags, summary: 'Replace a template', params: IdParams, body: TemplateBody } }, async (req) => {
    const id = (req.params as { id: string }).id;
    const b = req.body as Body;
    if (!(await getTemplate(ctx.db, id))) throw notFound('Template');
    const write = await toWrite(id, b);
    try {
      const row = await updateTemplate(ctx.db, write, ctx.clock.now());
      if (!row) throw notFound('Template');
      m.invalidate();
      return templateView(row);
    } catch (e) {
      if ((e as { code?: string }).code === '23505') throw nameTaken(b.name);
      throw e;
    }
  });

  app.delete('/templates/:id', { schema: { tags, summary: 'Delete a template (sent messages keep their content)', params: IdParams } }, async (req, reply) => {
    if (!(await deleteTemplate(ctx.db, (req.params as { id: string }).id))) throw notFound('Template');
    m.invalidate();
    return reply.code(204).send();
  });

  app.post(
    '/templates/:id/render',
    { schema: { tags, summary: 'Preview a template for a profile: {subject, body, text}; nothing is sent or issued', params: IdParams, body: RenderBody } },
    async (req) => {
      const { profile: ref, data } = req.body as { profile: ProfileRefInput; data?: Record<string, unknown> };
      const template = await getTemplate(ctx.db, (req.params as { id: string }).id);
      if (!template) throw notFound('Template');
      const parsed = parseProfileRef(ref);
      if (typeof parsed === 'string') throw badRequest([{ path: 'profile', message: parsed }]);
      const profile = await findProfile(ctx.db, parsed);
      if (!profile) throw notFound('Profile');
      const r = await m.preview(ctx.db, template, profile as RecipientProfile, data ?? {});
      return { ...r, subject: r.subject ?? null };
    },
  );
}
