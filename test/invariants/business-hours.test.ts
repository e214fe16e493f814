import { describe, expect, it } from 'vitest';
import {
  businessHoursSchema,
  describeLocalTime,
  isOpen,
  isTimeZone,
  localTime,
  type BusinessHours,
} from '../../src/ai/business-hours.js';

// All in UTC, so wall-clock time is the instant's own. 2026-11-22 is a Sunday, 2026-11-23 a Monday.
const utc = (schedule: BusinessHours['schedule']): BusinessHours => ({ timezone: 'UTC', schedule });

describe('opening hours at their edges', () => {
  it('open exactly at the opening minute and close exactly at the closing one', () => {
    const hours = utc({ mon: [['09:00', '17:00']] });
    expect(isOpen(hours, new Date('2026-11-23T09:00:00Z'))).toBe(true);
    expect(isOpen(hours, new Date('2026-11-23T08:59:59Z'))).toBe(false);
    expect(isOpen(hours, new Date('2026-11-23T16:59:00Z'))).toBe(true);
    expect(isOpen(hours, new Date('2026-11-23T17:00:00Z'))).toBe(false);
  });

  it('count the minutes as well as the hours', () => {
    const hours = utc({ mon: [['09:30', '09:45']] });
    expect(isOpen(hours, new Date('2026-11-23T09:29:00Z'))).toBe(false);
    expect(isOpen(hours, new Date('2026-11-23T09:30:00Z'))).toBe(true);
    expect(isOpen(hours, new Date('2026-11-23T09:44:00Z'))).toBe(true);
    expect(isOpen(hours, new Date('2026-11-23T09:45:00Z'))).toBe(false);
    expect(isOpen(hours, new Date('2026-11-23T10:30:00Z'))).toBe(false);
  });

  it('run an overnight range from its opening minute to the closing minute next day', () => {
    const hours = utc({ mon: [['22:00', '02:00']] });
    expect(isOpen(hours, new Date('2026-11-23T21:59:00Z'))).toBe(false);
    expect(isOpen(hours, new Date('2026-11-23T22:00:00Z'))).toBe(true);
    expect(isOpen(hours, new Date('2026-11-23T23:59:00Z'))).toBe(true);
    expect(isOpen(hours, new Date('2026-11-24T00:00:00Z'))).toBe(true);
    expect(isOpen(hours, new Date('2026-11-24T01:59:00Z'))).toBe(true);
    expect(isOpen(hours, new Date('2026-11-24T02:00:00Z'))).toBe(false);
    // Its morning part belongs to the next day only: Monday's own early morning is closed.
    expect(isOpen(hours, new Date('2026-11-23T01:00:00Z'))).toBe(false);
    // And the evening part does not open the next evening.
    expect(isOpen(hours, new Date('2026-11-24T22:30:00Z'))).toBe(false);
  });

  it('close a range ending at midnight at midnight', () => {
    const hours = utc({ mon: [['20:00', '00:00']] });
    expect(isOpen(hours, new Date('2026-11-23T23:59:00Z'))).toBe(true);
    expect(isOpen(hours, new Date('2026-11-24T00:00:00Z'))).toBe(false);
  });

  it('carry Sunday night into Monday morning, across the week boundary', () => {
    const hours = utc({ sun: [['23:00', '03:00']] });
    expect(isOpen(hours, new Date('2026-11-22T23:30:00Z'))).toBe(true);
    expect(isOpen(hours, new Date('2026-11-23T02:30:00Z'))).toBe(true);
    expect(isOpen(hours, new Date('2026-11-23T03:00:00Z'))).toBe(false);
    // Saturday's morning is not Sunday night's.
    expect(isOpen(hours, new Date('2026-11-21T02:30:00Z'))).toBe(false);
  });

  it('carry each night into the following day only', () => {
    const hours = utc({ tue: [['23:00', '03:00']] });
    expect(isOpen(hours, new Date('2026-11-25T02:00:00Z'))).toBe(true); // Wed 02:00
    expect(isOpen(hours, new Date('2026-11-24T02:00:00Z'))).toBe(false); // Tue 02:00
    expect(isOpen(hours, new Date('2026-11-26T02:00:00Z'))).toBe(false); // Thu 02:00
  });
});

describe('a range whose close equals its open', () => {
  it('runs a full day, past midnight, as any range whose close is not after its open', () => {
    const hours = utc({ mon: [['10:00', '10:00']] });
    expect(isOpen(hours, new Date('2026-11-23T09:59:00Z'))).toBe(false); // Mon 09:59
    expect(isOpen(hours, new Date('2026-11-23T10:00:00Z'))).toBe(true); // Mon 10:00
    expect(isOpen(hours, new Date('2026-11-24T09:00:00Z'))).toBe(true); // Tue 09:00
    expect(isOpen(hours, new Date('2026-11-24T10:00:00Z'))).toBe(false); // Tue 10:00
  });
});

describe('local time', () => {
  it('is read in the zone given', () => {
    expect(localTime('UTC', new Date('2026-11-23T00:05:00Z'))).toEqual({
      weekday: 'mon',
      minutes: 5,
      date: '2026-11-23',
      time: '00:05',
    });
    expect(localTime('Asia/Tokyo', new Date('2026-11-23T23:59:00Z'))).toEqual({
      weekday: 'tue',
      minutes: 8 * 60 + 59,
      date: '2026-11-24',
      time: '08:59',
    });
  });

  it('is told in words and in numbers from the same zone without mixing them up', () => {
    const at = new Date('2026-11-24T13:05:00Z');
    expect(localTime('Europe/Berlin', at).weekday).toBe('tue');
    expect(describeLocalTime('Europe/Berlin', at)).toBe('Tuesday 24 November 2026, 14:05 (Europe/Berlin)');
    expect(localTime('Europe/Berlin', at)).toMatchObject({ weekday: 'tue', time: '14:05', date: '2026-11-24' });
    expect(describeLocalTime('UTC', at)).toBe('Tuesday 24 November 2026, 13:05 (UTC)');
  });
});

describe('time zones', () => {
  it('are IANA names', () => {
    expect(isTimeZone('Europe/Berlin')).toBe(true);
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
  });

  it('are checked by the schema', () => {
    expect(businessHoursSchema.meta()?.id).toBe('BusinessHours');
    expect(businessHoursSchema.safeParse({ timezone: 'Mars/Olympus', schedule: {} }).success).toBe(false);
    expect(businessHoursSchema.safeParse({ timezone: 'Asia/Tokyo', schedule: {} }).success).toBe(true);
  });
});

describe('opening times in the schema', () => {
  const parses = (open: string, close = '23:59') =>
    businessHoursSchema.safeParse({ timezone: 'UTC', schedule: { mon: [[open, close]] } }).success;

  it('are 24-hour HH:MM, from 00:00 to 23:59', () => {
    expect(parses('00:00')).toBe(true);
    expect(parses('19:45')).toBe(true);
    expect(parses('23:30', '23:59')).toBe(true);
    expect(parses('20:00', '21:15')).toBe(true);
  });

  it('refuse anything else, whole-string', () => {
    expect(parses('24:00')).toBe(false);
    expect(parses('29:00')).toBe(false);
    expect(parses('09:60')).toBe(false);
    expect(parses('9:00')).toBe(false);
    expect(parses('09:000')).toBe(false);
    expect(parses('x09:00')).toBe(false);
    expect(parses('109:00')).toBe(false);
    expect(parses('09:00 ')).toBe(false);
  });
});
