import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import ExcelJS from 'exceljs';
import type { Clock } from '../domain/clock.js';
import { codeProblem } from '../domain/promo/codes.js';
import { expiryOf } from '../domain/promo/lifecycle.js';
import { isUuid, parseProfileRef, type ProfileRef } from '../domain/profiles/ref.js';
import type { Db, Executor, Tx } from '../store/db.js';
import { acceptStored, analyzeCodes, existingCodes, expireCodesOfProfiles, insertCodes, insertLinkedCodes, removeFreshCodes, type Pool } from '../store/promo.js';
import { lookupProfileIds } from '../store/segments.js';

export interface CodeImportOptions {
  format: 'csv' | 'xlsx';
  /** Header of the code column; default "code" when the file has one, else the first column. */
  column?: string;
  delimiter?: string;
}

export interface CodeImportResult {
  added: number;
  duplicates: number;
  invalid: number;
  errors: { row: number; message: string }[];
  errors_truncated?: boolean;
  /** With `auto_link`: how many of the added codes were issued to the profile their row names. */
  linked?: number;
}

/** The file cannot be imported at all (e.g. the named column is missing): a 400, nothing stored. */
export class CodeImportError extends Error {
  constructor(
    message: string,
    /** What is wrong: the named column, or the file itself. */
    readonly about: 'column' | 'file' = 'file',
  ) {
    super(message);
  }
}

const BATCH = 10_000;
const MAX_ERRORS = 1000;

/**
 * Tells an XLSX file (a zip: it starts with "PK\x03\x04") from a CSV by its first bytes, for uploads that do
 * not say; returns the stream to read from (with those bytes still in it).
 */
export async function sniffFormat(source: Readable): Promise<{ format: 'csv' | 'xlsx'; stream: Readable }> {
  const it = source[Symbol.asyncIterator]();
  const first = await it.next();
  const head = first.done ? Buffer.alloc(0) : Buffer.from(first.value as Buffer);
  const format = head.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04])) ? 'xlsx' : 'csv';
  async function* rest() {
    if (!first.done) yield head;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value as Buffer;
  }
  return { format, stream: Readable.from(rest(), { objectMode: false }) };
}

/** Rows of the first sheet or of the CSV, as cell texts, each with its 1-based line/row number. */
async function* rowsOf(source: Readable, opts: CodeImportOptions): AsyncGenerator<{ row: number; cells: string[] }> {
  if (opts.format === 'xlsx') {
    const reader = new ExcelJS.stream.xlsx.WorkbookReader(source, { sharedStrings: 'cache', hyperlinks: 'ignore', styles: 'ignore', worksheets: 'emit' });
    for await (const sheet of reader) {
      for await (const row of sheet as AsyncIterable<ExcelJS.Row>) {
        const values = (row.values as unknown[]).slice(1);
        yield { row: row.number, cells: values.map(cellText) };
      }
      return; // the first sheet only
    }
    return;
  }
  const parser = source.pipe(
    parse({ bom: true, skip_empty_lines: true, relax_column_count: true, delimiter: opts.delimiter ?? ',', info: true }),
  );
  source.on('error', (err) => parser.destroy(err));
  for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) yield { row: info.lines, cells: record };
}

function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') {
    const o = v as { text?: unknown; result?: unknown; richText?: { text: string }[] };
    if (o.richText) return o.richText.map((r) => r.text).join('');
    if (o.text !== undefined) return String(o.text);
    if (o.result !== undefined) return String(o.result);
    if (v instanceof Date) return v.toISOString();
  }
  return String(v);
}

/** Headers that name the profile a code goes to when the pool has `auto_link` (compared case-insensitively). */
const PROFILE_COLUMNS = ['profile', 'profile_id', 'id', 'email', 'phone', 'external_id'] as const;

/** A profile column's cell as a reference: `profile` holds an id, an email or a phone (told apart by shape). */
function refOf(column: (typeof PROFILE_COLUMNS)[number], value: string): ProfileRef | string {
  if (column === 'profile') {
    if (isUuid(value)) return parseProfileRef({ id: value });
    if (value.includes('@')) return parseProfileRef({ email: value });
    if (/^\+?[0-9 ()-]+$/.test(value)) return parseProfileRef({ phone: value });
    return parseProfileRef({ external_id: value });
  }
  return parseProfileRef({ [column === 'profile_id' ? 'id' : column]: value });
}

interface ImportRow {
  row: number;
  code: string;
  fields: Record<string, unknown> | null;
  ref?: ProfileRef;
}

async function inTransaction<T>(ex: Executor, work: (tx: Tx) => Promise<T>): Promise<T> {
  return ex.isTransaction ? work(ex as Tx) : (ex as Db).transaction().execute(work);
}

/**
 * Streams codes from a CSV or XLSX file into the pool in batches (constant memory). The first row is the
 * header. Other columns named like the pool's custom fields are stored on each code. A bad code is reported
 * with its row and the good ones land; a code that exists in any pool (or earlier in the file) is a duplicate.
 * Each batch is one transaction that also moves the pool's counter: rows past `max_codes` are reported and
 * not stored. With `auto_link`, a row whose `profile` / `email` / `phone` / `external_id` cell names a profile
 * is issued to it at once (a profile that does not exist, or holds a live code of the pool, is a bad row).
 */
export async function importCodes(
  ex: Executor,
  clock: Clock,
  pool: Pool,
  source: Readable,
  opts: CodeImportOptions,
  progress?: (done: number) => void,
): Promise<CodeImportResult> {
  const result: CodeImportResult = { added: 0, duplicates: 0, invalid: 0, errors: [] };
  const error = (row: number, message: string) => {
    if (result.errors.length < MAX_ERRORS) result.errors.push({ row, message });
    else result.errors_truncated = true;
  };
  const linking = pool.auto_link && !pool.multi_profile;
  let codeCol = -1;
  let fieldCols: [number, string][] = [];
  let profileCol: [number, (typeof PROFILE_COLUMNS)[number]] | null = null;
  let rows: ImportRow[] = [];
  let done = 0;
  const flush = async () => {
    if (!rows.length) return;
    const batch = rows;
    rows = [];
    const now = clock.now();
    await inTransaction(ex, async (tx) => {
      const plain = batch.filter((r) => !r.ref);
      const linked = batch.filter((r) => r.ref);
      const landed: ImportRow[] = [];
      if (plain.length) {
        const { codes } = await insertCodes(tx, pool.id, plain.map((r) => r.code), now, {
          fields: fieldCols.length ? plain.map((r) => r.fields) : null,
          returning: true,
        });
        const fresh = new Set(codes);
        for (const r of plain)
          if (fresh.delete(r.code)) landed.push(r);
          else result.duplicates++;
      }
      if (linked.length) {
        const ids = await resolveRefs(tx, linked.map((r) => r.ref!));
        const known: (ImportRow & { profile_id: string })[] = [];
        for (const r of linked) {
          const id = ids.get(`${r.ref!.kind}:${r.ref!.value}`);
          if (id) known.push({ ...r, profile_id: id });
          else {
            result.invalid++;
            error(r.row, `no profile with this ${r.ref!.kind}`);
          }
        }
        await expireCodesOfProfiles(tx, pool.id, [...new Set(known.map((r) => r.profile_id))], now);
        const stored = await insertLinkedCodes(tx, pool.id, known, now, expiryOf(pool, now), { imported: true });
        const fresh = new Set(stored.map((x) => `${x.code}\n${x.profile_id}`));
        const missed = new Set(known.filter((r) => !fresh.has(`${r.code}\n${r.profile_id}`)));
        const exist = await existingCodes(tx, [...missed].map((r) => r.code));
        for (const r of known)
          if (!missed.has(r)) landed.push(r);
          else if (exist.has(r.code)) result.duplicates++;
          else {
            result.invalid++;
            error(r.row, 'the profile holds a live code of this pool already');
          }
      }
      landed.sort((a, b) => a.row - b.row);
      const accepted = await acceptStored(tx, pool.id, landed.length);
      const over = landed.slice(accepted);
      if (over.length) {
        await removeFreshCodes(tx, pool.id, over.map((r) => r.code));
        for (const r of over) {
          result.invalid++;
          error(r.row, `the pool holds max_codes (${pool.max_codes}) codes`);
        }
      }
      result.added += accepted;
      if (linking) result.linked = (result.linked ?? 0) + landed.slice(0, accepted).filter((r) => r.ref).length;
    });
    done += batch.length;
    progress?.(done);
  };
  try {
    for await (const { row, cells } of rowsOf(source, opts)) {
      if (codeCol < 0) {
        const headers = cells.map((c) => c.trim());
        const wanted = opts.column ?? (headers.some((h) => h.toLowerCase() === 'code') ? 'code' : headers[0]);
        codeCol = headers.findIndex((h) => h === wanted || h.toLowerCase() === wanted.toLowerCase());
        if (codeCol < 0) throw new CodeImportError(`the file has no column "${wanted}"; its columns are ${headers.map((h) => `"${h}"`).join(', ')}`, 'column');
        fieldCols = headers.map((h, i) => [i, h] as [number, string]).filter(([i, h]) => i !== codeCol && pool.custom_fields.includes(h));
        if (linking)
          for (const name of PROFILE_COLUMNS) {
            const i = headers.findIndex((h, k) => k !== codeCol && h.toLowerCase() === name);
            if (i >= 0) {
              profileCol = [i, name];
              break;
            }
          }
        continue;
      }
      const raw = cells[codeCol] ?? '';
      const problem = codeProblem(raw);
      if (problem) {
        if (cells.every((c) => !c.trim())) continue;
        result.invalid++;
        error(row, problem);
        continue;
      }
      let fields: Record<string, unknown> | null = null;
      if (fieldCols.length) {
        fields = {};
        for (const [i, name] of fieldCols) if (cells[i]?.trim()) fields[name] = cells[i].trim();
      }
      let ref: ProfileRef | undefined;
      const cell = profileCol ? (cells[profileCol[0]] ?? '').trim() : '';
      if (profileCol && cell) {
        const parsed = refOf(profileCol[1], cell);
        if (typeof parsed === 'string') {
          result.invalid++;
          error(row, `${profileCol[1]}: ${parsed}`);
          continue;
        }
        ref = parsed;
      }
      rows.push({ row, code: raw.trim(), fields, ref });
      if (rows.length >= BATCH) await flush();
    }
  } catch (err) {
    if (err instanceof CodeImportError) throw err;
    if (codeCol < 0) throw new CodeImportError(`the file could not be read as ${opts.format.toUpperCase()}: ${(err as Error).message}`);
    await flush();
    error(0, `the file could not be read past this point: ${(err as Error).message}`);
    return result;
  }
  if (codeCol < 0) throw new CodeImportError('the file is empty; it needs a header row and one code per row');
  await flush();
  result.errors.sort((a, b) => a.row - b.row);
  if (result.added >= 10_000) await analyzeCodes(ex);
  return result;
}

/** Profile ids of references (one query per kind), keyed `kind:value`; references to no profile are absent. */
async function resolveRefs(ex: Executor, refs: ProfileRef[]): Promise<Map<string, string>> {
  const byKind = new Map<ProfileRef['kind'], Set<string>>();
  for (const r of refs) {
    if (!byKind.has(r.kind)) byKind.set(r.kind, new Set());
    byKind.get(r.kind)!.add(r.value);
  }
  const out = new Map<string, string>();
  for (const [kind, values] of byKind) for (const [v, id] of await lookupProfileIds(ex, kind, [...values])) out.set(`${kind}:${v}`, id);
  return out;
}
