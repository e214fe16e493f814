import { sql, type SQL } from 'drizzle-orm';
import { addDays, type CalendarPeriod } from '../kernel/periods.js';
import { rowsOf, type Database } from '../db/client.js';
import { localDay, startOfDay } from '../db/periods.js';
import { USAGE_OUTCOMES, usageRecords, users, type UsageOutcome } from '../db/schema/index.js';

/** The sums one group of usage rows is reduced to; the average is derived from them. */
export interface Sums {
  outcomes: Record<UsageOutcome, number>;
  promptTokens: number;
  completionTokens: number;
  thoughtTokens: number;
  totalTokens: number;
  cachedTokens: number;
  latencyMs: number;
  /** Of the priced calls only. */
  costUsd: number;
  cacheSavingUsd: number;
  /** Calls with a model that has no price: counted, but in no cost. */
  unpricedRequests: number;
}

interface RawSums {
  outcome_success: number | string;
  outcome_discarded: number | string;
  outcome_blocked: number | string;
  outcome_empty: number | string;
  outcome_error: number | string;
  prompt_tokens: number | string;
  completion_tokens: number | string;
  thought_tokens: number | string;
  total_tokens: number | string;
  cached_tokens: number | string;
  latency_ms: number | string;
  cost_usd: number | string;
  cache_saving_usd: number | string;
  unpriced_requests: number | string;
}

const u = usageRecords;

/** The select list computing `RawSums` over a group of usage rows. */
const SUMS = sql.join(
  [
    ...USAGE_OUTCOMES.map(
      (outcome) => sql`count(*) filter (where ${u.outcome} = ${outcome})::int as ${sql.raw(`outcome_${outcome}`)}`,
    ),
    sql`coalesce(sum(${u.promptTokens}), 0)::float8 as prompt_tokens`,
    sql`coalesce(sum(${u.completionTokens}), 0)::float8 as completion_tokens`,
    sql`coalesce(sum(${u.thoughtTokens}), 0)::float8 as thought_tokens`,
    sql`coalesce(sum(${u.totalTokens}), 0)::float8 as total_tokens`,
    sql`coalesce(sum(${u.cachedTokens}), 0)::float8 as cached_tokens`,
    sql`coalesce(sum(${u.latencyMs}), 0)::float8 as latency_ms`,
    sql`coalesce(sum(${u.estimatedCostUsd}), 0)::float8 as cost_usd`,
    sql`coalesce(sum(${u.cacheSavingUsd}), 0)::float8 as cache_saving_usd`,
    sql`count(*) filter (where ${u.estimatedCostUsd} is null)::int as unpriced_requests`,
  ],
  sql`, `,
);

function parseSums(raw: RawSums): Sums {
  return {
    outcomes: {
      success: Number(raw.outcome_success),
      blocked: Number(raw.outcome_blocked),
      empty: Number(raw.outcome_empty),
      error: Number(raw.outcome_error),
      discarded: Number(raw.outcome_discarded),
    },
    promptTokens: Number(raw.prompt_tokens),
    completionTokens: Number(raw.completion_tokens),
    thoughtTokens: Number(raw.thought_tokens),
    totalTokens: Number(raw.total_tokens),
    cachedTokens: Number(raw.cached_tokens),
    latencyMs: Number(raw.latency_ms),
    costUsd: Number(raw.cost_usd),
    cacheSavingUsd: Number(raw.cache_saving_usd),
    unpricedRequests: Number(raw.unpriced_requests),
  };
}

/** Where the period begins and ends, as SQL timestamps. */
function bounds(period: CalendarPeriod): { since: SQL; until: SQL } {
  return {
    since: startOfDay(period.start, period.timezone),
    until: startOfDay(addDays(period.end, 1), period.timezone),
  };
}

/** Sums by local day and model within the period, for one business or (`userId` undefined) all. */
export async function sumsByDayAndModel(
  db: Database,
  period: CalendarPeriod,
  userId: string | undefined,
): Promise<{ day: string; model: string; sums: Sums }[]> {
  const { since, until } = bounds(period);
  const result = await db.execute(sql`
    select ${localDay(u.createdAt, period.timezone)} as day, ${u.model} as model, ${SUMS}
      from ${u}
     where ${userId === undefined ? sql`true` : sql`${u.userId} = ${userId}`}
       and ${u.createdAt} >= ${since} and ${u.createdAt} < ${until}
     group by 1, 2`);
  return rowsOf<RawSums & { day: string; model: string }>(result).map((row) => ({
    day: row.day,
    model: row.model,
    sums: parseSums(row),
  }));
}

/** Every business with its sums within the period; `sums` is undefined for one without calls. */
export async function sumsByUser(
  db: Database,
  period: CalendarPeriod,
): Promise<{ id: string; username: string; sums: Sums | undefined }[]> {
  const { since, until } = bounds(period);
  const result = await db.execute(sql`
      select ${users.id} as id, ${users.username} as username, s.*
        from ${users}
        left join (
          select ${u.userId} as user_id, ${SUMS}
            from ${u}
           where ${u.createdAt} >= ${since} and ${u.createdAt} < ${until}
           group by 1
        ) s on s.user_id = ${users.id}`);
  return rowsOf<Partial<RawSums> & { id: string; username: string; user_id: string | null }>(result).map((row) => ({
    id: row.id,
    username: row.username,
    sums: row.user_id === null ? undefined : parseSums(row as RawSums),
  }));
}
