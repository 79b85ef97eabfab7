import { randomFillSync } from 'node:crypto';
import type { Clock } from '../domain/clock.js';
import { CodeDrawer } from '../domain/promo/draw.js';
import { expiryOf, generationRefusal, issueRefusal } from '../domain/promo/lifecycle.js';
import { poolCapacity } from '../domain/promo/pool.js';
import { parseTemplate } from '../domain/promo/template.js';
import { PromoRefusal } from '../engine/promo.js';
import type { Progress } from '../engine/jobs.js';
import type { Executor } from '../store/db.js';
import {
  analyzeCodes,
  codesTotal,
  expireCodesOfProfiles,
  insertCodes,
  insertLinkedCodes,
  profilesHoldingCodes,
  releaseReserved,
  reserveCodes,
  type Pool,
} from '../store/promo.js';
import { generateRemote, postCodes, type RemoteOptions, type RemoteResult } from './remote.js';

export interface GenerateResult {
  generated: number;
  total: number;
}

/** Rows per INSERT, sorted: fewer, bigger passes over the unique index (measured faster than 50k on PGlite). */
export const GENERATE_BATCH = 200_000;
/** Rounds in a row that add nothing before generation gives up (codes of other pools fill the space); with at
 * least half the space free, 64 empty rounds by chance are out of reach (2^-64). */
const MAX_STALLS = 64;
/** Profiles per statement when codes are generated for profiles. */
const PROFILE_BATCH = 10_000;
/** Codes written at once past which the planner's statistics are refreshed. */
const BULK = 10_000;

/**
 * Refuses, before any code is made, a generation that would pass `max_codes` or take more than half of the
 * template's free space (so drawing never loops), and otherwise reserves the room for `count` codes in the
 * pool's counter: one conditional UPDATE, so racing generations cannot both pass the check. generateCodes
 * gives back what it did not make. Returns how many codes the pool held before.
 */
export async function checkGeneration(ex: Executor, pool: Pool, count: number): Promise<number> {
  if (pool.status === 'paused') throw new PromoRefusal('pool-not-valid', 'The pool is paused; it makes no codes.');
  if (!pool.generator) throw new PromoRefusal('no-generator', 'The pool has no generator; import its codes from a file.');
  const cap = poolCapacity(pool.generator);
  const total = await reserveCodes(ex, pool.id, count, cap);
  if (total !== undefined) return total - count;
  const refusal = generationRefusal(count, await codesTotal(ex, pool.id), cap, pool.max_codes);
  throw PromoRefusal.of(refusal ?? { slug: 'pool-exhausted', detail: `The pool has no room for ${count} more codes.` });
}

/** Draws `count` new codes from the template and stores them in batches; collisions with any pool are drawn again. */
export async function generateFromTemplate(
  ex: Executor,
  clock: Clock,
  pool: Pool,
  template: string,
  count: number,
  fields: Record<string, unknown> | null,
  progress?: Progress,
  batch = GENERATE_BATCH,
): Promise<GenerateResult> {
  const drawer = new CodeDrawer(parseTemplate(template), randomFillSync);
  let made = 0;
  let stalls = 0;
  while (made < count && stalls < MAX_STALLS) {
    const codes = drawer.drawDistinct(Math.min(batch, count - made));
    const { inserted } = await insertCodes(ex, pool.id, codes, clock.now(), { fields });
    made += inserted;
    stalls = inserted === 0 ? stalls + 1 : 0;
    progress?.(made, count);
  }
  return { generated: made, total: 0 };
}

/**
 * Generates with the pool's own generator: its template, or its remote service. The room was reserved by
 * checkGeneration; what is not made (a remote service that stopped, a space that filled up) is given back.
 */
export async function generateCodes(
  ex: Executor,
  clock: Clock,
  pool: Pool,
  count: number,
  fields: Record<string, unknown> | null,
  progress?: Progress,
  remote?: RemoteOptions,
): Promise<GenerateResult | RemoteResult> {
  const g = pool.generator!;
  let made = 0;
  try {
    const result =
      'template' in g
        ? await generateFromTemplate(ex, clock, pool, g.template, count, fields, progress)
        : await generateRemote(ex, clock, pool, g.remote, count, fields, progress, remote);
    made = result.generated;
    await releaseReserved(ex, pool.id, count - made);
    made = count;
    if (result.generated >= BULK) await analyzeCodes(ex);
    result.total = await codesTotal(ex, pool.id);
    return result;
  } finally {
    if (made < count) await releaseReserved(ex, pool.id, count - made).catch(() => undefined);
  }
}

export interface ProfilesResult {
  generated: number;
  total: number;
  /** Profiles that got a new code. */
  issued: number;
  /** Profiles that hold a live code of the pool already (a pool gives a profile one code at a time). */
  skipped: number;
  errors: { message: string }[];
}

/**
 * Generates one new code for each profile and issues it at once (`auto_link` generation, a segment's
 * members): refused as a whole, before any code is made, when the pool is not handing out codes or has no
 * room for them. Profiles holding a live code of the pool are skipped. Works in batches; a remote service
 * is asked for at most `max_per_request` codes at a time and a failure ends the run with what landed kept.
 */
export async function generateForProfiles(
  ex: Executor,
  clock: Clock,
  pool: Pool,
  profileIds: string[],
  fields: Record<string, unknown> | null,
  progress?: Progress,
  remoteOptions?: RemoteOptions,
): Promise<ProfilesResult> {
  if (pool.multi_profile) throw new PromoRefusal('pool-multi-profile', 'A multi_profile pool shares its codes; issue them with /issue.');
  if (!pool.generator) throw new PromoRefusal('no-generator', 'The pool has no generator; import its codes from a file.');
  const now = clock.now();
  const refusal = issueRefusal(pool, now);
  if (refusal) throw PromoRefusal.of(refusal);
  const unique = [...new Set(profileIds)];
  const held = new Set<string>();
  for (let i = 0; i < unique.length; i += PROFILE_BATCH) {
    const part = unique.slice(i, i + PROFILE_BATCH);
    await expireCodesOfProfiles(ex, pool.id, part, now);
    for (const id of await profilesHoldingCodes(ex, pool.id, part, now)) held.add(id);
  }
  const todo = unique.filter((id) => !held.has(id));
  const result: ProfilesResult = { generated: 0, total: 0, issued: 0, skipped: held.size, errors: [] };
  if (!todo.length) return { ...result, total: await codesTotal(ex, pool.id) };
  await checkGeneration(ex, pool, todo.length);
  const expiresAt = expiryOf(pool, now);
  const g = pool.generator;
  try {
    const drawer = 'template' in g ? new CodeDrawer(parseTemplate(g.template), randomFillSync) : null;
    const step = 'template' in g ? PROFILE_BATCH : g.remote.max_per_request;
    let queue = todo;
    let stopped = false;
    for (let round = 0; queue.length && !stopped && round < (drawer ? MAX_STALLS : 3); round++) {
      const retry: string[] = [];
      for (let i = 0; i < queue.length; i += step) {
        const part = queue.slice(i, i + step);
        let rows: { code: string; profile_id: string; fields: Record<string, unknown> | null }[];
        if (drawer) rows = drawer.drawDistinct(part.length).map((code, k) => ({ code, profile_id: part[k], fields }));
        else {
          const got = await postCodes(pool, (g as { remote: Parameters<typeof postCodes>[1] }).remote, part.length, fields, remoteOptions);
          if ('error' in got) {
            result.errors.push({ message: got.error });
            stopped = true;
            break;
          }
          rows = got.codes.slice(0, part.length).map((c, k) => ({ code: c.code, profile_id: part[k], fields: c.fields }));
          for (const c of got.invalid) result.errors.push({ message: c });
          for (let k = rows.length; k < part.length; k++) retry.push(part[k]);
        }
        const landed = await insertLinkedCodes(ex, pool.id, rows, now, expiresAt, { generated: true });
        const got = new Set(landed.map((x) => x.profile_id));
        const missed = rows.filter((r) => !got.has(r.profile_id)).map((r) => r.profile_id);
        // a profile that received a code meanwhile is skipped; the rest drew a code that exists: again
        const nowHeld = await profilesHoldingCodes(ex, pool.id, missed, now);
        for (const id of missed) if (nowHeld.has(id)) result.skipped++;
        else retry.push(id);
        result.generated += landed.length;
        progress?.(result.generated, todo.length);
      }
      queue = retry;
    }
    result.issued = result.generated;
    if (result.generated >= BULK) await analyzeCodes(ex);
    return result;
  } finally {
    await releaseReserved(ex, pool.id, todo.length - result.generated);
    result.total = await codesTotal(ex, pool.id);
  }
}
