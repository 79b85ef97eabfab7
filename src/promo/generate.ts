import { randomFillSync } from 'node:crypto';
import type { Clock } from '../domain/clock.js';
import { CodeDrawer } from '../domain/promo/draw.js';
import { generationRefusal } from '../domain/promo/lifecycle.js';
import { poolCapacity } from '../domain/promo/pool.js';
import { parseTemplate } from '../domain/promo/template.js';
import { PromoRefusal } from '../engine/promo.js';
import type { Progress } from '../engine/jobs.js';
import type { Executor } from '../store/db.js';
import { countCodes, insertCodes, type Pool } from '../store/promo.js';
import { generateRemote, type RemoteOptions, type RemoteResult } from './remote.js';

export interface GenerateResult {
  generated: number;
  total: number;
}

/** Rows per INSERT, sorted: fewer, bigger passes over the unique index (measured faster than 50k on PGlite). */
export const GENERATE_BATCH = 200_000;
/** Rounds in a row that add nothing before generation gives up (codes of other pools fill the space); with at
 * least half the space free, 64 empty rounds by chance are out of reach (2^-64). */
const MAX_STALLS = 64;

/**
 * Refuses, before any code is made, a generation that would pass `max_codes` or take more than half of the
 * template's free space (so drawing never loops). Returns how many codes the pool holds.
 */
export async function checkGeneration(ex: Executor, pool: Pool, count: number): Promise<number> {
  if (pool.status === 'paused') throw new PromoRefusal('pool-not-valid', 'The pool is paused; it makes no codes.');
  if (!pool.generator) throw new PromoRefusal('no-generator', 'The pool has no generator; import its codes from a file.');
  const existing = await countCodes(ex, pool.id);
  const refusal = generationRefusal(count, existing, poolCapacity(pool.generator), pool.max_codes);
  if (refusal) throw PromoRefusal.of(refusal);
  return existing;
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
  return { generated: made, total: await countCodes(ex, pool.id) };
}

/** Generates with the pool's own generator: its template, or its remote service. */
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
  if ('template' in g) return generateFromTemplate(ex, clock, pool, g.template, count, fields, progress);
  return generateRemote(ex, clock, pool, g.remote, count, fields, progress, remote);
}
