import { Cron } from 'croner';
import { DateTime, IANAZone } from 'luxon';
import { parseDuration, type Duration } from '../duration.js';

/**
 * Wall-clock arithmetic of scenarios (wait until a time of day, dates taken from profile fields,
 * cron schedules), always in an explicit IANA time zone and from an explicit `now`.
 */

export const DEFAULT_TIMEZONE = 'UTC';
const TIME_RE = /^([01]\d|2[0-3]):([0-5]\d)$/;

export function isTimezone(tz: unknown): tz is string {
  return typeof tz === 'string' && IANAZone.isValidZone(tz);
}

/** `"HH:MM"` (24 h) → [hour, minute], or null. */
export function parseTimeOfDay(text: unknown): [number, number] | null {
  if (typeof text !== 'string') return null;
  const m = TIME_RE.exec(text);
  return m ? [Number(m[1]), Number(m[2])] : null;
}

/** True when the text is a cron pattern croner accepts (5 or 6 fields). */
export function cronFault(pattern: unknown): string | null {
  if (typeof pattern !== 'string' || !pattern.trim()) return 'must be a cron pattern such as "0 10 * * 1"';
  try {
    new Cron(pattern, { paused: true });
    return null;
  } catch (e) {
    return `is not a valid cron pattern (${(e as Error).message})`;
  }
}

/** The first moment at or after `now` whose wall-clock time in `tz` is `time` ("10:00"). */
export function nextTimeOfDay(time: string, tz: string, now: Date): Date {
  const hm = parseTimeOfDay(time);
  if (!hm) throw new Error(`invalid time of day: ${time}`);
  const local = DateTime.fromJSDate(now, { zone: tz });
  for (let day = 0; day < 3; day++) {
    const at = local.plus({ days: day }).set({ hour: hm[0], minute: hm[1], second: 0, millisecond: 0 });
    if (at.toMillis() >= now.getTime()) return at.toJSDate();
  }
  throw new Error('unreachable: a time of day recurs every day');
}

const luxonDuration = (d: Duration) => {
  const s = d.negative ? -1 : 1;
  return {
    years: s * d.years,
    months: s * d.months,
    weeks: s * d.weeks,
    days: s * d.days,
    hours: s * d.hours,
    minutes: s * d.minutes,
    seconds: s * d.seconds,
  };
};

/** `YYYY-MM-DD` at the start of a stored value (a date or a date-time string), or null. */
export function datePart(value: unknown): { year: number; month: number; day: number } | null {
  if (typeof value !== 'string') return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(value);
  if (!m) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || day < 1 || day > 31) return null;
  if (!DateTime.utc(2000, month, day).isValid) return null;
  return { year, month, day };
}

/**
 * When a `trigger.field_date` fires for a field value: the date (its day, in `tz`) at `time` (default
 * "00:00"), moved by `offset` (`"-P3D"`: three days before, same wall-clock time; `"-PT2H"`: two hours before). With `yearly` (birthdays, anniversaries)
 * the year is ignored and the next occurrence at or after `now` is returned; a 29 February falls on
 * 28 February in common years. Without it (payment due dates) the date is exact: null once it is past.
 * Null also when the value is not a date.
 */
export function nextFieldDate(
  fieldValue: unknown,
  offset: string | null | undefined,
  time: string | null | undefined,
  tz: string,
  now: Date,
  yearly = false,
): Date | null {
  const d = datePart(fieldValue);
  if (!d) return null;
  const off = offset ? parseDuration(offset) : null;
  if (offset && !off) throw new Error(`invalid offset: ${offset}`);
  const hm = time ? parseTimeOfDay(time) : [0, 0];
  if (!hm) throw new Error(`invalid time of day: ${String(time)}`);
  const at = (year: number, month: number, day: number) => {
    let dt = DateTime.fromObject({ year, month, day }, { zone: tz });
    if (!dt.isValid && month === 2 && day === 29) dt = DateTime.fromObject({ year, month: 2, day: 28 }, { zone: tz });
    if (!dt.isValid) return null;
    dt = dt.set({ hour: hm[0], minute: hm[1], second: 0, millisecond: 0 });
    if (off) dt = dt.plus(luxonDuration(off));
    return dt.toJSDate();
  };
  if (!yearly) {
    const t = at(d.year, d.month, d.day);
    return t && t.getTime() >= now.getTime() ? t : null;
  }
  const thisYear = DateTime.fromJSDate(now, { zone: tz }).year;
  for (let y = thisYear - 1; y <= thisYear + 2; y++) {
    const t = at(y, d.month, d.day);
    if (t && t.getTime() >= now.getTime()) return t;
  }
  return null;
}

/** Whether a `trigger.field_date` recurs every year: yes unless its config says `yearly: false`. */
export function fieldDateYearly(config: Record<string, unknown> | undefined): boolean {
  return config?.yearly !== false;
}

/** The next run of a cron pattern strictly after `after`, in `tz`; null when it never runs again. */
export function nextScheduleRun(cron: string, tz: string, after: Date): Date | null {
  return new Cron(cron, { paused: true, timezone: tz }).nextRun(after);
}

/** The instant of a `trigger.date {at}`; null when not a date-time. */
export function parseInstant(text: unknown): Date | null {
  if (typeof text !== 'string' || !/^\d{4}-\d{2}-\d{2}T/.test(text)) return null;
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? null : d;
}
