import { and, eq, gte, lt, sql } from 'drizzle-orm';
import { addDays } from '../kernel/periods.js';
import { rowsOf, type Database } from '../db/client.js';
import { localDay, startOfDay } from '../db/periods.js';
import { conversations, dailyAnalytics, handovers, messages, usageRecords, users } from '../db/schema/index.js';

/**
 * A business's chat statistics by local day. Past days come from
 * `daily_analytics`, written by the nightly job; today, and any past day the
 * job has not written yet, are computed from the conversations themselves.
 * The owner's "Try it" conversation is no customer's and is left out (its
 * model calls still count in usage: they use the shared key).
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

/** One business's figures for one local day, as `daily_analytics` stores them. */
export type DayRow = DayFigures & { userId: string; day: string };

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
function parseDay(raw: RawDay): DayRow {
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
): Promise<DayRow[]> {
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
       where ${m.createdAt} >= ${since} and ${m.createdAt} < ${until} ${owner(c.userId)} and not ${c.isTest}
       group by 1, 2
    ), conv as (
      select ${c.userId} as user_id, ${localDay(c.createdAt, timezone)} as day, count(*) as conversations
        from ${c}
       where ${c.createdAt} >= ${since} and ${c.createdAt} < ${until} ${owner(c.userId)} and not ${c.isTest}
       group by 1, 2
    ), hand as (
      select user_id, day, sum(n) as handovers, jsonb_object_agg(reason, n) as handovers_by_reason
        from (select ${handovers.userId} as user_id, ${localDay(handovers.createdAt, timezone)} as day,
                     ${handovers.reason} as reason, count(*) as n
                from ${handovers}
               where ${handovers.createdAt} >= ${since} and ${handovers.createdAt} < ${until} ${owner(handovers.userId)}
                 and not exists (select 1 from ${c} where ${c.id} = ${handovers.conversationId} and ${c.isTest})
               group by 1, 2, 3) by_reason
       group by 1, 2
    ), disc as (
      select ${usageRecords.userId} as user_id, ${localDay(usageRecords.createdAt, timezone)} as day,
             count(*) as discarded_replies
        from ${usageRecords}
       where ${usageRecords.outcome} = 'discarded'
         and ${usageRecords.createdAt} >= ${since} and ${usageRecords.createdAt} < ${until} ${owner(usageRecords.userId)}
         and not exists (select 1 from ${c} where ${c.id} = ${usageRecords.conversationId} and ${c.isTest})
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

export async function listUserIds(db: Database): Promise<string[]> {
  const rows = await db.select({ id: users.id }).from(users);
  return rows.map((row) => row.id);
}

export async function countUsers(db: Database): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(users);
  return row?.n ?? 0;
}

/** How many businesses have a stored row for each day from `first` up to, not including, `before`. */
export async function storedRowsPerDay(
  db: Database,
  first: string,
  before: string,
): Promise<{ day: string; n: number }[]> {
  return db
    .select({ day: dailyAnalytics.day, n: sql<number>`count(*)::int` })
    .from(dailyAnalytics)
    .where(and(gte(dailyAnalytics.day, first), lt(dailyAnalytics.day, before)))
    .groupBy(dailyAnalytics.day);
}

/** One business's stored days from `first` up to, not including, `before`. */
export async function storedDays(db: Database, userId: string, first: string, before: string): Promise<DayRow[]> {
  return db
    .select()
    .from(dailyAnalytics)
    .where(and(eq(dailyAnalytics.userId, userId), gte(dailyAnalytics.day, first), lt(dailyAnalytics.day, before)));
}

/** Writes the rows, replacing any stored for the same business and day. */
export async function upsertDays(db: Database, rows: DayRow[]): Promise<void> {
  // In chunks: one statement's bind parameters are limited (65535 in PostgreSQL).
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
}
