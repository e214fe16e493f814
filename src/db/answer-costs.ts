import { sql, type SQL } from 'drizzle-orm';
import type { AnswerCosts, CostSpread } from '../kernel/answer-costs.js';
import { addDays, type CalendarPeriod } from '../kernel/periods.js';
import { rowsOf, type Database } from './client.js';
import { startOfDay } from './periods.js';
import { conversations, handovers, messages, usageRecords } from './schema/index.js';

/*
 * The query behind the cost of an answered conversation, shared by the
 * business's reports and the operator's (kernel/answer-costs.ts has the
 * shapes). Live over the period: p95s need every value, and the rows read are
 * found by index (usage by business and time, the partial index of messages
 * that avoided a call).
 */

interface RawSpread {
  n: number | string;
  unpriced: number | string;
  mean_tokens: number | string | null;
  p95_tokens: number | string | null;
  mean_cost: number | string | null;
  p95_cost: number | string | null;
}

const u = usageRecords;
const c = conversations;
const m = messages;

/** Mean and nearest-rank p95 of `tokens` and `cost` over the rows of `source` (a subquery). */
const spreadOf = (source: SQL) => sql`
  select count(*)::int as n, count(*) filter (where cost is null)::int as unpriced,
         avg(tokens)::float8 as mean_tokens,
         percentile_disc(0.95) within group (order by tokens) as p95_tokens,
         avg(cost)::float8 as mean_cost,
         percentile_disc(0.95) within group (order by cost) as p95_cost
    from (${source}) s`;

const numberOrNull = (value: number | string | null | undefined) =>
  value === null || value === undefined ? null : Number(value);
/** Rounded as text, so the mean prints without float noise (0.30000000000000004). */
const rounded = (value: number | null, digits: number) => (value === null ? null : Number(value.toFixed(digits)));

function parseSpread(raw: RawSpread | undefined): CostSpread {
  return {
    count: Number(raw?.n ?? 0),
    meanTokens: rounded(numberOrNull(raw?.mean_tokens), 1),
    p95Tokens: numberOrNull(raw?.p95_tokens),
    // Stored costs are rounded to 1e-9 USD; the mean is rounded back to that.
    meanCostUsd: rounded(numberOrNull(raw?.mean_cost), 9),
    p95CostUsd: numberOrNull(raw?.p95_cost),
    unpriced: Number(raw?.unpriced ?? 0),
  };
}

/** One business's figures, or everyone's without `userId`. "Try it" conversations are left out. */
export async function answerCosts(db: Database, period: CalendarPeriod, userId?: string): Promise<AnswerCosts> {
  const since = startOfDay(period.start, period.timezone);
  const until = startOfDay(addDays(period.end, 1), period.timezone);
  const usageOwner = userId ? sql`and ${u.userId} = ${userId}` : sql``;
  const owner = userId ? sql`and ${c.userId} = ${userId}` : sql``;
  const replies = sql`
    select ${u.totalTokens} as tokens, ${u.estimatedCostUsd} as cost
      from ${u} join ${c} on ${c.id} = ${u.conversationId}
     where ${u.messageId} is not null and ${u.createdAt} >= ${since} and ${u.createdAt} < ${until}
       ${usageOwner} and not ${c.isTest}`;
  // A conversation's cost is unknown (null) as soon as one of its calls is unpriced.
  const aiOnly = sql`
    select sum(${u.totalTokens}) as tokens,
           case when bool_and(${u.estimatedCostUsd} is not null) then sum(${u.estimatedCostUsd}) end as cost
      from ${u} join ${c} on ${c.id} = ${u.conversationId}
     where ${c.createdAt} >= ${since} and ${c.createdAt} < ${until} and ${u.createdAt} >= ${since}
       ${usageOwner} ${owner} and not ${c.isTest}
       and not exists (select 1 from ${handovers} h where h.conversation_id = ${c.id})
       and not exists (select 1 from ${m} where ${m.conversationId} = ${c.id} and ${m.type} = 'support')
     group by ${c.id}
    having count(${u.messageId}) > 0`;
  // Beyond the first message of a burst, each one answered by the same reply avoided a call.
  const avoided = sql`
    select coalesce(${m.aiSkippedReason}, 'coalesced') as reason,
           sum(case when ${m.type} = 'AI' then ${m.answeredCount} - 1 else 1 end)::int as n
      from ${m} join ${c} on ${c.id} = ${m.conversationId}
     where (${m.aiSkippedReason} is not null or ${m.answeredCount} > 1)
       and ${m.createdAt} >= ${since} and ${m.createdAt} < ${until} ${owner} and not ${c.isTest}
       and ((${m.type} = 'customer' and ${m.aiSkippedReason} is not null) or (${m.type} = 'AI' and ${m.answeredCount} > 1))
     group by 1`;
  const [perReply, perConversation, byReason] = await Promise.all([
    db.execute(spreadOf(replies)),
    db.execute(spreadOf(aiOnly)),
    db.execute(avoided),
  ]);
  return {
    perReply: parseSpread(rowsOf<RawSpread>(perReply)[0]),
    perAiConversation: parseSpread(rowsOf<RawSpread>(perConversation)[0]),
    callsAvoided: Object.fromEntries(
      rowsOf<{ reason: string; n: number | string }>(byReason).map((row) => [row.reason, Number(row.n)]),
    ),
  };
}
