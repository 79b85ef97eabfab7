/**
 * Product imports, streamed in constant memory: a YML (Yandex Market Language) feed through a SAX
 * parser, or a CSV through csv-parse. Products are written in batches; a bad offer or row is reported
 * with its line number and the good ones land.
 */
import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { TextDecoder } from 'node:util';
import { SaxesParser } from 'saxes';
import type { Clock } from '../domain/clock.js';
import { csvRecordToInput, ymlOfferToInput, type YmlOffer } from '../domain/market/feed.js';
import { toProduct, type Product } from '../domain/market/product.js';
import type { Db } from '../store/db.js';
import { writeCategories, writeProducts, type UpsertMode } from '../store/market.js';

export interface ProductImportOptions {
  mode: UpsertMode;
  format?: 'yml' | 'csv';
  delimiter?: string;
}

export interface ProductImportResult {
  created: number;
  updated: number;
  failed: number;
  /** Items the mode left alone (an existing id in add mode, a new one in update mode). */
  skipped: number;
  errors: { line: number; id?: string; message: string }[];
  errors_truncated?: boolean;
}

const BATCH = 1000;
const MAX_ERRORS = 1000;

class Sink {
  readonly result: ProductImportResult = { created: 0, updated: 0, failed: 0, skipped: 0, errors: [] };
  private batch = new Map<string, Product>();
  private categories: { id: string; name: string; parent_id: string | null }[] = [];
  seen = 0;

  constructor(
    private db: Db,
    private clock: Clock,
    private mode: UpsertMode,
    private progress?: (n: number) => void,
  ) {}

  fail(line: number, message: string, id?: string) {
    this.result.failed++;
    if (this.result.errors.length < MAX_ERRORS) this.result.errors.push({ line, ...(id ? { id } : {}), message });
    else this.result.errors_truncated = true;
  }

  /** A problem that is not one item's (broken document structure): listed, not counted as a failed item. */
  note(line: number, message: string) {
    if (this.result.errors.length < MAX_ERRORS) this.result.errors.push({ line, message });
    else this.result.errors_truncated = true;
  }

  add(line: number, id: string, input: Parameters<typeof toProduct>[1]) {
    this.seen++;
    const p = toProduct(id, input);
    if (Array.isArray(p)) return this.fail(line, p.map((e) => `${e.path} ${e.message}`).join('; '), id);
    // The last occurrence of an id in a batch wins (one statement cannot write a row twice).
    if (this.batch.has(id)) this.result.skipped++;
    this.batch.set(id, p);
  }

  category(id: string, name: string, parent: string | null) {
    this.categories.push({ id, name, parent_id: parent });
  }

  get full() {
    return this.batch.size >= BATCH || this.categories.length >= BATCH;
  }

  async flush() {
    if (this.categories.length) {
      const cats = this.categories;
      this.categories = [];
      await writeCategories(this.db, cats, this.clock.now());
    }
    if (!this.batch.size) return;
    const products = [...this.batch.values()];
    this.batch = new Map();
    const r = await writeProducts(this.db, products, this.mode, this.clock.now());
    this.result.created += r.created.length;
    this.result.updated += r.updated.length;
    this.result.skipped += products.length - r.created.length - r.updated.length;
    this.progress?.(this.seen);
  }
}

/** Reads the XML declaration's encoding (YML feeds are often windows-1251). */
function declaredEncoding(head: Buffer): string {
  const m = /<\?xml[^>]*encoding=["']([A-Za-z0-9._-]+)["']/.exec(head.subarray(0, 200).toString('latin1'));
  return m ? m[1].toLowerCase() : 'utf-8';
}

export async function importProducts(db: Db, clock: Clock, source: Readable, opts: ProductImportOptions, progress?: (n: number) => void): Promise<ProductImportResult> {
  const sink = new Sink(db, clock, opts.mode, progress);
  if (opts.format === 'csv') await readCsv(source, sink, opts.delimiter);
  else if (opts.format === 'yml') await readYml(source, sink);
  else {
    // Sniff: XML starts with '<' (after a BOM or whitespace).
    const it = source[Symbol.asyncIterator]();
    const first = await it.next();
    const head: Buffer = first.done ? Buffer.alloc(0) : Buffer.from(first.value);
    const rest = (async function* () {
      if (head.length) yield head;
      for (;;) {
        const n = await it.next();
        if (n.done) return;
        yield n.value as Buffer;
      }
    })();
    const text = head.subarray(0, 64).toString('utf8').replace(/^\uFEFF/, '').trimStart();
    const { Readable: R } = await import('node:stream');
    const stream = R.from(rest);
    if (text.startsWith('<')) await readYml(stream, sink);
    else await readCsv(stream, sink, opts.delimiter);
  }
  await sink.flush();
  return sink.result;
}

async function readYml(source: AsyncIterable<Buffer | string>, sink: Sink): Promise<void> {
  const parser = new SaxesParser({ position: true });
  let decoder: TextDecoder | null = null;
  const path: string[] = [];
  let offer: (YmlOffer & { line: number }) | null = null;
  let text = '';
  let param: string | null = null;
  let category: { id: string; parent: string | null; line: number } | null = null;
  let fatal: string | null = null;
  let xmlErrors = 0;

  let lastErrorLine = -1;
  parser.on('error', (err) => {
    // The offer being read when the XML breaks is reported by its line and dropped; the parser goes on
    // with the rest. Other breakage is noted once per line; a document broken beyond repair stops.
    const message = `malformed XML: ${err.message.replace(/^[^:]*:\d+:\d+: /, '')}`;
    if (offer) sink.fail(offer.line, message, offer.id || undefined);
    else if (parser.line !== lastErrorLine) sink.note(parser.line, message);
    lastErrorLine = offer?.line ?? parser.line;
    offer = null;
    if (++xmlErrors >= 1000) fatal = err.message;
  });
  parser.on('opentag', (tag) => {
    const attrs = tag.attributes as Record<string, string>;
    path.push(tag.name);
    text = '';
    // Offers are read wherever they are, so that the parser's recovery from broken XML keeps the ones after it.
    if (tag.name === 'offer' && !offer) {
      offer = { id: (attrs.id ?? '').trim(), available: attrs.available, fields: {}, params: {}, line: parser.line };
    } else if (offer && tag.name === 'param') param = attrs.name ?? '';
    else if (tag.name === 'category' && path.at(-2) === 'categories') category = { id: (attrs.id ?? '').trim(), parent: attrs.parentId?.trim() || null, line: parser.line };
  });
  parser.on('text', (t) => {
    text += t;
  });
  parser.on('cdata', (t) => {
    text += t;
  });
  parser.on('closetag', (tag) => {
    path.pop();
    if (tag.name === 'offer' && offer) {
      const o = offer;
      offer = null;
      if (!o.id) sink.fail(o.line, 'offer has no id');
      else sink.add(o.line, o.id, ymlOfferToInput(o));
    } else if (offer && tag.name === 'param' && param !== null) {
      if (param) offer.params[param] = text.trim();
      param = null;
    } else if (offer && path.at(-1) === 'offer') {
      // The first picture wins; other fields keep their last value.
      if (!(tag.name === 'picture' && offer.fields.picture)) offer.fields[tag.name] = text;
    } else if (tag.name === 'category' && category) {
      if (!category.id) sink.fail(category.line, 'category has no id');
      else sink.category(category.id, text.trim(), category.parent);
      category = null;
    }
    text = '';
  });

  for await (const chunk of source) {
    if (fatal) break;
    if (typeof chunk === 'string') parser.write(chunk);
    else {
      decoder ??= new TextDecoder(declaredEncoding(chunk));
      parser.write(decoder.decode(chunk, { stream: true }));
    }
    if (sink.full) await sink.flush();
  }
  if (!fatal) {
    if (decoder) parser.write(decoder.decode());
    try {
      parser.close();
    } catch {
      /* reported through the error handler */
    }
  }
}

async function readCsv(source: AsyncIterable<Buffer | string>, sink: Sink, delimiter?: string): Promise<void> {
  const parser = parse({ columns: true, bom: true, skip_empty_lines: true, relax_column_count: true, delimiter: delimiter ?? ',', info: true });
  const feed = (async () => {
    try {
      for await (const chunk of source) if (!parser.write(chunk)) await new Promise((r) => parser.once('drain', r));
      parser.end();
    } catch (e) {
      parser.destroy(e as Error);
    }
  })();
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
      const r = csvRecordToInput(record);
      if (typeof r === 'string') sink.fail(info.lines, r);
      else sink.add(info.lines, r.id, r.input);
      if (sink.full) await sink.flush();
    }
  } catch (e) {
    sink.fail((e as { lines?: number }).lines ?? 0, `malformed CSV: ${(e as Error).message}`);
  }
  await feed;
}
