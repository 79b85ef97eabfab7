import type { Executor } from './db.js';
import { eventTimeline } from './events.js';
import { ledgerTimeline } from './loyalty.js';
import { orderTimeline } from './market.js';
import { messageTimeline } from './messages.js';
import { promoTimeline } from './promo.js';
import { scenarioTimeline } from './scenarios.js';

/** One thing that happened to a profile, as `GET /profiles/{id}/timeline` lists it. */
export interface TimelineEntry {
  id: string;
  at: string;
  kind: string;
  title: string;
  data: unknown;
}

/**
 * A source of timeline entries: entries strictly older than `before` (by `at`, then `id`), newest first.
 * Each module that puts something on the timeline adds its source to `sources` below.
 */
export type TimelineSource = (ex: Executor, profileId: string, before: TimelineEntry | null, limit: number) => Promise<TimelineEntry[]>;

const sources: TimelineSource[] = [eventTimeline, ledgerTimeline, orderTimeline, messageTimeline, promoTimeline, scenarioTimeline];

export function newerFirst(a: TimelineEntry, b: TimelineEntry): number {
  return a.at === b.at ? (a.id < b.id ? 1 : a.id > b.id ? -1 : 0) : a.at < b.at ? 1 : -1;
}

/** Merges every source into one newest-first stream, fetching `limit + 1` so the caller can tell if more follow. */
export async function readTimeline(ex: Executor, profileId: string, before: TimelineEntry | null, limit: number) {
  const parts = await Promise.all(sources.map((s) => s(ex, profileId, before, limit + 1)));
  return parts.flat().sort(newerFirst).slice(0, limit + 1);
}
