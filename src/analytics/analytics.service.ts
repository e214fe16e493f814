import { and, eq, gte, lt, sql } from 'drizzle-orm';
import { addDays, datesBetween, lastDays, localDate, type CalendarPeriod } from '../kernel/periods.js';
import { localDay, startOfDay } from '../db/periods.js';
import { rowsOf, type Database } from '../db/client.js';
import { conversations, dailyAnalytics, handovers, messages, usageRecords, users } from '../db/schema/index.js';

/**
 * A business's chat statistics by local day. Past days come from
 * `daily_analytics`, written by the nightly job; today, and any past day the
 * job has not written yet, are computed from the conversations themselves.
 */
export interface DayFigures {
  conversations: number;
  customerMessages: number;
  aiMessages: number;
  supportMessages: number;
  systemMessages: number;
  aiAnsweredMessages: number;
  coalescedBursts: number;
  discardedReplies: number;
  responseTimesMs: number[];
  handovers: number;
  handoversByReason: Record<string, number>;
}

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

interface RawDay {
  user_id: string;
  day: string;
  conversations: number | string;
  customer_messages: number | string;
  ai_messages: number | string;
  support_messages: number | string;
  system_messages: number | string;
  ai_answered_messages: number | string;
  coalesced_bursts: number | string;
  discarded_replies: number | string;
  response_times_ms: number[] | string | null;
  handovers: number | string;
  handovers_by_reason: Record<string, number> | string | null;
}

/** PGlite and node-postgres hand arrays and JSON back differently; both become plain values. */
function parseDay(raw: RawDay): DayFigures & { userId: string; day: string } {
  const times =
    typeof raw.response_times_ms === 'string'
      ? raw.response_times_ms.replace(/[{}]/g, '').split(',').filter(Boolean).map(Number)
      : (raw.response_times_ms ?? []).map(Number);
  const reasons =
    typeof raw.handovers_by_reason === 'string'
      ? (JSON.parse(raw.handovers_by_reason) as Record<string, number>)
      : (raw.handovers_by_reason ?? {});
  return {
    userId: raw.user_id,
    day: raw.day,
    conversations: Number(raw.conversations),
    customerMessages: Number(raw.customer_messages),
    aiMessages: Number(raw.ai_messages),
    supportMessages: Number(raw.support_messages),
    systemMessages: Number(raw.system_messages),
    aiAnsweredMessages: Number(raw.ai_answered_messages),
    coalescedBursts: Number(raw.coalesced_bursts),
    discardedReplies: Number(raw.discarded_replies),
    responseTimesMs: times,
    handovers: Number(raw.handovers),
    handoversByReason: Object.fromEntries(Object.entries(reasons).map(([reason, n]) => [reason, Number(n)])),
  };
}

/**
 * Every business's figures for each local day from `first` to `last` (both
 * included) that had any activity, in one statement. `userId` narrows it to one.
 */
export async function computeDays(
  db: Database,
  timezone: string,
  first: string,
  last: string,
  userId?: string,
): Promise<(DayFigures & { userId: string; day: string })[]> {
  const since = startOfDay(first, timezone);
  const until = startOfDay(addDays(last, 1), timezone);
  const m = messages;
  const c = conversations;
  const owner = (column: unknown) => (userId ? sql`and ${column} = ${userId}` : sql``);
  const result = await db.execute(sql`
    with msg as (
      select ${c.userId} as user_id, ${localDay(m.createdAt, timezone)} as day,
             count(*) filter (where ${m.type} = 'customer') as customer_messages,
             count(*) filter (where ${m.type} = 'AI') as ai_messages,
             count(*) filter (where ${m.type} = 'support') as support_messages,
             count(*) filter (where ${m.type} = 'system') as system_messages,
             coalesce(sum(${m.answeredCount}) filter (where ${m.type} = 'AI'), 0) as ai_answered_messages,
             count(*) filter (where ${m.type} = 'AI' and ${m.answeredCount} > 1) as coalesced_bursts,
             coalesce(array_agg(${m.responseTimeMs} order by ${m.responseTimeMs})
                        filter (where ${m.type} = 'AI' and ${m.responseTimeMs} is not null), '{}') as response_times_ms
        from ${m} join ${c} on ${c.id} = ${m.conversationId}
       where ${m.createdAt} >= ${since} and ${m.createdAt} < ${until} ${owner(c.userId)}
       group by 1, 2
    ), conv as (
      select ${c.userId} as user_id, ${localDay(c.createdAt, timezone)} as day, count(*) as conversations
        from ${c}
       where ${c.createdAt} >= ${since} and ${c.createdAt} < ${until} ${owner(c.userId)}
       group by 1, 2
    ), hand as (
      select user_id, day, sum(n) as handovers, jsonb_object_agg(reason, n) as handovers_by_reason
        from (select ${handovers.userId} as user_id, ${localDay(handovers.createdAt, timezone)} as day,
                     ${handovers.reason} as reason, count(*) as n
                from ${handovers}
               where ${handovers.createdAt} >= ${since} and ${handovers.createdAt} < ${until} ${owner(handovers.userId)}
               group by 1, 2, 3) by_reason
       group by 1, 2
    ), disc as (
      select ${usageRecords.userId} as user_id, ${localDay(usageRecords.createdAt, timezone)} as day,
             count(*) as discarded_replies
        from ${usageRecords}
       where ${usageRecords.outcome} = 'discarded'
         and ${usageRecords.createdAt} >= ${since} and ${usageRecords.createdAt} < ${until} ${owner(usageRecords.userId)}
       group by 1, 2
    ), keys as (
      select user_id, day from msg union select user_id, day from conv
      union select user_id, day from hand union select user_id, day from disc
    )
    select k.user_id, k.day,
           coalesce(conv.conversations, 0) as conversations,
           coalesce(msg.customer_messages, 0) as customer_messages,
           coalesce(msg.ai_messages, 0) as ai_messages,
           coalesce(msg.support_messages, 0) as support_messages,
           coalesce(msg.system_messages, 0) as system_messages,
           coalesce(msg.ai_answered_messages, 0) as ai_answered_messages,
           coalesce(msg.coalesced_bursts, 0) as coalesced_bursts,
           coalesce(disc.discarded_replies, 0) as discarded_replies,
           coalesce(msg.response_times_ms, '{}') as response_times_ms,
           coalesce(hand.handovers, 0) as handovers,
           coalesce(hand.handovers_by_reason, '{}'::jsonb) as handovers_by_reason
      from keys k
      left join msg on msg.user_id = k.user_id and msg.day = k.day
      left join conv on conv.user_id = k.user_id and conv.day = k.day
      left join hand on hand.user_id = k.user_id and hand.day = k.day
      left join disc on disc.user_id = k.user_id and disc.day = k.day
     order by k.day, k.user_id`);
  return rowsOf<RawDay>(result).map(parseDay);
}

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
  const everyone = await db.select({ id: users.id }).from(users);
  const rows = sorted.flatMap((day) =>
    everyone.map(({ id }) => {
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
  for (let i = 0; i < rows.length; i += 500) {
    await db
      .insert(dailyAnalytics)
      .values(rows.slice(i, i + 500))
      .onConflictDoUpdate({
        target: [dailyAnalytics.userId, dailyAnalytics.day],
        set: {
          conversations: sql`excluded.conversations`,
          customerMessages: sql`excluded.customer_messages`,
          aiMessages: sql`excluded.ai_messages`,
          supportMessages: sql`excluded.support_messages`,
          systemMessages: sql`excluded.system_messages`,
          aiAnsweredMessages: sql`excluded.ai_answered_messages`,
          coalescedBursts: sql`excluded.coalesced_bursts`,
          discardedReplies: sql`excluded.discarded_replies`,
          responseTimesMs: sql`excluded.response_times_ms`,
          handovers: sql`excluded.handovers`,
          handoversByReason: sql`excluded.handovers_by_reason`,
          computedAt: sql`now()`,
        },
      });
  }
  return rows.length;
}

/** How far back the nightly job fills days it missed (the server was down at 01:00). */
const BACKFILL_DAYS = 7;

/** Yesterday always (its last minutes may have changed), and any of the week before without rows. */
export async function daysToAggregate(db: Database, timezone: string, now: Date): Promise<string[]> {
  const yesterday = addDays(localDate(now, timezone), -1);
  const first = addDays(yesterday, -(BACKFILL_DAYS - 1));
  const [userCount] = await db.select({ n: sql<number>`count(*)::int` }).from(users);
  const stored = await db
    .select({ day: dailyAnalytics.day, n: sql<number>`count(*)::int` })
    .from(dailyAnalytics)
    .where(and(gte(dailyAnalytics.day, first), lt(dailyAnalytics.day, yesterday)))
    .groupBy(dailyAnalytics.day);
  const complete = new Set(stored.filter((row) => row.n >= (userCount?.n ?? 0)).map((row) => row.day));
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
  const stored = await db
    .select()
    .from(dailyAnalytics)
    .where(
      and(eq(dailyAnalytics.userId, userId), gte(dailyAnalytics.day, period.start), lt(dailyAnalytics.day, period.end)),
    );
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
  return { period, totals: summarise([...figures.values()]), daily };
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
