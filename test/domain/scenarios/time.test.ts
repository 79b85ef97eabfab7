import { describe, expect, it } from 'vitest';
import { cronFault, fieldDateYearly, nextFieldDate, nextScheduleRun, nextTimeOfDay, parseInstant, scenarioTemplate } from '../../../src/domain/scenarios/index.js';

const d = (s: string) => new Date(s);

describe('wait until a time of day', () => {
  it('takes today when the time is still ahead, tomorrow when it has passed', () => {
    expect(nextTimeOfDay('10:00', 'Europe/Berlin', d('2026-01-10T08:00:00Z'))).toEqual(d('2026-01-10T09:00:00Z'));
    expect(nextTimeOfDay('10:00', 'Europe/Berlin', d('2026-01-10T09:30:00Z'))).toEqual(d('2026-01-11T09:00:00Z'));
  });

  it('keeps the wall-clock time across the spring DST change in Europe/Berlin', () => {
    // Saturday 28 March 2026 12:00 CET; DST starts on Sunday 29 March 02:00
    expect(nextTimeOfDay('10:00', 'Europe/Berlin', d('2026-03-28T11:00:00Z'))).toEqual(d('2026-03-29T08:00:00Z'));
  });

  it('keeps the wall-clock time across the autumn DST change in Europe/Berlin', () => {
    // Saturday 24 October 2026 12:00 CEST; DST ends on Sunday 25 October 03:00
    expect(nextTimeOfDay('10:00', 'Europe/Berlin', d('2026-10-24T10:00:00Z'))).toEqual(d('2026-10-25T09:00:00Z'));
  });

  it('a time skipped by DST falls on the next valid moment', () => {
    const at = nextTimeOfDay('02:30', 'Europe/Berlin', d('2026-03-28T23:00:00Z'));
    expect(at).toEqual(d('2026-03-29T01:30:00Z'));
  });
});

describe('field dates', () => {
  const tz = 'Europe/Berlin';
  it('birthdays recur yearly, ignoring the year', () => {
    expect(nextFieldDate('1990-05-12', null, '10:00', tz, d('2026-03-01T00:00:00Z'), true)).toEqual(d('2026-05-12T08:00:00Z'));
    expect(nextFieldDate('1990-05-12', null, '10:00', tz, d('2026-06-01T00:00:00Z'), true)).toEqual(d('2027-05-12T08:00:00Z'));
  });

  it('an offset moves the date ("three days before") across a year end', () => {
    expect(nextFieldDate('1985-01-02', '-P3D', '09:00', tz, d('2026-12-01T00:00:00Z'), true)).toEqual(d('2026-12-30T08:00:00Z'));
  });

  it('an offset with hours counts from the time of day; days keep the wall-clock time across DST', () => {
    expect(nextFieldDate('2026-04-10', '-PT2H', '10:00', tz, d('2026-04-01T00:00:00Z'))).toEqual(d('2026-04-10T06:00:00Z'));
    // 1 April 10:00 CEST minus 5 days is 27 March 10:00 CET
    expect(nextFieldDate('2026-04-01', '-P5D', '10:00', tz, d('2026-03-01T00:00:00Z'))).toEqual(d('2026-03-27T09:00:00Z'));
  });

  it('29 February falls on 28 February in common years, on 29 February in leap years', () => {
    expect(nextFieldDate('2000-02-29', null, '10:00', tz, d('2026-01-01T00:00:00Z'), true)).toEqual(d('2026-02-28T09:00:00Z'));
    expect(nextFieldDate('2000-02-29', null, '10:00', tz, d('2027-03-01T00:00:00Z'), true)).toEqual(d('2028-02-29T09:00:00Z'));
  });

  it('payment dates are exact: null once past', () => {
    expect(nextFieldDate('2026-04-10', '-P3D', '10:00', tz, d('2026-04-01T00:00:00Z'))).toEqual(d('2026-04-07T08:00:00Z'));
    expect(nextFieldDate('2026-04-10T00:00:00Z', null, null, 'UTC', d('2026-04-01T00:00:00Z'))).toEqual(d('2026-04-10T00:00:00Z'));
    expect(nextFieldDate('2026-04-10', '-P3D', '10:00', tz, d('2026-04-08T00:00:00Z'))).toBeNull();
  });

  it('field dates are yearly unless the node says yearly: false (the payment template does)', () => {
    expect(fieldDateYearly({ field: 'fields.birthday' })).toBe(true);
    const start = scenarioTemplate('payment_notification')!.nodes[0];
    expect(fieldDateYearly(start.config)).toBe(false);
    const c = start.config as { offset: string; time: string };
    expect(nextFieldDate('2026-04-10', c.offset, c.time, 'Europe/Berlin', d('2026-04-08T00:00:00Z'), fieldDateYearly(start.config))).toBeNull();
  });

  it('a value that is not a date gives null', () => {
    expect(nextFieldDate('soon', null, null, tz, d('2026-01-01T00:00:00Z'), true)).toBeNull();
    expect(nextFieldDate(19900512, null, null, tz, d('2026-01-01T00:00:00Z'), true)).toBeNull();
    expect(nextFieldDate('1990-13-01', null, null, tz, d('2026-01-01T00:00:00Z'), true)).toBeNull();
  });
});

describe('schedules and dates', () => {
  it('the next cron run is computed in the scenario time zone', () => {
    expect(nextScheduleRun('0 10 * * 1', 'Europe/Berlin', d('2026-03-25T00:00:00Z'))).toEqual(d('2026-03-30T08:00:00Z'));
    expect(nextScheduleRun('0 10 * * 1', 'UTC', d('2026-03-25T00:00:00Z'))).toEqual(d('2026-03-30T10:00:00Z'));
  });
  it('cron and instants are checked', () => {
    expect(cronFault('0 10 * * 1')).toBeNull();
    expect(cronFault('every day')).toMatch(/is not a valid cron pattern/);
    expect(parseInstant('2026-05-01T10:00:00Z')).toEqual(d('2026-05-01T10:00:00Z'));
    expect(parseInstant('2026-05-01')).toBeNull();
  });
});
