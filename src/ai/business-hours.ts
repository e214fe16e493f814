import { z } from 'zod';
import { WEEKDAYS, type BusinessHours, type Weekday } from '../db/schema/index.js';

/**
 * A business's weekly opening hours in its own time zone. Each day holds
 * `[open, close]` ranges in local wall-clock time; a range whose close is not
 * after its open runs past midnight (`["22:00", "02:00"]`). Wall-clock
 * arithmetic makes daylight-saving changes come out right: "09:00" is nine
 * in the morning on both sides of a transition.
 */
export { WEEKDAYS, type BusinessHours, type Weekday } from '../db/schema/index.js';

const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const timeOfDay = z.string().regex(TIME, 'Use 24-hour HH:MM, such as 09:00 or 17:30.');

const range = z
  .tuple([timeOfDay, timeOfDay])
  .refine(([open, close]) => open !== close, 'Opening and closing times must differ.');

export const businessHoursSchema = z
  .object({
    timezone: z.string().refine(isTimeZone, 'Use an IANA time zone such as America/New_York.'),
    schedule: z.partialRecord(z.enum(WEEKDAYS), z.array(range).max(12)),
  })
  .meta({ id: 'BusinessHours' }) satisfies z.ZodType<BusinessHours>;

export interface LocalTime {
  weekday: Weekday;
  /** Minutes since local midnight. */
  minutes: number;
  /** `YYYY-MM-DD` in the zone. */
  date: string;
  /** `HH:MM` in the zone. */
  time: string;
}

/**
 * Building an Intl formatter costs far more than using one, so one is kept per
 * locale, zone and style. Zones come from businesses' settings in any casing
 * ("europe/lisbon"), so formatters are keyed by the zone's canonical name, and
 * both maps are bounded: what a client can vary cannot grow memory for ever.
 */
const MAX_CACHED = 1_000;
const formatters = new Map<string, Intl.DateTimeFormat>();
const canonicalZones = new Map<string, string>();

/** Keeps at most MAX_CACHED entries, forgetting the oldest first. */
function remember<V>(cache: Map<string, V>, key: string, value: V): V {
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
  cache.set(key, value);
  return value;
}

/** "europe/lisbon" → "Europe/Lisbon": the name ICU resolves a zone to, whatever its casing. */
function canonicalTimeZone(zone: string): string {
  return (
    canonicalZones.get(zone) ??
    remember(canonicalZones, zone, new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone)
  );
}

function formatter(locale: string, zone: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const canonical = canonicalTimeZone(zone);
  const key = `${locale}|${canonical}|${options.weekday}`;
  return (
    formatters.get(key) ??
    remember(formatters, key, new Intl.DateTimeFormat(locale, { ...options, timeZone: canonical }))
  );
}

const NUMERIC: Intl.DateTimeFormatOptions = {
  weekday: 'short',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
};

const WORDS: Intl.DateTimeFormatOptions = {
  weekday: 'long',
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
};

function partsOf(format: Intl.DateTimeFormat, at: Date): Record<string, string> {
  const parts: Record<string, string> = {};
  for (const part of format.formatToParts(at)) parts[part.type] = part.value;
  return parts;
}

/** The wall-clock time in `zone` at the instant `at`. */
export function localTime(zone: string, at: Date): LocalTime {
  const parts = partsOf(formatter('en-US', zone, NUMERIC), at);
  const weekday = (parts.weekday ?? 'Mon').slice(0, 3).toLowerCase() as Weekday;
  const hour = Number(parts.hour);
  const minute = Number(parts.minute);
  return {
    weekday,
    minutes: hour * 60 + minute,
    date: `${parts.year}-${parts.month}-${parts.day}`,
    time: `${parts.hour}:${parts.minute}`,
  };
}

function toMinutes(time: string): number {
  const [hours, minutes] = time.split(':').map(Number);
  return (hours ?? 0) * 60 + (minutes ?? 0);
}

function previousDay(day: Weekday): Weekday {
  return WEEKDAYS[(WEEKDAYS.indexOf(day) + 6) % 7]!;
}

/** Whether `schedule` is open at `minutes` past local midnight on `weekday`: the one rule for "open". */
function openAt(schedule: BusinessHours['schedule'], weekday: Weekday, minutes: number): boolean {
  for (const [open, close] of schedule[weekday] ?? []) {
    const from = toMinutes(open);
    const to = toMinutes(close);
    // A range past midnight covers the rest of its own day here; its morning part is checked below.
    if (to > from ? minutes >= from && minutes < to : minutes >= from) return true;
  }
  for (const [open, close] of schedule[previousDay(weekday)] ?? []) {
    const from = toMinutes(open);
    const to = toMinutes(close);
    if (to <= from && minutes < to) return true;
  }
  return false;
}

export function isOpen(hours: BusinessHours, at: Date): boolean {
  const now = localTime(hours.timezone, at);
  return openAt(hours.schedule, now.weekday, now.minutes);
}

const DAY = 24 * 60;
const WEEK = 7 * DAY;

export interface HoursChange {
  /** Whether the business is open from then on. */
  open: boolean;
  weekday: Weekday;
  /** `YYYY-MM-DD` in the zone. */
  date: string;
  /** `HH:MM` in the zone. */
  time: string;
}

export interface HoursNow {
  open: boolean;
  /** The zone's own name ("US/Eastern" → "America/New_York"). */
  timezone: string;
  local: LocalTime;
  /** When it next opens or closes; null when that never happens (closed all week, or open around the clock). */
  next: HoursChange | null;
}

function addDays(date: string, days: number): string {
  const day = new Date(`${date}T00:00:00Z`);
  day.setUTCDate(day.getUTCDate() + days);
  return day.toISOString().slice(0, 10);
}

/**
 * Open or closed at `at`, and when that changes next, in the business's wall-clock time.
 * The change is found among the ranges' own edges with the rule `isOpen` uses, so what
 * the dashboard shows is what the reply pipeline decides.
 */
export function businessHoursNow(hours: BusinessHours, at: Date): HoursNow {
  const local = localTime(hours.timezone, at);
  const open = openAt(hours.schedule, local.weekday, local.minutes);
  const timezone = canonicalTimeZone(hours.timezone);
  const start = WEEKDAYS.indexOf(local.weekday) * DAY + local.minutes;
  const edges = new Set<number>();
  for (const [index, day] of WEEKDAYS.entries()) {
    for (const range of hours.schedule[day] ?? []) {
      const [from, to] = range.map(toMinutes) as [number, number];
      edges.add(index * DAY + from);
      edges.add((index * DAY + to + (to <= from ? DAY : 0)) % WEEK);
    }
  }
  // Minutes from now until each edge, soonest first; an edge at this very minute comes a week later.
  const ahead = [...edges].map((edge) => (edge - start + WEEK) % WEEK || WEEK).sort((a, b) => a - b);
  for (const minutes of ahead) {
    const point = (start + minutes) % WEEK;
    const weekday = WEEKDAYS[Math.floor(point / DAY)]!;
    if (openAt(hours.schedule, weekday, point % DAY) === open) continue;
    const days = Math.floor((local.minutes + minutes) / DAY);
    const time = `${String(Math.floor((point % DAY) / 60)).padStart(2, '0')}:${String(point % 60).padStart(2, '0')}`;
    return { open, timezone, local, next: { open: !open, weekday, date: addDays(local.date, days), time } };
  }
  return { open, timezone, local, next: null };
}

/** "Tuesday 24 November 2026, 14:05 (Europe/Berlin)": how the model is told the business's local time. */
export function describeLocalTime(zone: string, at: Date): string {
  // Built from parts: the locale's own punctuation differs between ICU versions.
  const p = partsOf(formatter('en-GB', zone, WORDS), at);
  return `${p.weekday} ${p.day} ${p.month} ${p.year}, ${p.hour}:${p.minute} (${canonicalTimeZone(zone)})`;
}
