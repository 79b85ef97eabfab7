import { Cron } from 'croner';
import { DateTime } from 'luxon';
import { isValidTimezone } from '../messaging/schedule.js';

/** `schedule` of a campaign: a broadcast's moment, or a regular campaign's cron in a time zone. */
export type CampaignSchedule = { at: string } | { cron: string; timezone: string };

function cronOf(cron: string, timezone: string): Cron {
  return new Cron(cron, { timezone, paused: true });
}

/** Why a cron expression cannot be used (null when it can): five fields (minute precision) or a nickname such as `@daily`. */
export function cronProblem(cron: string, timezone: string): string | null {
  const fields = cron.trim().split(/\s+/);
  if (!(fields.length === 5 || (fields.length === 1 && fields[0].startsWith('@'))))
    return 'must have five fields (minute hour day-of-month month day-of-week), e.g. "0 10 * * 1"';
  try {
    const c = cronOf(cron, isValidTimezone(timezone) ? timezone : 'UTC');
    if (!c.nextRun(new Date(0))) return 'never fires';
    return null;
  } catch (err) {
    return `is not a cron expression: ${(err as Error).message}`;
  }
}

/** The first cron time strictly after `after`, in the schedule's time zone. */
export function nextCronRun(cron: string, timezone: string, after: Date): Date | null {
  return cronOf(cron, timezone).nextRun(after);
}

/**
 * Send in the profile's time zone: the wall-clock time of `at` as written (`2026-03-10T10:00:00+01:00` is
 * 10:00 on 10 March) at that wall-clock time in each zone. Zones where that local time does not exist (a
 * spring-forward gap) get the moment just after the gap.
 */
export function localSendMoments(at: string, zones: readonly string[]): Map<string, Date> {
  const wall = DateTime.fromISO(at, { setZone: true });
  const parts = { year: wall.year, month: wall.month, day: wall.day, hour: wall.hour, minute: wall.minute, second: wall.second };
  const out = new Map<string, Date>();
  for (const zone of zones) {
    const local = DateTime.fromObject(parts, { zone });
    if (local.isValid) out.set(zone, local.toJSDate());
  }
  return out;
}

/** The moment a broadcast's snapshot must be taken: `at`, or with local send times, the earliest zone's. */
export function broadcastStartsAt(at: string, perProfileZone: boolean, zones: readonly string[]): Date {
  const own = new Date(at);
  if (!perProfileZone) return own;
  let first = own.getTime();
  for (const d of localSendMoments(at, zones).values()) first = Math.min(first, d.getTime());
  return new Date(first);
}
