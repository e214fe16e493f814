// Numbers as the usage and admin screens show them, in the browser's language.
const whole = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const compact = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });
const percent = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 });
const seconds = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });

export const count = (n: number): string => whole.format(n);

/** Short, for chart axes: 12.5K. */
export const short = (n: number): string => compact.format(n);

export const share = (n: number): string => percent.format(n);

/** Estimated USD: cents once it is worth a cent, else enough digits to see it is not zero. */
export function usd(n: number): string {
  if (n === 0) return '$0';
  const digits = Math.abs(n) >= 1 ? 2 : Math.abs(n) >= 0.01 ? 3 : 5;
  return `$${n.toFixed(digits)}`;
}

export const duration = (ms: number): string =>
  ms < 1000 ? `${whole.format(ms)} ms` : `${seconds.format(ms / 1000)} s`;

const dayLabel = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });
const dayLong = new Intl.DateTimeFormat(undefined, {
  weekday: 'short',
  month: 'short',
  day: 'numeric',
  timeZone: 'UTC',
});

/** A report's YYYY-MM-DD day (already in the business's time zone) without shifting it to the browser's. */
export const day = (date: string): string => dayLabel.format(new Date(`${date}T00:00:00Z`));
export const dayWithWeekday = (date: string): string => dayLong.format(new Date(`${date}T00:00:00Z`));

const moment = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
export const when = (iso: string): string => moment.format(new Date(iso));
