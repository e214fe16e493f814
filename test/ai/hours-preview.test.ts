import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';

/**
 * The business-hours preview the dashboard shows beside the weekly editor: open now or not,
 * and when that changes, decided by the rule the reply pipeline uses.
 */
let t: TestApp;
let token: string;

beforeAll(async () => {
  t = await createTestApp();
  token = await t.signUp('rosa');
});
afterAll(() => t.close());
afterEach(() => {
  vi.useRealTimers();
});

const preview = (business_hours: unknown, as = token) =>
  t.as(as, { method: 'POST', url: '/api/v1/ai/business-hours/preview/', payload: { business_hours } });

const newYork = {
  timezone: 'America/New_York',
  schedule: { mon: [['09:00', '17:00']], fri: [['22:00', '02:00']], sat: [] },
};

describe('POST /api/v1/ai/business-hours/preview/', () => {
  it('says open now and when it closes, in the business’s zone', async () => {
    // Monday 23 November 2026, 09:30 in New York.
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-11-23T14:30:00Z') });
    const response = await preview(newYork);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      open_now: true,
      timezone: 'America/New_York',
      local_time: { weekday: 'mon', date: '2026-11-23', time: '09:30' },
      next_change: { open: false, weekday: 'mon', date: '2026-11-23', time: '17:00' },
    });
  });

  it('says closed and when it opens, across a range past midnight', async () => {
    // Friday 27 November, 21:00 in New York: Friday night's range opens at 22:00, closes Saturday 02:00.
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-11-28T02:00:00Z') });
    expect((await preview(newYork)).json()).toMatchObject({
      open_now: false,
      next_change: { open: true, weekday: 'fri', date: '2026-11-27', time: '22:00' },
    });
    // Saturday 01:00: open, in the range's morning part.
    vi.setSystemTime(new Date('2026-11-28T06:00:00Z'));
    expect((await preview(newYork)).json()).toMatchObject({
      open_now: true,
      local_time: { weekday: 'sat', time: '01:00' },
      next_change: { open: false, weekday: 'sat', date: '2026-11-28', time: '02:00' },
    });
  });

  it('names no change for hours that never open, or never close', async () => {
    expect((await preview({ timezone: 'Europe/Lisbon', schedule: {} })).json()).toMatchObject({
      open_now: false,
      timezone: 'Europe/Lisbon',
      next_change: null,
    });
    const day: [string, string][] = [
      ['00:00', '12:00'],
      ['12:00', '00:00'],
    ];
    const always = {
      timezone: 'Asia/Tokyo',
      schedule: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, day])),
    };
    expect((await preview(always)).json()).toMatchObject({ open_now: true, next_change: null });
  });

  it('refuses hours ai/config would refuse, naming each field as ai/config does', async () => {
    const bad = await preview({
      timezone: 'Mars/Olympus',
      schedule: { mon: [['9am', '17:00']], tue: [['10:00', '10:00']] },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({
      code: 'validation_error',
      errors: {
        'business_hours.timezone': ['Use an IANA time zone such as America/New_York.'],
        'business_hours.schedule.mon.0.0': ['Use 24-hour HH:MM, such as 09:00 or 17:30.'],
        'business_hours.schedule.tue.0': ['Opening and closing times must differ.'],
      },
    });
    const config = await t.as(token, {
      method: 'PATCH',
      url: '/api/v1/ai/config/',
      payload: { business_hours: { timezone: 'Mars/Olympus', schedule: { tue: [['10:00', '10:00']] } } },
    });
    expect(Object.keys(config.json<{ errors: object }>().errors).sort()).toEqual([
      'business_hours.schedule.tue.0',
      'business_hours.timezone',
    ]);

    const empty = await t.as(token, { method: 'POST', url: '/api/v1/ai/business-hours/preview/', payload: {} });
    expect(empty.statusCode).toBe(400);
    expect(empty.json()).toMatchObject({ errors: { business_hours: [expect.any(String)] } });
  });

  it('changes nothing, and needs a signed-in business', async () => {
    const before = (await t.as(token, { method: 'GET', url: '/api/v1/ai/config/' })).json();
    expect((await preview(newYork)).statusCode).toBe(200);
    expect((await t.as(token, { method: 'GET', url: '/api/v1/ai/config/' })).json()).toEqual(before);
    const anonymous = await t.app.inject({
      method: 'POST',
      url: '/api/v1/ai/business-hours/preview/',
      payload: { business_hours: newYork },
    });
    expect(anonymous.statusCode).toBe(401);
  });
});
