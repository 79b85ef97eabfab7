/**
 * ISO 8601 durations (`PT2S`, `PT30M`, `P3D`, `P1Y2M`), parsed once and applied to instants.
 * Years and months are calendar units (added in UTC), the rest are fixed lengths.
 */
export interface Duration {
  years: number;
  months: number;
  weeks: number;
  days: number;
  hours: number;
  minutes: number;
  seconds: number;
  negative: boolean;
}

const RE = /^(-)?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

export function parseDuration(text: string): Duration | null {
  const m = RE.exec(text);
  if (!m || text === 'P' || text.endsWith('T') || text === '-P') return null;
  const n = (s: string | undefined) => (s ? Number(s) : 0);
  return {
    negative: m[1] === '-',
    years: n(m[2]),
    months: n(m[3]),
    weeks: n(m[4]),
    days: n(m[5]),
    hours: n(m[6]),
    minutes: n(m[7]),
    seconds: n(m[8]),
  };
}

export function isDuration(text: string): boolean {
  return parseDuration(text) !== null;
}

/** `at` moved forward (or back, for a negative duration) by the duration. */
export function addDuration(at: Date, d: Duration | string): Date {
  const dur = typeof d === 'string' ? parseDuration(d) : d;
  if (!dur) throw new Error(`invalid duration: ${String(d)}`);
  const sign = dur.negative ? -1 : 1;
  const out = new Date(at.getTime());
  if (dur.years || dur.months) out.setUTCMonth(out.getUTCMonth() + sign * (dur.years * 12 + dur.months));
  const fixedMs =
    ((dur.weeks * 7 + dur.days) * 86_400 + dur.hours * 3_600 + dur.minutes * 60 + dur.seconds) * 1000;
  return new Date(out.getTime() + sign * fixedMs);
}

/** Length in milliseconds for durations without calendar units (years/months count as 365/30 days). */
export function durationMs(d: Duration | string): number {
  const dur = typeof d === 'string' ? parseDuration(d) : d;
  if (!dur) throw new Error(`invalid duration: ${String(d)}`);
  const days = dur.years * 365 + dur.months * 30 + dur.weeks * 7 + dur.days;
  const ms = ((days * 24 + dur.hours) * 60 + dur.minutes) * 60_000 + dur.seconds * 1000;
  return dur.negative ? -ms : ms;
}
