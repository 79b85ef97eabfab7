import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { afterFrequencyCap, afterQuietHours, decideSendTime } from '../../../src/domain/messaging/schedule.js';

const d = (s: string) => new Date(s);
const DAY = 86_400_000;

describe('send time decision', () => {
  it('sends at once without rules, or when the message is transactional', () => {
    const now = d('2026-03-01T23:30:00Z');
    expect(decideSendTime({ now, recent: [], transactional: false })).toMatchObject({ at: now, deferred: false, reason: null });
    const r = decideSendTime({
      now,
      recent: [now, now, now],
      transactional: true,
      frequencyCap: { max: 1, per: 'P1D' },
      quietHours: { from: '22:00', to: '09:00' },
    });
    expect(r).toMatchObject({ at: now, deferred: false });
  });

  it('defers the second send of a 1/day cap by a day after the first', () => {
    const first = d('2026-03-01T09:00:00Z');
    const now = d('2026-03-01T10:00:00Z');
    const r = decideSendTime({ now, recent: [first], transactional: false, frequencyCap: { max: 1, per: 'P1D' } });
    expect(r.at.toISOString()).toBe('2026-03-02T09:00:00.000Z');
    expect(r.deferred).toBe(true);
    expect(r.reason).toBe('frequency cap 1 per P1D');
  });

  it('counts planned future sends too, so a third waits behind the second', () => {
    const now = d('2026-03-01T10:00:00Z');
    const r = decideSendTime({ now, recent: [d('2026-03-01T09:00:00Z'), d('2026-03-02T09:00:00Z')], transactional: false, frequencyCap: { max: 1, per: 'P1D' } });
    expect(r.at.toISOString()).toBe('2026-03-03T09:00:00.000Z');
  });

  it('moves a send out of quiet hours that wrap midnight, in the profile time zone', () => {
    // 23:30 in Berlin (UTC+1 in March before DST) → 09:00 next morning Berlin = 08:00 UTC
    const at = afterQuietHours(d('2026-03-01T22:30:00Z'), { from: '22:00', to: '09:00' }, 'Europe/Berlin');
    expect(at.toISOString()).toBe('2026-03-02T08:00:00.000Z');
    // 06:00 Berlin → 09:00 same day
    expect(afterQuietHours(d('2026-03-02T05:00:00Z'), { from: '22:00', to: '09:00' }, 'Europe/Berlin').toISOString()).toBe('2026-03-02T08:00:00.000Z');
    // outside → unchanged
    const noon = d('2026-03-02T11:00:00Z');
    expect(afterQuietHours(noon, { from: '22:00', to: '09:00' }, 'Europe/Berlin')).toBe(noon);
    // a same-day window
    expect(afterQuietHours(d('2026-03-02T13:00:00Z'), { from: '12:00', to: '14:00' }, 'UTC').toISOString()).toBe('2026-03-02T14:00:00.000Z');
  });

  it('prefers the profile time zone over the settings one and records both rules', () => {
    const now = d('2026-03-01T10:00:00Z'); // 19:00 in Tokyo
    const r = decideSendTime({
      now,
      recent: [d('2026-03-01T09:30:00Z')],
      transactional: false,
      profileTimezone: 'Asia/Tokyo',
      frequencyCap: { max: 1, per: 'P1D' },
      quietHours: { from: '21:00', to: '08:00', timezone: 'Europe/Berlin' },
    });
    // cap → 2026-03-02T09:30Z = 18:30 Tokyo, allowed
    expect(r.at.toISOString()).toBe('2026-03-02T09:30:00.000Z');
    expect(r.timezone).toBe('Asia/Tokyo');
    const late = decideSendTime({
      now: d('2026-03-01T13:00:00Z'), // 22:00 Tokyo
      recent: [],
      transactional: false,
      profileTimezone: 'Not/AZone',
      quietHours: { from: '21:00', to: '08:00', timezone: 'Asia/Tokyo' },
    });
    expect(late.timezone).toBe('Asia/Tokyo');
    expect(late.at.toISOString()).toBe('2026-03-01T23:00:00.000Z');
    expect(late.reason).toBe('quiet hours 21:00–08:00 (Asia/Tokyo)');
  });

  it('never drops, never goes back in time, and the result obeys both rules (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 30 * DAY }),
        fc.array(fc.integer({ min: -3 * DAY, max: 3 * DAY }), { maxLength: 8 }),
        fc.integer({ min: 1, max: 4 }),
        fc.constantFrom('PT6H', 'P1D', 'PT30M'),
        fc.integer({ min: 0, max: 23 }),
        fc.integer({ min: 1, max: 12 }),
        fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata'),
        (offset, recentOffsets, max, per, fromH, len, tz) => {
          const now = new Date(Date.UTC(2026, 0, 1) + offset);
          const recent = recentOffsets.map((o) => new Date(now.getTime() + o));
          const quiet = { from: `${String(fromH).padStart(2, '0')}:00`, to: `${String((fromH + len) % 24).padStart(2, '0')}:00` };
          const r = decideSendTime({ now, recent, transactional: false, profileTimezone: tz, frequencyCap: { max, per }, quietHours: quiet });
          expect(r.at.getTime()).toBeGreaterThanOrEqual(now.getTime());
          expect(afterQuietHours(r.at, quiet, tz).getTime()).toBe(r.at.getTime());
          expect(afterFrequencyCap(r.at, recent, { max, per }).getTime()).toBe(r.at.getTime());
          expect(r.deferred).toBe(r.at.getTime() > now.getTime());
        },
      ),
      { numRuns: 300 },
    );
  });
});
