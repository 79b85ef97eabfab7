import { compile as compileHtmlToText } from 'html-to-text';
import { Drop, Liquid, type Template } from 'liquidjs';
import { smsInfo, type SmsInfo } from './sms.js';

export const TEMPLATE_CHANNELS = ['email', 'sms', 'push', 'telegram', 'webhook'] as const;
export type TemplateChannel = (typeof TEMPLATE_CHANNELS)[number];
export const TEMPLATE_FORMATS = ['html', 'mjml', 'text'] as const;
export type TemplateFormat = (typeof TEMPLATE_FORMATS)[number];
export const PARSE_MODES = ['HTML', 'MarkdownV2', 'Markdown'] as const;

/** The Liquid-bearing parts of a template, per channel. */
export const TEMPLATE_FIELDS = ['subject', 'preheader', 'from', 'title', 'url', 'body'] as const;
export type TemplateField = (typeof TEMPLATE_FIELDS)[number];

export interface TemplateSource {
  channel: TemplateChannel;
  format: TemplateFormat;
  subject?: string | null;
  preheader?: string | null;
  from?: string | null;
  title?: string | null;
  url?: string | null;
  parse_mode?: string | null;
  /** The body as the author wrote it (MJML, HTML or text). */
  body: string;
  /** The body ready for Liquid: MJML compiled to HTML once, at save time; otherwise the body itself. */
  compiled_body: string;
}

/** A product as catalogue helpers hand it to templates. */
export interface CatalogueProduct {
  id: string;
  name: string;
  price?: number;
  url?: string;
  image_url?: string;
  [key: string]: unknown;
}

/** Catalogue look-ups for cart and recommendation blocks; the market module provides the real one. */
export interface CatalogueReader {
  productsByIds(ids: string[], limit: number): Promise<CatalogueProduct[]>;
  productsInCategory(category: string, limit: number): Promise<CatalogueProduct[]>;
}

export const emptyCatalogue: CatalogueReader = {
  productsByIds: async () => [],
  productsInCategory: async () => [],
};

export const CATALOGUE_LIMIT = 30;
const clampLimit = (n: unknown) => Math.max(1, Math.min(CATALOGUE_LIMIT, Number.isFinite(Number(n)) ? Math.floor(Number(n)) : CATALOGUE_LIMIT));

/**
 * The one Liquid engine: strict parsing (unknown tags and filters are errors at save time), lenient
 * rendering (a missing variable renders empty unless `default` gives a value).
 */
export const liquid = new Liquid({ strictFilters: true, strictVariables: false, ownPropertyOnly: true, cache: false, timezoneOffset: 0 });

// `{{ text | json_escape }}`: the text escaped for use inside a JSON string (HTTP provider body templates).
liquid.registerFilter('json_escape', (v: unknown) => JSON.stringify(String(v ?? '')).slice(1, -1));

function catalogueOf(ctx: { globals: object }): CatalogueReader {
  return (ctx.globals as { __catalogue?: CatalogueReader }).__catalogue ?? emptyCatalogue;
}
// `{% assign items = data.cart.product_ids | products_by_ids: 6 %}` and `{% assign recs = "shoes" | products_in_category: 4 %}`
liquid.registerFilter('products_by_ids', function (this: { context: { globals: object } }, ids: unknown, limit?: unknown) {
  const list = (Array.isArray(ids) ? ids : ids === undefined || ids === null || ids === '' ? [] : [ids]).map(String);
  return list.length ? catalogueOf(this.context).productsByIds(list.slice(0, CATALOGUE_LIMIT), clampLimit(limit)) : [];
});
liquid.registerFilter('products_in_category', function (this: { context: { globals: object } }, category: unknown, limit?: unknown) {
  return category ? catalogueOf(this.context).productsInCategory(String(category), clampLimit(limit)) : [];
});

export interface TemplateError {
  field: string;
  message: string;
}

export interface CompiledTemplate {
  source: TemplateSource;
  parts: Partial<Record<TemplateField, Template[]>>;
  /** Top-level names the template reads (`profile`, `promo`, …): providers it does not read need not run. */
  globals: Set<string>;
}

function liquidMessage(err: unknown): string {
  const e = err as { message?: string; token?: { getPosition?: () => [number, number] } };
  const msg = String(e.message ?? err);
  if (/line:\d+, col:\d+/.test(msg)) return msg;
  const pos = e.token?.getPosition?.();
  return pos ? `${msg}, line:${pos[0]}, col:${pos[1]}` : msg;
}

function sourceText(src: TemplateSource, field: TemplateField): string | null | undefined {
  return field === 'body' ? src.compiled_body : src[field];
}

/** Parses every Liquid part; every part that does not parse is reported with its line and column. */
export function compileTemplate(src: TemplateSource): CompiledTemplate | TemplateError[] {
  const errors: TemplateError[] = [];
  const parts: CompiledTemplate['parts'] = {};
  for (const field of TEMPLATE_FIELDS) {
    const text = sourceText(src, field);
    if (text === null || text === undefined) continue;
    try {
      parts[field] = liquid.parse(text);
    } catch (err) {
      errors.push({ field, message: liquidMessage(err) });
    }
  }
  if (errors.length) return errors;
  const globals = new Set<string>();
  for (const part of Object.values(parts)) {
    try {
      for (const name of liquid.globalVariablesSync(part)) globals.add(name);
    } catch {
      // static analysis is an optimisation only
    }
  }
  return { source: src, parts, globals };
}

/** Checks the Liquid of the fields as written (before MJML compilation), so positions point into the author's text. */
export function checkLiquid(fields: Partial<Record<TemplateField, string | null | undefined>>): TemplateError[] {
  const errors: TemplateError[] = [];
  for (const field of TEMPLATE_FIELDS) {
    const text = fields[field];
    if (text === null || text === undefined) continue;
    try {
      liquid.parse(text);
    } catch (err) {
      errors.push({ field, message: liquidMessage(err) });
    }
  }
  return errors;
}

export interface Rendered {
  subject: string | null;
  body: string;
  /** Plain text: derived from the HTML for email, the body itself for text channels. */
  text: string;
  /** Whether `text` was derived from HTML (then it need not be stored: it can be derived again). */
  textDerived?: boolean;
  preheader?: string | null;
  from?: string | null;
  title?: string | null;
  url?: string | null;
  parse_mode?: string | null;
  sms?: SmsInfo;
}

const htmlToText = compileHtmlToText({
  wordwrap: 100,
  selectors: [
    { selector: 'img', format: 'skip' },
    { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
    { selector: '.preheader', format: 'skip' },
  ],
});

export function plainTextOf(html: string): string {
  return htmlToText(html).trim();
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

/** Puts the preheader, hidden, at the top of the body where mail clients show it as the preview line. */
export function withPreheader(html: string, preheader: string): string {
  const block = `<div class="preheader" style="display:none;max-height:0;overflow:hidden;mso-hide:all">${escapeHtml(preheader)}</div>`;
  const m = /<body[^>]*>/i.exec(html);
  return m ? html.slice(0, m.index + m[0].length) + block + html.slice(m.index + m[0].length) : block + html;
}

/**
 * Renders a compiled template against a scope (`profile`, `data`, `promo`, `loyalty`, `unsubscribe_url`, …).
 * Values in the scope may be promises or Drops: they are resolved only when the template reads them.
 */
export async function renderTemplate(
  t: CompiledTemplate,
  scope: object,
  catalogue: CatalogueReader = emptyCatalogue,
  opts: { sync?: boolean; deriveText?: boolean } = {},
): Promise<Rendered> {
  const renderOpts = { globals: { __catalogue: catalogue } };
  const out: Partial<Record<TemplateField, string>> = {};
  for (const field of TEMPLATE_FIELDS) {
    const part = t.parts[field];
    if (part) out[field] = opts.sync ? liquid.renderSync(part, scope, renderOpts) : await liquid.render(part, scope, renderOpts);
  }
  const derive = opts.deriveText ?? true;
  const src = t.source;
  const body = out.body ?? '';
  const subject = out.subject !== undefined ? out.subject.trim() : null;
  switch (src.channel) {
    case 'email': {
      const html = src.format === 'text' ? body : out.preheader ? withPreheader(body, out.preheader.trim()) : body;
      return {
        subject,
        body: html,
        text: src.format === 'text' ? body : derive ? plainTextOf(html) : '',
        textDerived: src.format !== 'text',
        preheader: out.preheader?.trim() ?? null,
        from: out.from?.trim() || null,
      };
    }
    case 'sms':
      return { subject: null, body, text: body, sms: smsInfo(body) };
    case 'push':
      return { subject: subject ?? out.title?.trim() ?? null, body, text: body, title: (out.title ?? out.subject)?.trim() ?? null, url: out.url?.trim() || null };
    case 'telegram':
      return { subject: null, body, text: src.parse_mode === 'HTML' && derive ? plainTextOf(body) : body, textDerived: src.parse_mode === 'HTML', parse_mode: src.parse_mode ?? null };
    default:
      return { subject, body, text: body };
  }
}

/** A Drop whose every property is looked up on access, e.g. `promo.welcome_code` → issue(`welcome_code`). */
export class LazyDrop extends Drop {
  private cache = new Map<string, unknown>();
  constructor(private readonly lookup: (key: string) => unknown) {
    super();
  }
  override liquidMethodMissing(key: string): unknown {
    if (!this.cache.has(key)) this.cache.set(key, this.lookup(key));
    return this.cache.get(key);
  }
}
