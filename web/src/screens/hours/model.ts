import type { HoursConfig, HoursPatch, HoursPreview, WeeklyHours, Weekday } from '../../types-hours.js';

// The business-hours form as the screen edits it, and the words the preview uses.

export const DAY_NAMES = {
  mon: 'Monday',
  tue: 'Tuesday',
  wed: 'Wednesday',
  thu: 'Thursday',
  fri: 'Friday',
  sat: 'Saturday',
  sun: 'Sunday',
} satisfies Record<Weekday, string>;

export const WEEKDAYS = Object.keys(DAY_NAMES) as Weekday[];

/** One opening range; `key` keeps a row (and its focus) while others are added or removed. */
export interface Range {
  key: number;
  from: string;
  to: string;
}

export type Week = Record<Weekday, Range[]>;

export interface Draft {
  enabled: boolean;
  timezone: string;
  week: Week;
  away: string;
}

let lastKey = 0;
export const newRange = (from: string, to: string): Range => ({ key: ++lastKey, from, to });

/** A range that closes at or before it opens runs past midnight, as the server reads it. */
export const overnight = (range: Pick<Range, 'from' | 'to'>) =>
  range.from !== '' && range.to !== '' && range.to <= range.from;

export function draftOf(config: HoursConfig, browserZone: string): Draft {
  const hours = config.business_hours;
  const week = Object.fromEntries(
    WEEKDAYS.map((day) => [day, (hours?.schedule[day] ?? []).map(([from, to]) => newRange(from, to))]),
  ) as Week;
  return {
    enabled: config.business_hours_enabled,
    timezone: hours?.timezone ?? browserZone,
    week,
    away: config.away_message ?? '',
  };
}

export function hoursOf(draft: Pick<Draft, 'timezone' | 'week'>): WeeklyHours {
  const schedule = Object.fromEntries(
    WEEKDAYS.map((day) => [day, draft.week[day].map((range): [string, string] => [range.from, range.to])]),
  );
  return { timezone: draft.timezone.trim(), schedule };
}

export function patchOf(draft: Draft): HoursPatch {
  return {
    business_hours_enabled: draft.enabled,
    business_hours: hoursOf(draft),
    away_message: draft.away.trim() === '' ? null : draft.away,
  };
}

/** The fields the API's errors may name, so each shows beside its own input. */
export function knownFields(week: Week): string[] {
  return [
    'business_hours_enabled',
    'business_hours',
    'business_hours.timezone',
    'business_hours.schedule',
    'away_message',
    ...WEEKDAYS.flatMap((day) => [
      `business_hours.schedule.${day}`,
      ...week[day].map((_, index) => `business_hours.schedule.${day}.${index}`),
    ]),
  ];
}

function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** "Open now · closes at 17:00", "Closed · opens Monday at 09:00". */
export function previewLine(preview: HoursPreview): string {
  const next = preview.next_change;
  if (!next) return preview.open_now ? 'Open now · around the clock' : 'Closed all week · add opening hours below';
  const days = daysBetween(preview.local_time.date, next.date);
  const when =
    days === 0
      ? `at ${next.time}`
      : days === 1
        ? `tomorrow at ${next.time}`
        : `${days === 7 ? 'next ' : ''}${DAY_NAMES[next.weekday]} at ${next.time}`;
  return preview.open_now ? `Open now · closes ${when}` : `Closed · opens ${when}`;
}

/** "It is Tuesday 14:05 in Europe/Lisbon." */
export function localLine(preview: HoursPreview): string {
  return `It is ${DAY_NAMES[preview.local_time.weekday]} ${preview.local_time.time} in ${preview.timezone}.`;
}
