import { describe, expect, it } from 'vitest';
import {
  businessHoursNow,
  businessHoursSchema,
  describeLocalTime,
  isOpen,
  localTime,
  type BusinessHours,
} from './business-hours.js';

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

describe('businessHoursNow', () => {
  const change = (hours: BusinessHours, iso: string) => {
    const now = businessHoursNow(hours, new Date(iso));
    return { open: now.open, next: now.next };
  };

  it('says when an open business closes, and when a closed one opens, in its own zone', () => {
    // Monday 09:30 in New York: open until 17:00 the same day.
    expect(change(newYork, '2026-11-23T14:30:00Z')).toEqual({
      open: true,
      next: { open: false, weekday: 'mon', date: '2026-11-23', time: '17:00' },
    });
    // Monday 17:00: closed; Tuesday opens at 09:00.
    expect(change(newYork, '2026-11-23T22:00:00Z')).toEqual({
      open: false,
      next: { open: true, weekday: 'tue', date: '2026-11-24', time: '09:00' },
    });
    // Tuesday's lunch: opens again at 13:00.
    expect(change(newYork, '2026-11-24T17:30:00Z').next).toEqual({
      open: true,
      weekday: 'tue',
      date: '2026-11-24',
      time: '13:00',
    });
    // Saturday 03:00, after Friday night's range: closed until Monday.
    expect(change(newYork, '2026-11-28T08:00:00Z')).toEqual({
      open: false,
      next: { open: true, weekday: 'mon', date: '2026-11-30', time: '09:00' },
    });
  });

  it('follows a range past midnight into the next morning', () => {
    // Friday 18:30: open until Saturday 02:00.
    expect(change(newYork, '2026-11-27T23:30:00Z')).toEqual({
      open: true,
      next: { open: false, weekday: 'sat', date: '2026-11-28', time: '02:00' },
    });
    // Saturday 01:30, in the range's morning part: the same close.
    expect(change(newYork, '2026-11-28T06:30:00Z').next).toMatchObject({ open: false, weekday: 'sat', time: '02:00' });
    // Sunday night to Monday morning wraps round the week.
    const late: BusinessHours = { timezone: 'UTC', schedule: { sun: [['22:00', '02:00']] } };
    expect(change(late, '2026-11-29T23:00:00Z')).toEqual({
      open: true,
      next: { open: false, weekday: 'mon', date: '2026-11-30', time: '02:00' },
    });
  });

  it('agrees with isOpen just before and at the change it names', () => {
    const at = new Date('2026-11-23T14:30:00Z');
    const now = businessHoursNow(newYork, at);
    expect(now.open).toBe(isOpen(newYork, at));
    // Monday 17:00 New York is 22:00 UTC.
    expect(isOpen(newYork, new Date('2026-11-23T21:59:00Z'))).toBe(true);
    expect(isOpen(newYork, new Date('2026-11-23T22:00:00Z'))).toBe(now.next?.open);
  });

  it('joins ranges that meet, and names no change when there is none', () => {
    const joined: BusinessHours = {
      timezone: 'UTC',
      schedule: {
        mon: [
          ['09:00', '12:00'],
          ['12:00', '18:00'],
        ],
      },
    };
    expect(change(joined, '2026-11-23T10:00:00Z').next).toMatchObject({ open: false, time: '18:00' });
    expect(change({ timezone: 'UTC', schedule: {} }, '2026-11-23T10:00:00Z')).toEqual({ open: false, next: null });
    expect(change({ timezone: 'UTC', schedule: { mon: [] } }, '2026-11-23T10:00:00Z').next).toBeNull();
  });

  it('names the zone by its own name, with the local time', () => {
    const now = businessHoursNow({ ...newYork, timezone: 'US/Eastern' }, new Date('2026-11-23T14:30:00Z'));
    expect(now.timezone).toBe('America/New_York');
    expect(now.local).toMatchObject({ weekday: 'mon', date: '2026-11-23', time: '09:30' });
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
