import { describe, expect, it } from 'vitest';
import { businessHoursSchema, describeLocalTime, isOpen, localTime, type BusinessHours } from './business-hours.js';

const newYork: BusinessHours = {
  timezone: 'America/New_York',
  schedule: {
    mon: [['09:00', '17:00']],
    tue: [
      ['09:00', '12:00'],
      ['13:00', '17:00'],
    ],
    fri: [['18:00', '02:00']],
    sun: [],
  },
};

describe('isOpen', () => {
  it('follows the weekly schedule in the business zone', () => {
    // Monday 2026-11-23, 09:30 in New York is 14:30 UTC (EST, UTC-5).
    expect(isOpen(newYork, new Date('2026-11-23T14:30:00Z'))).toBe(true);
    expect(isOpen(newYork, new Date('2026-11-23T13:59:00Z'))).toBe(false); // 08:59
    expect(isOpen(newYork, new Date('2026-11-23T22:00:00Z'))).toBe(false); // 17:00 is closing time
    // Sunday: an empty day is closed all day; Wednesday: a missing day too.
    expect(isOpen(newYork, new Date('2026-11-22T17:00:00Z'))).toBe(false);
    expect(isOpen(newYork, new Date('2026-11-25T17:00:00Z'))).toBe(false);
  });

  it('honours several ranges in one day', () => {
    expect(isOpen(newYork, new Date('2026-11-24T16:00:00Z'))).toBe(true); // Tue 11:00
    expect(isOpen(newYork, new Date('2026-11-24T17:30:00Z'))).toBe(false); // Tue 12:30, lunch
    expect(isOpen(newYork, new Date('2026-11-24T18:15:00Z'))).toBe(true); // Tue 13:15
  });

  it('runs an overnight range into the next morning', () => {
    expect(isOpen(newYork, new Date('2026-11-27T23:30:00Z'))).toBe(true); // Fri 18:30
    expect(isOpen(newYork, new Date('2026-11-28T06:30:00Z'))).toBe(true); // Sat 01:30
    expect(isOpen(newYork, new Date('2026-11-28T07:00:00Z'))).toBe(false); // Sat 02:00
    expect(isOpen(newYork, new Date('2026-11-27T22:00:00Z'))).toBe(false); // Fri 17:00
  });

  it('keeps local opening times across daylight-saving changes', () => {
    const daily: BusinessHours = {
      timezone: 'America/New_York',
      schedule: { sat: [['09:00', '17:00']], sun: [['09:00', '17:00']], mon: [['09:00', '17:00']] },
    };
    // Spring forward on Sunday 2026-03-08: Saturday 09:00 is 14:00 UTC (EST), Monday 09:00 is 13:00 UTC (EDT).
    expect(isOpen(daily, new Date('2026-03-07T14:00:00Z'))).toBe(true);
    expect(isOpen(daily, new Date('2026-03-07T13:30:00Z'))).toBe(false);
    expect(isOpen(daily, new Date('2026-03-09T13:00:00Z'))).toBe(true);
    expect(isOpen(daily, new Date('2026-03-09T12:30:00Z'))).toBe(false);
    // Fall back on Sunday 2026-11-01: Sunday 16:30 local is 21:30 UTC (EST), open; 22:00 UTC is 17:00, closed.
    expect(isOpen(daily, new Date('2026-11-01T21:30:00Z'))).toBe(true);
    expect(isOpen(daily, new Date('2026-11-01T22:00:00Z'))).toBe(false);
  });

  it('works in zones east of UTC, across the date line', () => {
    const auckland: BusinessHours = { timezone: 'Pacific/Auckland', schedule: { tue: [['08:00', '10:00']] } };
    // Tuesday 2026-11-24 08:30 in Auckland (NZDT, UTC+13) is Monday 19:30 UTC.
    expect(isOpen(auckland, new Date('2026-11-23T19:30:00Z'))).toBe(true);
    expect(localTime('Pacific/Auckland', new Date('2026-11-23T19:30:00Z'))).toEqual({
      weekday: 'tue',
      minutes: 8 * 60 + 30,
      date: '2026-11-24',
      time: '08:30',
    });
  });
});

describe('businessHoursSchema', () => {
  it('accepts the contract example', () => {
    expect(
      businessHoursSchema.safeParse({
        timezone: 'America/New_York',
        schedule: { mon: [['09:00', '17:00']], tue: [['09:00', '17:00']], sat: [] },
      }).success,
    ).toBe(true);
  });

  it('names what is wrong', () => {
    const bad = businessHoursSchema.safeParse({
      timezone: 'Mars/Olympus',
      schedule: { mon: [['9am', '17:00']], tue: [['10:00', '10:00']], funday: [] },
    });
    expect(bad.success).toBe(false);
    const paths = bad.error!.issues.map((issue) => issue.path.join('.')).sort();
    expect(paths).toEqual(['schedule', 'schedule.mon.0.0', 'schedule.tue.0', 'timezone']);
  });
});

describe('describeLocalTime', () => {
  it('tells the date and time in words, with the zone', () => {
    expect(describeLocalTime('Europe/Berlin', new Date('2026-11-24T13:05:00Z'))).toBe(
      'Tuesday 24 November 2026, 14:05 (Europe/Berlin)',
    );
  });
});

describe('zone names in any casing', () => {
  it('give the same business-hours answers and the same description as the canonical name', () => {
    const casings = ['America/New_York', 'america/new_york', 'AMERICA/NEW_YORK', 'US/Eastern'];
    const instants = ['2026-11-23T14:30:00Z', '2026-11-23T13:59:00Z', '2026-11-28T06:30:00Z', '2026-03-09T13:00:00Z'];
    for (const at of instants.map((iso) => new Date(iso))) {
      const answers = casings.map((timezone) => isOpen({ ...newYork, timezone }, at));
      expect(new Set(answers).size, at.toISOString()).toBe(1);
      expect(new Set(casings.map((zone) => describeLocalTime(zone, at))).size).toBe(1);
      expect(describeLocalTime('america/new_york', at)).toContain('(America/New_York)');
    }
  });

  it('keep answering right after many distinct zones have been asked for', () => {
    const zones = Intl.supportedValuesOf('timeZone');
    const at = new Date('2026-11-23T14:30:00Z');
    for (const zone of [...zones, ...zones.map((zone) => zone.toLowerCase()), ...zones.map((z) => z.toUpperCase())]) {
      localTime(zone, at);
    }
    expect(isOpen(newYork, at)).toBe(true);
    expect(isOpen({ ...newYork, timezone: 'america/new_york' }, at)).toBe(true);
    expect(localTime('pacific/auckland', at)).toEqual(localTime('Pacific/Auckland', at));
  });
});
