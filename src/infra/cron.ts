/**
 * The in-process queue's schedules read in UTC, without cron-parser. cron-parser
 * computes every date through luxon, and luxon through `Intl.DateTimeFormat`:
 * the first one makes Node map about 5 MB of its time-zone and locale data and
 * keeps luxon loaded, which an idle embedded server (the sweeps run every
 * minute) would otherwise hold for nothing. Other zones keep cron-parser,
 * loaded on first use, for its daylight-saving rules.
 */

/** Minute, hour, day of month, month, day of week (0 is Sunday): the values each field allows. */
export interface CronFields {
  minutes: ReadonlySet<number>;
  hours: ReadonlySet<number>;
  days: ReadonlySet<number>;
  months: ReadonlySet<number>;
  weekdays: ReadonlySet<number>;
}

const RANGES = [
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 7],
] as const;
const STEP = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/;

/** One field's values, or undefined for anything past numbers, `*`, ranges, steps and lists. */
function fieldValues(field: string, [low, high]: readonly [number, number]): Set<number> | undefined {
  const values = new Set<number>();
  for (const part of field.split(',')) {
    const match = STEP.exec(part);
    if (!match) return undefined;
    const [, , from, to, step] = match;
    const start = from === undefined ? low : Number(from);
    // `5/15` counts from 5 to the field's end, as in cron-parser.
    const end = to !== undefined ? Number(to) : from !== undefined && step === undefined ? start : high;
    const by = step === undefined ? 1 : Number(step);
    if (start < low || end > high || start > end || by < 1) return undefined;
    for (let value = start; value <= end; value += by) values.add(value);
  }
  return values;
}

/**
 * Reads a five-field pattern of numbers, `*`, ranges, steps and lists;
 * undefined for anything else (names, `?`, `L`, a seconds field), which
 * cron-parser then reads or refuses. So does a pattern restricting both the
 * day of the month and the day of the week: cron's rule for those (either
 * one) has variants, and cron-parser's is kept.
 */
export function parseCron(pattern: string): CronFields | undefined {
  const fields = pattern.trim().split(/\s+/);
  if (fields.length !== 5 || (fields[2] !== '*' && fields[4] !== '*')) return undefined;
  const values = fields.map((field, index) => fieldValues(field, RANGES[index]!));
  if (values.some((set) => set === undefined)) return undefined;
  const [minutes, hours, days, months, weekdays] = values as Set<number>[];
  if (weekdays!.delete(7)) weekdays!.add(0);
  return {
    minutes: minutes!,
    hours: hours!,
    days: days!,
    months: months!,
    weekdays: weekdays!,
  };
}

const MINUTE = 60_000;
/** Far enough for any pattern that can match (29 February included). */
const SEARCH_YEARS = 8;

const dayMatches = (cron: CronFields, at: Date) => cron.days.has(at.getUTCDate()) && cron.weekdays.has(at.getUTCDay());

/** The first minute after `after` that the pattern matches, in UTC. */
export function nextUtc(cron: CronFields, after: Date): Date {
  const at = new Date(Math.floor(after.getTime() / MINUTE) * MINUTE + MINUTE);
  const limit = after.getTime() + SEARCH_YEARS * 366 * 24 * 60 * MINUTE;
  while (at.getTime() <= limit) {
    if (!cron.months.has(at.getUTCMonth() + 1)) {
      at.setUTCMonth(at.getUTCMonth() + 1, 1);
      at.setUTCHours(0, 0);
    } else if (!dayMatches(cron, at)) {
      at.setUTCDate(at.getUTCDate() + 1);
      at.setUTCHours(0, 0);
    } else if (!cron.hours.has(at.getUTCHours())) {
      at.setUTCHours(at.getUTCHours() + 1, 0);
    } else if (!cron.minutes.has(at.getUTCMinutes())) {
      at.setUTCMinutes(at.getUTCMinutes() + 1);
    } else {
      return at;
    }
  }
  throw new Error('The cron pattern never matches');
}

/** The zones read here rather than by cron-parser. */
export const isUtc = (timezone: string) => timezone === 'UTC' || timezone === 'Etc/UTC';
