import { sql, type SQL } from 'drizzle-orm';
import { addDays, datesBetween, lastDays, type CalendarPeriod } from '../kernel/periods.js';
import { localDay, startOfDay } from '../db/periods.js';
import { rowsOf, type Database } from '../db/client.js';
import { USAGE_OUTCOMES, usageRecords, users, type UsageOutcome } from '../db/schema/index.js';
import { quotaStatus, type QuotaStatus } from './quota.service.js';

/**
 * Usage of the shared key, summed exactly from `usage_records` (one row per
 * model call, failed ones included).
 *
 * A call is `successful` when the model gave a usable answer: `success`, and
 * `discarded` too (its answer was good but a person took over before it was
 * stored; it used the key like any other). It `failed` when it gave none:
 * `error`, `blocked`, `empty`. `outcomes` counts each outcome, so either
 * reading can be recomputed.
 */
export interface UsageTotals {
  requests: number;
  successful: number;
  failed: number;
  outcomes: Record<UsageOutcome, number>;
  promptTokens: number;
  completionTokens: number;
  thoughtTokens: number;
  totalTokens: number;
  estimatedCostUsd: number;
  /** Mean model latency over every call, retries included; null without calls. */
  averageResponseTimeMs: number | null;
}

export interface UsageStats {
  period: CalendarPeriod;
  totals: UsageTotals;
  byModel: (UsageTotals & { model: string })[];
  /** Every day of the period, oldest first, days without calls included. */
  daily: (UsageTotals & { date: string })[];
  quota: QuotaStatus;
}

export interface GlobalUsageStats {
  period: CalendarPeriod;
  totals: UsageTotals;
  byModel: (UsageTotals & { model: string })[];
  daily: (UsageTotals & { date: string })[];
  /** Every business, heaviest user of tokens first. */
  users: (UsageTotals & { id: string; username: string })[];
}

const SUCCESSFUL: readonly UsageOutcome[] = ['success', 'discarded'];

/** The sums one group of usage rows is reduced to; the average is derived from them. */
interface Sums {
  outcomes: Record<UsageOutcome, number>;
  promptTokens: number;
  completionTokens: number;
  thoughtTokens: number;
  totalTokens: number;
  latencyMs: number;
  costUsd: number;
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
  latency_ms: number | string;
  cost_usd: number | string;
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
    sql`coalesce(sum(${u.latencyMs}), 0)::float8 as latency_ms`,
    sql`coalesce(sum(${u.estimatedCostUsd}), 0)::float8 as cost_usd`,
  ],
  sql`, `,
);

function emptySums(): Sums {
  return {
    outcomes: { success: 0, blocked: 0, empty: 0, error: 0, discarded: 0 },
    promptTokens: 0,
    completionTokens: 0,
    thoughtTokens: 0,
    totalTokens: 0,
    latencyMs: 0,
    costUsd: 0,
  };
}

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
    latencyMs: Number(raw.latency_ms),
    costUsd: Number(raw.cost_usd),
  };
}

function add(into: Sums, more: Sums): void {
  for (const outcome of USAGE_OUTCOMES) into.outcomes[outcome] += more.outcomes[outcome];
  into.promptTokens += more.promptTokens;
  into.completionTokens += more.completionTokens;
  into.thoughtTokens += more.thoughtTokens;
  into.totalTokens += more.totalTokens;
  into.latencyMs += more.latencyMs;
  into.costUsd += more.costUsd;
}

function totalsOf(sums: Sums): UsageTotals {
  const requests = USAGE_OUTCOMES.reduce((count, outcome) => count + sums.outcomes[outcome], 0);
  const successful = SUCCESSFUL.reduce((count, outcome) => count + sums.outcomes[outcome], 0);
  return {
    requests,
    successful,
    failed: requests - successful,
    outcomes: { ...sums.outcomes },
    promptTokens: sums.promptTokens,
    completionTokens: sums.completionTokens,
    thoughtTokens: sums.thoughtTokens,
    totalTokens: sums.totalTokens,
    // Each row's cost is rounded to 1e-9 USD when stored; the float sum is rounded back to that.
    estimatedCostUsd: Math.round(sums.costUsd * 1e9) / 1e9,
    averageResponseTimeMs: requests > 0 ? Math.round(sums.latencyMs / requests) : null,
  };
}

interface Bounds {
  period: CalendarPeriod;
  /** Where the period begins and ends, as SQL timestamps. */
  since: SQL;
  until: SQL;
}

/** The last `days` calendar days in `timezone`, today included. */
function periodBounds(timezone: string, now: Date, days: number): Bounds {
  const period = lastDays(now, timezone, days);
  return {
    period,
    since: startOfDay(period.start, timezone),
    until: startOfDay(addDays(period.end, 1), timezone),
  };
}

/**
 * Sums by local day and model within the period, for one business or all,
 * reduced to the period's totals, model rows and a row for every day.
 */
async function summarise(db: Database, bounds: Bounds, userId: string | undefined) {
  const { timezone } = bounds.period;
  const result = await db.execute(sql`
    select ${localDay(u.createdAt, timezone)} as day, ${u.model} as model, ${SUMS}
      from ${u}
     where ${userId === undefined ? sql`true` : sql`${u.userId} = ${userId}`}
       and ${u.createdAt} >= ${bounds.since} and ${u.createdAt} < ${bounds.until}
     group by 1, 2`);
  const total = emptySums();
  const byModel = new Map<string, Sums>();
  const byDay = new Map<string, Sums>();
  for (const row of rowsOf<RawSums & { day: string; model: string }>(result)) {
    const sums = parseSums(row);
    add(total, sums);
    for (const [map, key] of [
      [byModel, row.model],
      [byDay, row.day],
    ] as const) {
      let entry = map.get(key);
      if (!entry) map.set(key, (entry = emptySums()));
      add(entry, sums);
    }
  }
  return {
    totals: totalsOf(total),
    byModel: [...byModel.entries()]
      .map(([model, sums]) => ({ model, ...totalsOf(sums) }))
      .sort((a, b) => b.totalTokens - a.totalTokens || a.model.localeCompare(b.model)),
    daily: datesBetween(bounds.period.start, bounds.period.end).map((date) => ({
      date,
      ...totalsOf(byDay.get(date) ?? emptySums()),
    })),
  };
}

/** `GET /ai/usage/stats/`: one business's use of the shared key over the last `days` days. */
export async function usageStats(
  db: Database,
  userId: string,
  timezone: string,
  days: number,
  now: Date,
): Promise<UsageStats> {
  const bounds = periodBounds(timezone, now, days);
  const [summary, quota] = await Promise.all([summarise(db, bounds, userId), quotaStatus(db, userId, timezone, now)]);
  return { period: bounds.period, ...summary, quota };
}

/** `GET /ai/usage/global/`: everyone's use, with a row per business. */
export async function globalUsageStats(
  db: Database,
  timezone: string,
  days: number,
  now: Date,
): Promise<GlobalUsageStats> {
  const bounds = periodBounds(timezone, now, days);
  const [summary, perUser] = await Promise.all([
    summarise(db, bounds, undefined),
    db.execute(sql`
      select ${users.id} as id, ${users.username} as username, s.*
        from ${users}
        left join (
          select ${u.userId} as user_id, ${SUMS}
            from ${u}
           where ${u.createdAt} >= ${bounds.since} and ${u.createdAt} < ${bounds.until}
           group by 1
        ) s on s.user_id = ${users.id}`),
  ]);
  const rows = rowsOf<Partial<RawSums> & { id: string; username: string; user_id: string | null }>(perUser);
  return {
    period: bounds.period,
    ...summary,
    users: rows
      .map((row) => ({
        id: row.id,
        username: row.username,
        ...totalsOf(row.user_id === null ? emptySums() : parseSums(row as RawSums)),
      }))
      .sort((a, b) => b.totalTokens - a.totalTokens || a.username.localeCompare(b.username)),
  };
}
