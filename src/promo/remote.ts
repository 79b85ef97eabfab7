import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../domain/clock.js';
import { codeProblem } from '../domain/promo/codes.js';
import type { RemoteGenerator } from '../domain/promo/pool.js';
import type { Progress } from '../engine/jobs.js';
import type { Executor } from '../store/db.js';
import { insertCodes, type Pool } from '../store/promo.js';

export interface RemoteOptions {
  /** Per request. */
  timeoutMs?: number;
  /** Further attempts after a failed one (network error, timeout, 5xx, 429). */
  retries?: number;
  /** First back-off; doubles with each retry. */
  backoffMs?: number;
}

export interface RemoteResult {
  generated: number;
  total: number;
  requested: number;
  invalid: number;
  duplicates: number;
  errors: { chunk: number; index?: number; message: string }[];
}

const MAX_ERRORS = 100;

/** The remote service gave no usable code (it failed, timed out, or answered something else): a 502. */
export class RemoteGeneratorFailed extends Error {}

class Permanent extends Error {}

async function postOnce(url: string, body: unknown, timeoutMs: number): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    const err = e as Error;
    throw new Error(err.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : `request failed: ${err.message}`);
  }
  const text = await res.text();
  if (res.status >= 500 || res.status === 429) throw new Error(`the service answered ${res.status}`);
  if (!res.ok) throw new Permanent(`the service answered ${res.status}`);
  try {
    return JSON.parse(text);
  } catch {
    throw new Error('the service answered with something that is not JSON');
  }
}

async function postWithRetries(url: string, body: unknown, o: Required<RemoteOptions>): Promise<unknown> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await postOnce(url, body, o.timeoutMs);
    } catch (e) {
      if (e instanceof Permanent || attempt >= o.retries) throw e;
      await sleep(o.backoffMs * 2 ** attempt);
    }
  }
}

/**
 * Asks the pool's remote service for codes, at most `max_per_request` at a time: POST `{pool_id, count,
 * fields}` → `{codes: [{code, fields?}]}`. Each answer is stored as it comes (partial success is kept);
 * invalid and duplicate codes are counted and reported; a chunk that fails after its retries ends the run.
 */
export async function generateRemote(
  ex: Executor,
  clock: Clock,
  pool: Pool,
  remote: RemoteGenerator,
  count: number,
  fields: Record<string, unknown> | null,
  progress?: Progress,
  options: RemoteOptions = {},
): Promise<RemoteResult> {
  const o = { timeoutMs: remote.timeout_ms ?? 10_000, retries: remote.retries ?? 3, backoffMs: 200, ...options };
  const result: RemoteResult = { generated: 0, total: 0, requested: count, invalid: 0, duplicates: 0, errors: [] };
  const report = (e: RemoteResult['errors'][number]) => void (result.errors.length < MAX_ERRORS && result.errors.push(e));
  let stalls = 0;
  for (let chunk = 1; result.generated < count && stalls < 3; chunk++) {
    const n = Math.min(remote.max_per_request, count - result.generated);
    let answer: unknown;
    try {
      answer = await postWithRetries(remote.url, { pool_id: pool.id, count: n, fields: fields ?? {} }, o);
    } catch (e) {
      report({ chunk, message: (e as Error).message });
      break;
    }
    const list = (answer as { codes?: unknown })?.codes;
    if (!Array.isArray(list)) {
      report({ chunk, message: 'the answer has no "codes" array' });
      break;
    }
    const codes: string[] = [];
    const codeFields: (Record<string, unknown> | null)[] = [];
    list.slice(0, n).forEach((item: unknown, index) => {
      const code = (item as { code?: unknown })?.code;
      const f = (item as { fields?: unknown })?.fields;
      const problem = typeof code === 'string' ? codeProblem(code) : 'has no "code" string';
      if (problem || (f !== undefined && (f === null || typeof f !== 'object' || Array.isArray(f)))) {
        result.invalid++;
        report({ chunk, index, message: problem ?? '"fields" must be an object' });
        return;
      }
      codes.push((code as string).trim());
      codeFields.push({ ...(fields ?? {}), ...((f as Record<string, unknown>) ?? {}) });
    });
    const { inserted, codes: landed } = await insertCodes(ex, pool.id, codes, clock.now(), { fields: codeFields, returning: true });
    const fresh = new Set(landed);
    for (const code of codes)
      if (fresh.has(code)) fresh.delete(code);
      else {
        result.duplicates++;
        report({ chunk, message: `duplicate code "${code}"` });
      }
    result.generated += inserted;
    stalls = inserted === 0 ? stalls + 1 : 0;
    progress?.(result.generated, count);
  }
  return result;
}

/**
 * Generate-on-issue from a remote pool: asks the service for one code (`count: 1`). Throws
 * RemoteGeneratorFailed when it fails after its retries (at most one retry: a profile is waiting) or
 * answers without a usable code. Stores nothing: the caller does, in its transaction.
 */
export async function requestOneCode(
  pool: Pick<Pool, 'id'>,
  remote: RemoteGenerator,
  fields: Record<string, unknown> | null,
  options: RemoteOptions = {},
): Promise<{ code: string; fields: Record<string, unknown> | null }> {
  const o = { timeoutMs: remote.timeout_ms ?? 10_000, retries: Math.min(remote.retries ?? 1, 1), backoffMs: 200, ...options };
  let answer: unknown;
  try {
    answer = await postWithRetries(remote.url, { pool_id: pool.id, count: 1, fields: fields ?? {} }, o);
  } catch (e) {
    throw new RemoteGeneratorFailed(`The remote code service failed: ${(e as Error).message}.`);
  }
  const item = (answer as { codes?: unknown })?.codes;
  const first = Array.isArray(item) ? (item[0] as { code?: unknown; fields?: unknown } | undefined) : undefined;
  if (!first) throw new RemoteGeneratorFailed('The remote code service answered without a code.');
  const problem = typeof first.code === 'string' ? codeProblem(first.code) : 'has no "code" string';
  if (problem) throw new RemoteGeneratorFailed(`The remote code service answered with an unusable code: ${problem}.`);
  const f = first.fields;
  if (f !== undefined && (f === null || typeof f !== 'object' || Array.isArray(f)))
    throw new RemoteGeneratorFailed('The remote code service answered with "fields" that are not an object.');
  const merged = { ...(fields ?? {}), ...((f as Record<string, unknown> | undefined) ?? {}) };
  return { code: (first.code as string).trim(), fields: Object.keys(merged).length ? merged : null };
}

/**
 * One request for `count` codes (generation for profiles): the usable codes with their fields (the request's
 * fields under the returned ones), the problems of the unusable ones, or the error that ended the request.
 */
export async function postCodes(
  pool: Pick<Pool, 'id'>,
  remote: RemoteGenerator,
  count: number,
  fields: Record<string, unknown> | null,
  options: RemoteOptions = {},
): Promise<{ codes: { code: string; fields: Record<string, unknown> | null }[]; invalid: string[] } | { error: string }> {
  const o = { timeoutMs: remote.timeout_ms ?? 10_000, retries: remote.retries ?? 3, backoffMs: 200, ...options };
  let answer: unknown;
  try {
    answer = await postWithRetries(remote.url, { pool_id: pool.id, count, fields: fields ?? {} }, o);
  } catch (e) {
    return { error: (e as Error).message };
  }
  const list = (answer as { codes?: unknown })?.codes;
  if (!Array.isArray(list)) return { error: 'the answer has no "codes" array' };
  const codes: { code: string; fields: Record<string, unknown> | null }[] = [];
  const invalid: string[] = [];
  for (const item of list.slice(0, count) as { code?: unknown; fields?: unknown }[]) {
    const problem = typeof item?.code === 'string' ? codeProblem(item.code) : 'has no "code" string';
    const f = item?.fields;
    if (problem || (f !== undefined && (f === null || typeof f !== 'object' || Array.isArray(f)))) {
      invalid.push(problem ?? '"fields" must be an object');
      continue;
    }
    const merged = { ...(fields ?? {}), ...((f as Record<string, unknown> | undefined) ?? {}) };
    codes.push({ code: (item.code as string).trim(), fields: Object.keys(merged).length ? merged : null });
  }
  return { codes, invalid };
}
