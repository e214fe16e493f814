import { z } from 'zod';

/**
 * Reports count calendar days in PARLEY_TIMEZONE: "the last 30 days" ends
 * today, local time, and a day is a local midnight to the next.
 */
export const MAX_REPORT_DAYS = 365;

const DAYS_MESSAGE = `A whole number of days from 1 to ${MAX_REPORT_DAYS}.`;

/** `?days=N` of the report endpoints (query strings are coerced to numbers before this). */
export const daysQuery = z.object({
  days: z
    .number({ error: DAYS_MESSAGE })
    .int(DAYS_MESSAGE)
    .min(1, DAYS_MESSAGE)
    .max(MAX_REPORT_DAYS, DAYS_MESSAGE)
    .default(30)
    .describe('How many calendar days back, today included (in PARLEY_TIMEZONE).'),
});

export const periodSchema = z.object({
  days: z.number().int(),
  start: z.string().describe('First day of the period, YYYY-MM-DD in `timezone`.'),
  end: z.string().describe('Last day of the period (today), YYYY-MM-DD in `timezone`.'),
  timezone: z.string(),
});

export type CalendarPeriod = z.infer<typeof periodSchema>;

/** The calendar date (YYYY-MM-DD) it is at `now` in `timezone`. */
export function localDate(now: Date, timezone: string): string {
  // en-CA formats as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', { timeZone: timezone }).format(now);
}

/** Calendar arithmetic on YYYY-MM-DD dates; UTC has no DST, so this is exact. */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** Every date from `start` to `end`, both included. */
export function datesBetween(start: string, end: string): string[] {
  const dates: string[] = [];
  for (let date = start; date <= end; date = addDays(date, 1)) dates.push(date);
  return dates;
}

/** The last `days` calendar days in `timezone`, today included. */
export function lastDays(now: Date, timezone: string, days: number): CalendarPeriod {
  const end = localDate(now, timezone);
  return { days, start: addDays(end, -(days - 1)), end, timezone };
}
