import { sql, type SQL } from 'drizzle-orm';

/*
 * The SQL side of the calendar periods in kernel/periods.ts: reports bound
 * and group rows by local day in PostgreSQL, so the dates match the ones
 * computed in JavaScript for the same PARLEY_TIMEZONE.
 */

/** The instant a local date begins, as SQL (a timestamptz). */
export function startOfDay(date: string, timezone: string): SQL {
  return sql`(${date}::date::timestamp at time zone ${timezone})`;
}

/** A timestamptz column's local date, as SQL text YYYY-MM-DD. */
export function localDay(column: unknown, timezone: string): SQL {
  return sql`to_char((${column} at time zone ${timezone})::date, 'YYYY-MM-DD')`;
}

/** Where the calendar day and month holding `now` begin in `timezone`, as SQL timestamps. */
export function periodStarts(timezone: string, now: Date): { day: SQL; month: SQL } {
  const local = sql`(${now.toISOString()}::timestamptz at time zone ${timezone})`;
  return {
    day: sql`(date_trunc('day', ${local}) at time zone ${timezone})`,
    month: sql`(date_trunc('month', ${local}) at time zone ${timezone})`,
  };
}
