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

export function isOpen(hours: BusinessHours, at: Date): boolean {
  const now = localTime(hours.timezone, at);
  for (const [open, close] of hours.schedule[now.weekday] ?? []) {
    const from = toMinutes(open);
    const to = toMinutes(close);
    // A range past midnight covers the rest of its own day here; its morning part is checked below.
    if (to > from ? now.minutes >= from && now.minutes < to : now.minutes >= from) return true;
  }
  for (const [open, close] of hours.schedule[previousDay(now.weekday)] ?? []) {
    const from = toMinutes(open);
    const to = toMinutes(close);
    if (to <= from && now.minutes < to) return true;
  }
  return false;
}

/** "Tuesday 24 November 2026, 14:05 (Europe/Berlin)": how the model is told the business's local time. */
export function describeLocalTime(zone: string, at: Date): string {
  // Built from parts: the locale's own punctuation differs between ICU versions.
  const p = partsOf(formatter('en-GB', zone, WORDS), at);
  return `${p.weekday} ${p.day} ${p.month} ${p.year}, ${p.hour}:${p.minute} (${canonicalTimeZone(zone)})`;
}
