import { addDays, datesBetween, lastDays, localDate, type CalendarPeriod } from '../kernel/periods.js';
import type { AnswerCosts } from '../kernel/answer-costs.js';
import { answerCosts } from '../db/answer-costs.js';
import type { Database } from '../db/client.js';
import {
  computeDays,
  countUsers,
  listUserIds,
  storedDays,
  storedRowsPerDay,
  upsertDays,
  type DayFigures,
  type DayRow,
} from './analytics.repo.js';

export interface AnalyticsFigures {
  conversations: number;
  customerMessages: number;
  aiMessages: number;
  supportMessages: number;
  systemMessages: number;
  /** Share of customer messages the AI answered (a coalesced burst answers several at once); null without any. */
  aiResponseRate: number | null;
  averageResponseTimeMs: number | null;
  p95ResponseTimeMs: number | null;
  handovers: number;
  handoversByReason: Record<string, number>;
  discardedReplies: number;
  coalescedBursts: number;
}

export interface Analytics {
  period: CalendarPeriod;
  totals: AnalyticsFigures;
  daily: (AnalyticsFigures & { date: string })[];
  /** Over the whole period: per-reply and per-conversation spreads need every value. */
  answerCosts: AnswerCosts;
}

const EMPTY: DayFigures = {
  conversations: 0,
  customerMessages: 0,
  aiMessages: 0,
  supportMessages: 0,
  systemMessages: 0,
  aiAnsweredMessages: 0,
  coalescedBursts: 0,
  discardedReplies: 0,
  responseTimesMs: [],
  handovers: 0,
  handoversByReason: {},
};

/**
 * The nightly job's work: writes every business's row for each given day
 * (idle days as zeros, so a missing row always means "not computed yet").
 * Recomputing a day replaces its rows.
 */
export async function aggregateDays(db: Database, timezone: string, days: string[]): Promise<number> {
  if (days.length === 0) return 0;
  const sorted = [...days].sort();
  const computed = await computeDays(db, timezone, sorted[0]!, sorted.at(-1)!);
  const byKey = new Map(computed.map((row) => [`${row.userId}|${row.day}`, row]));
  const everyone = await listUserIds(db);
  const rows = sorted.flatMap((day) =>
    everyone.map((id): DayRow => {
      const figures = byKey.get(`${id}|${day}`) ?? EMPTY;
      return {
        userId: id,
        day,
        conversations: figures.conversations,
        customerMessages: figures.customerMessages,
        aiMessages: figures.aiMessages,
        supportMessages: figures.supportMessages,
        systemMessages: figures.systemMessages,
        aiAnsweredMessages: figures.aiAnsweredMessages,
        coalescedBursts: figures.coalescedBursts,
        discardedReplies: figures.discardedReplies,
        responseTimesMs: figures.responseTimesMs,
        handovers: figures.handovers,
        handoversByReason: figures.handoversByReason,
      };
    }),
  );
  await upsertDays(db, rows);
  return rows.length;
}

/** How far back the nightly job fills days it missed (the server was down at 01:00). */
const BACKFILL_DAYS = 7;

/** Yesterday always (its last minutes may have changed), and any of the week before without rows. */
export async function daysToAggregate(db: Database, timezone: string, now: Date): Promise<string[]> {
  const yesterday = addDays(localDate(now, timezone), -1);
  const first = addDays(yesterday, -(BACKFILL_DAYS - 1));
  const userCount = await countUsers(db);
  const stored = await storedRowsPerDay(db, first, yesterday);
  const complete = new Set(stored.filter((row) => row.n >= userCount).map((row) => row.day));
  return [...datesBetween(first, addDays(yesterday, -1)).filter((day) => !complete.has(day)), yesterday];
}

/** `GET /api/v1/ai/analytics/`: the last `days` days of one business, today live. */
export async function businessAnalytics(
  db: Database,
  userId: string,
  timezone: string,
  now: Date,
  days: number,
): Promise<Analytics> {
  const period = lastDays(now, timezone, days);
  const [stored, costs] = await Promise.all([
    storedDays(db, userId, period.start, period.end),
    answerCosts(db, period, userId),
  ]);
  const figures = new Map<string, DayFigures>(stored.map((row) => [row.day, row]));
  const dates = datesBetween(period.start, period.end);
  // Today, and past days the job has not written (say, the first night after an upgrade), live.
  const firstMissing = dates.find((date) => !figures.has(date));
  if (firstMissing) {
    const live = new Map<string, DayFigures>(
      (await computeDays(db, timezone, firstMissing, period.end, userId)).map((row) => [row.day, row]),
    );
    for (const date of dates.filter((day) => day >= firstMissing && !figures.has(day))) {
      figures.set(date, live.get(date) ?? EMPTY);
    }
  }
  const daily = dates.map((date) => ({ date, ...summarise([figures.get(date) ?? EMPTY]) }));
  return { period, totals: summarise([...figures.values()]), daily, answerCosts: costs };
}

/** Adds days up; rates and times are computed over the sum, so the period's p95 is exact. */
function summarise(days: DayFigures[]): AnalyticsFigures {
  const sum = (pick: (day: DayFigures) => number) => days.reduce((total, day) => total + pick(day), 0);
  const times = days.flatMap((day) => day.responseTimesMs).sort((a, b) => a - b);
  const handoversByReason: Record<string, number> = {};
  for (const day of days) {
    for (const [reason, n] of Object.entries(day.handoversByReason)) {
      handoversByReason[reason] = (handoversByReason[reason] ?? 0) + n;
    }
  }
  const customerMessages = sum((day) => day.customerMessages);
  const answered = sum((day) => day.aiAnsweredMessages);
  return {
    conversations: sum((day) => day.conversations),
    customerMessages,
    aiMessages: sum((day) => day.aiMessages),
    supportMessages: sum((day) => day.supportMessages),
    systemMessages: sum((day) => day.systemMessages),
    // A burst answered just after midnight counts its messages on the day of the answer: cap at 1.
    aiResponseRate: customerMessages > 0 ? Math.min(1, Math.round((answered / customerMessages) * 1000) / 1000) : null,
    averageResponseTimeMs: times.length ? Math.round(times.reduce((a, b) => a + b, 0) / times.length) : null,
    // Nearest rank: the smallest time at least 95% of answers were as fast as.
    p95ResponseTimeMs: times.length ? times[Math.ceil(0.95 * times.length) - 1]! : null,
    handovers: sum((day) => day.handovers),
    handoversByReason,
    discardedReplies: sum((day) => day.discardedReplies),
    coalescedBursts: sum((day) => day.coalescedBursts),
  };
}
