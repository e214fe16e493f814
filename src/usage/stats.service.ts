import { datesBetween, lastDays, type CalendarPeriod } from '../kernel/periods.js';
import type { AnswerCosts } from '../kernel/answer-costs.js';
import { answerCosts } from '../db/answer-costs.js';
import type { Database } from '../db/client.js';
import { USAGE_OUTCOMES, type UsageOutcome } from '../db/schema/index.js';
import { quotaStatus, type QuotaConfig, type QuotaStatus } from './quota.service.js';
import { sumsByDayAndModel, sumsByUser, type Sums } from './stats.repo.js';

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
  /** The part of `promptTokens` served from Gemini's prompt cache. */
  cachedTokens: number;
  /** Of the priced calls; `unpricedRequests` says how many calls it leaves out. */
  estimatedCostUsd: number;
  /** What the cached tokens would have cost at the input rate minus what they cost. */
  cacheSavingUsd: number;
  unpricedRequests: number;
  /** Mean model latency over every call, retries included; null without calls. */
  averageResponseTimeMs: number | null;
}

export interface UsageStats {
  period: CalendarPeriod;
  totals: UsageTotals;
  byModel: (UsageTotals & { model: string })[];
  /** Every day of the period, oldest first, days without calls included. */
  daily: (UsageTotals & { date: string })[];
  /** Models used in the period that have no price, so their calls are in no cost. */
  unpricedModels: string[];
  quota: QuotaStatus;
  answerCosts: AnswerCosts;
}

export interface GlobalUsageStats {
  period: CalendarPeriod;
  totals: UsageTotals;
  byModel: (UsageTotals & { model: string })[];
  daily: (UsageTotals & { date: string })[];
  unpricedModels: string[];
  /** Across every business. */
  answerCosts: AnswerCosts;
  /** Every business, heaviest user of tokens first. */
  users: (UsageTotals & { id: string; username: string })[];
}

const SUCCESSFUL: readonly UsageOutcome[] = ['success', 'discarded'];

function emptySums(): Sums {
  return {
    outcomes: { success: 0, blocked: 0, empty: 0, error: 0, discarded: 0 },
    promptTokens: 0,
    completionTokens: 0,
    thoughtTokens: 0,
    totalTokens: 0,
    cachedTokens: 0,
    latencyMs: 0,
    costUsd: 0,
    cacheSavingUsd: 0,
    unpricedRequests: 0,
  };
}

function add(into: Sums, more: Sums): void {
  for (const outcome of USAGE_OUTCOMES) into.outcomes[outcome] += more.outcomes[outcome];
  into.promptTokens += more.promptTokens;
  into.completionTokens += more.completionTokens;
  into.thoughtTokens += more.thoughtTokens;
  into.totalTokens += more.totalTokens;
  into.cachedTokens += more.cachedTokens;
  into.latencyMs += more.latencyMs;
  into.costUsd += more.costUsd;
  into.cacheSavingUsd += more.cacheSavingUsd;
  into.unpricedRequests += more.unpricedRequests;
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
    cachedTokens: sums.cachedTokens,
    // Each row's cost is rounded to 1e-9 USD when stored; the float sum is rounded back to that.
    estimatedCostUsd: Math.round(sums.costUsd * 1e9) / 1e9,
    cacheSavingUsd: Math.round(sums.cacheSavingUsd * 1e9) / 1e9,
    unpricedRequests: sums.unpricedRequests,
    averageResponseTimeMs: requests > 0 ? Math.round(sums.latencyMs / requests) : null,
  };
}

/**
 * Sums by local day and model within the period, for one business or all,
 * reduced to the period's totals, model rows and a row for every day.
 */
async function summarise(db: Database, period: CalendarPeriod, userId: string | undefined) {
  const total = emptySums();
  const byModel = new Map<string, Sums>();
  const byDay = new Map<string, Sums>();
  for (const { day, model, sums } of await sumsByDayAndModel(db, period, userId)) {
    add(total, sums);
    for (const [map, key] of [
      [byModel, model],
      [byDay, day],
    ] as const) {
      let entry = map.get(key);
      if (!entry) map.set(key, (entry = emptySums()));
      add(entry, sums);
    }
  }
  const models = [...byModel.entries()]
    .map(([model, sums]) => ({ model, ...totalsOf(sums) }))
    .sort((a, b) => b.totalTokens - a.totalTokens || a.model.localeCompare(b.model));
  return {
    totals: totalsOf(total),
    byModel: models,
    unpricedModels: models.filter((row) => row.unpricedRequests > 0).map((row) => row.model),
    daily: datesBetween(period.start, period.end).map((date) => ({
      date,
      ...totalsOf(byDay.get(date) ?? emptySums()),
    })),
  };
}

/** `GET /ai/usage/stats/`: one business's use of the shared key over the last `days` days. */
export async function usageStats(
  db: Database,
  userId: string,
  config: QuotaConfig,
  days: number,
  now: Date,
): Promise<UsageStats> {
  const period = lastDays(now, config.timezone, days);
  const [summary, quota, costs] = await Promise.all([
    summarise(db, period, userId),
    quotaStatus(db, config, userId, now),
    answerCosts(db, period, userId),
  ]);
  return { period, ...summary, quota, answerCosts: costs };
}

/** `GET /ai/usage/global/`: everyone's use, with a row per business. */
export async function globalUsageStats(
  db: Database,
  timezone: string,
  days: number,
  now: Date,
): Promise<GlobalUsageStats> {
  const period = lastDays(now, timezone, days);
  const [summary, perUser, costs] = await Promise.all([
    summarise(db, period, undefined),
    sumsByUser(db, period),
    answerCosts(db, period),
  ]);
  return {
    period,
    ...summary,
    answerCosts: costs,
    users: perUser
      .map(({ id, username, sums }) => ({ id, username, ...totalsOf(sums ?? emptySums()) }))
      .sort((a, b) => b.totalTokens - a.totalTokens || a.username.localeCompare(b.username)),
  };
}
