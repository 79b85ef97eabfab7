import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import ExcelJS from 'exceljs';
import type { Clock } from '../domain/clock.js';
import { codeProblem } from '../domain/promo/codes.js';
import type { Executor } from '../store/db.js';
import { insertCodes, type Pool } from '../store/promo.js';

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

/**
 * Streams codes from a CSV or XLSX file into the pool in batches (constant memory). The first row is the
 * header. Other columns named like the pool's custom fields are stored on each code. A bad code is reported
 * with its row and the good ones land; a code that exists in any pool (or earlier in the file) is a duplicate.
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
  let codeCol = -1;
  let fieldCols: [number, string][] = [];
  let codes: string[] = [];
  let fields: (Record<string, unknown> | null)[] = [];
  let done = 0;
  const flush = async () => {
    if (!codes.length) return;
    const { inserted } = await insertCodes(ex, pool.id, codes, clock.now(), { fields: fieldCols.length ? fields : null });
    result.added += inserted;
    result.duplicates += codes.length - inserted;
    done += codes.length;
    codes = [];
    fields = [];
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
      codes.push(raw.trim());
      if (fieldCols.length) {
        const f: Record<string, unknown> = {};
        for (const [i, name] of fieldCols) if (cells[i]?.trim()) f[name] = cells[i].trim();
        fields.push(f);
      }
      if (codes.length >= BATCH) await flush();
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
  return result;
}
