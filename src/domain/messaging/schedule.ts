import { DateTime, IANAZone } from 'luxon';
import { durationMs, parseDuration } from '../duration.js';

/** The global rules every non-transactional send obeys (`PUT /settings/messaging`). */
export interface FrequencyCap {
  max: number;
  per: string;
}
export interface QuietHours {
  from: string;
  to: string;
  timezone?: string | null;
}

export interface SendTimeInput {
  now: Date;
  /** Planned or actual send times of the profile's earlier non-transactional messages (any order). */
  recent: Date[];
  transactional: boolean;
  /** The profile's own time zone (profile field `timezone`) when known. */
  profileTimezone?: string | null;
  frequencyCap?: FrequencyCap | null;
  quietHours?: QuietHours | null;
}

export interface SendTime {
  at: Date;
  deferred: boolean;
  /** Why the send waits, e.g. `frequency cap 1 per P1D; quiet hours 22:00–09:00 (Europe/Berlin)`. */
  reason: string | null;
  timezone: string;
}

export function isValidTimezone(tz: unknown): tz is string {
  return typeof tz === 'string' && tz.length > 0 && IANAZone.isValidZone(tz);
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;
export function parseClockTime(text: string): number | null {
  const m = HHMM.exec(text);
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
}

/** The time zone the rules are read in: the profile's, else the quiet hours', else UTC. */
export function effectiveTimezone(profileTz: unknown, quiet: QuietHours | null | undefined): string {
  if (isValidTimezone(profileTz)) return profileTz;
  if (quiet && isValidTimezone(quiet.timezone)) return quiet.timezone;
  return 'UTC';
}

/** When `at` falls inside quiet hours (local to `tz`), the moment they end; otherwise `at` itself. */
export function afterQuietHours(at: Date, quiet: QuietHours, tz: string): Date {
  const from = parseClockTime(quiet.from);
  const to = parseClockTime(quiet.to);
  if (from === null || to === null || from === to) return at;
  const local = DateTime.fromJSDate(at, { zone: tz });
  const minute = local.hour * 60 + local.minute;
  const end = (day: DateTime) => day.set({ hour: Math.floor(to / 60), minute: to % 60, second: 0, millisecond: 0 });
  if (from < to) return minute >= from && minute < to ? end(local).toJSDate() : at;
  if (minute >= from) return end(local.plus({ days: 1 })).toJSDate();
  if (minute < to) return end(local).toJSDate();
  return at;
}

/**
 * The earliest moment ≥ `at` at which one more send keeps every sliding window of length `per` at or
 * under `max` sends, counting the sends at or before that moment.
 */
export function afterFrequencyCap(at: Date, recent: Date[], cap: FrequencyCap): Date {
  const per = durationMs(cap.per);
  if (cap.max < 1 || per <= 0) return at;
  const t = at.getTime();
  const inWindow = recent
    .map((d) => d.getTime())
    .filter((s) => s <= t && s > t - per)
    .sort((a, b) => a - b);
  if (inWindow.length < cap.max) return at;
  return new Date(inWindow[inWindow.length - cap.max] + per);
}

/**
 * Decides when a send may go: now, or deferred to the next moment the frequency cap and quiet hours
 * allow (in the profile's time zone). Never drops a send. Transactional messages bypass both rules.
 */
export function decideSendTime(input: SendTimeInput): SendTime {
  const { now, transactional, frequencyCap: cap, quietHours: quiet } = input;
  const tz = effectiveTimezone(input.profileTimezone, quiet);
  if (transactional || (!cap && !quiet)) return { at: now, deferred: false, reason: null, timezone: tz };
  const validCap = cap && parseDuration(cap.per) ? cap : null;
  const why = new Set<string>();
  let at = now;
  // Each rule only moves the time forward; a handful of rounds settles every realistic combination.
  for (let round = 0; round < 100; round++) {
    let next = at;
    if (validCap) {
      const capped = afterFrequencyCap(next, input.recent, validCap);
      if (capped.getTime() !== next.getTime()) why.add(`frequency cap ${validCap.max} per ${validCap.per}`);
      next = capped;
    }
    if (quiet) {
      const quieted = afterQuietHours(next, quiet, tz);
      if (quieted.getTime() !== next.getTime()) why.add(`quiet hours ${quiet.from}–${quiet.to} (${tz})`);
      next = quieted;
    }
    if (next.getTime() === at.getTime()) break;
    at = next;
  }
  const deferred = at.getTime() > now.getTime();
  return { at, deferred, reason: deferred ? [...why].join('; ') : null, timezone: tz };
}
