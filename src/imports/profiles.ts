import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import type { Clock } from '../domain/clock.js';
import { normalizeEmail, normalizePhone } from '../domain/profiles/contact.js';
import { SUBSCRIPTION_STATUSES } from '../domain/profiles/subscriptions.js';
import type { Db } from '../store/db.js';
import { ProfileConflict, upsertProfile, upsertProfiles, type ProfileInput } from '../store/profiles.js';

export type MatchKey = 'email' | 'phone' | 'external_id';
export interface ImportOptions {
  match?: MatchKey;
  /** CSV header → target (`email`, `phone`, `external_id`, `subscriptions.<channel>`, `fields.<name>`); '' skips a column. */
  mapping?: Record<string, string>;
  delimiter?: string;
  /** Told the ids of the profiles each committed batch created or changed (segment membership listens). */
  onStored?: (profileIds: string[]) => void;
}
export interface ImportResult {
  created: number;
  updated: number;
  failed: number;
  errors: { row: number; message: string }[];
  errors_truncated?: boolean;
}

const BATCH = 1000;
const MAX_ERRORS = 1000;
const TARGET_RE = /^(email|phone|external_id|subscriptions\.(email|sms|push|telegram)|fields\.[^.\s][^\s]{0,99})$/;

/** Checks a column mapping before any row is read; returns the bad entries. */
export function mappingErrors(mapping: Record<string, string>): string[] {
  return Object.entries(mapping)
    .filter(([, target]) => target !== '' && !TARGET_RE.test(target))
    .map(([col, target]) => `column "${col}" maps to "${target}", which is not email, phone, external_id, subscriptions.<channel> or fields.<name>`);
}

function targetOf(header: string, mapping: Record<string, string>): string {
  if (header in mapping) return mapping[header];
  const h = header.trim();
  const lower = h.toLowerCase();
  if (lower === 'email' || lower === 'phone' || lower === 'external_id') return lower;
  if (TARGET_RE.test(h)) return h;
  return `fields.${h}`;
}

/** One CSV record → a normalised profile write, or the reason it cannot be one. */
export function rowToInput(record: Record<string, string>, mapping: Record<string, string>, match?: MatchKey): ProfileInput | string {
  const input: ProfileInput = {};
  const fields: Record<string, unknown> = {};
  const subs: Record<string, string> = {};
  const problems: string[] = [];
  for (const [header, raw] of Object.entries(record)) {
    const target = targetOf(header, mapping);
    const value = (raw ?? '').trim();
    if (!target || value === '') continue;
    if (target === 'email') {
      const norm = normalizeEmail(value);
      if (!norm) problems.push(`email "${value}" is not a valid address`);
      else Object.assign(input, { email: value, email_norm: norm });
    } else if (target === 'phone') {
      const norm = normalizePhone(value);
      if (!norm) problems.push(`phone "${value}" is not a valid number with country code`);
      else input.phone = norm;
    } else if (target === 'external_id') {
      if (value.length > 200) problems.push('external_id is longer than 200 characters');
      else input.external_id = value;
    } else if (target.startsWith('subscriptions.')) {
      if (!(SUBSCRIPTION_STATUSES as readonly string[]).includes(value))
        problems.push(`${target} must be one of ${SUBSCRIPTION_STATUSES.join(', ')}`);
      else subs[target.slice('subscriptions.'.length)] = value;
    } else if (target.startsWith('fields.')) {
      if (value.includes('\u0000')) problems.push(`${target} contains a NUL character`);
      else fields[target.slice('fields.'.length)] = value;
    }
  }
  if (problems.length) return problems.join('; ');
  const matchValue = match === 'email' ? input.email_norm : match === 'phone' ? input.phone : match === 'external_id' ? input.external_id : undefined;
  if (match && !matchValue) return `the ${match} column is empty`;
  if (!input.email_norm && !input.phone && !input.external_id) return 'a row needs an email, a phone or an external_id';
  if (Object.keys(fields).length) input.fields = fields;
  if (Object.keys(subs).length) input.subscriptions = subs;
  return input;
}

/**
 * Streams a CSV into profiles in batches: constant memory whatever the file's size. A bad row is reported
 * with its line number (the header is line 1) and never stops the good rows.
 */
export async function importProfiles(
  db: Db,
  clock: Clock,
  source: Readable,
  opts: ImportOptions,
  progress?: (done: number) => void,
): Promise<ImportResult> {
  const result: ImportResult = { created: 0, updated: 0, failed: 0, errors: [] };
  const fail = (row: number, message: string) => {
    result.failed++;
    if (result.errors.length < MAX_ERRORS) result.errors.push({ row, message });
    else result.errors_truncated = true;
  };
  const mapping = opts.mapping ?? {};
  const parser = source.pipe(
    parse({
      columns: true,
      bom: true,
      skip_empty_lines: true,
      skip_records_with_empty_values: true,
      relax_column_count: true,
      trim: false,
      delimiter: opts.delimiter ?? ',',
      info: true,
    }),
  );
  source.on('error', (err) => parser.destroy(err));
  let batch: { row: number; input: ProfileInput }[] = [];
  let done = 0;
  const stored = new Set<string>();

  const flush = async () => {
    if (!batch.length) return;
    const rows = batch;
    batch = [];
    try {
      const outcomes = await db.transaction().execute((tx) => upsertProfiles(tx, rows.map((r) => r.input), clock.now()));
      outcomes.forEach((o, i) => {
        if (o.kind === 'conflict') fail(rows[i].row, `the ${o.field} belongs to another profile`);
        else {
          stored.add(o.id);
          if (o.kind === 'created') result.created++;
          else result.updated++;
        }
      });
    } catch {
      // A concurrent writer took a unique value in between: redo the batch row by row.
      for (const r of rows) {
        try {
          const { profile, created } = await db.transaction().execute((tx) => upsertProfile(tx, r.input, clock.now()));
          stored.add(profile.id);
          if (created) result.created++;
          else result.updated++;
        } catch (e) {
          fail(r.row, e instanceof ProfileConflict ? e.message : `could not be stored: ${(e as Error).message}`);
        }
      }
    }
    if (stored.size) opts.onStored?.([...stored]);
    stored.clear();
    done += rows.length;
    progress?.(done);
  };

  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
      const input = rowToInput(record, mapping, opts.match);
      if (typeof input === 'string') {
        fail(info.lines, input);
        done++;
      } else batch.push({ row: info.lines, input });
      if (batch.length >= BATCH) await flush();
    }
  } catch (err) {
    await flush();
    fail(0, `the file could not be read past this point: ${(err as Error).message}`);
    return result;
  }
  await flush();
  return result;
}
