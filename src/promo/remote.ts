import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../domain/clock.js';
import { codeProblem } from '../domain/promo/codes.js';
import type { RemoteGenerator } from '../domain/promo/pool.js';
import type { Progress } from '../engine/jobs.js';
import type { Executor } from '../store/db.js';
import { countCodes, insertCodes, type Pool } from '../store/promo.js';

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
  result.total = await countCodes(ex, pool.id);
  return result;
}
