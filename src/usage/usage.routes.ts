import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { answerCostsView } from '../kernel/answer-costs.js';
import type { Config } from '../kernel/config.js';
import { responses } from '../kernel/http-errors.js';
import { withWarnings } from '../kernel/ignored-fields.js';
import { currentUser, requireAdmin, requireToken } from '../auth/authenticate.js';
import type { Database } from '../db/client.js';
import { quotaStatusView, setUserQuota, userQuota, userQuotaView } from './quota.service.js';
import { globalUsageStats, usageStats, type UsageStats, type UsageTotals } from './stats.service.js';
import {
  globalUsageResponse,
  quotaBody,
  quotaParams,
  usageQuery,
  usageStatsResponse,
  userQuotaResponse,
} from './usage.schema.js';

const security = [{ bearer: [] }];

function totalsView(totals: UsageTotals) {
  return {
    requests: totals.requests,
    successful: totals.successful,
    failed: totals.failed,
    outcomes: totals.outcomes,
    prompt_tokens: totals.promptTokens,
    completion_tokens: totals.completionTokens,
    thought_tokens: totals.thoughtTokens,
    total_tokens: totals.totalTokens,
    cached_tokens: totals.cachedTokens,
    estimated_cost_usd: totals.estimatedCostUsd,
    cache_saving_usd: totals.cacheSavingUsd,
    unpriced_requests: totals.unpricedRequests,
    average_response_time_ms: totals.averageResponseTimeMs,
  };
}

/** What the business report and the global one share. */
function reportView(
  stats: Pick<UsageStats, 'period' | 'totals' | 'byModel' | 'daily' | 'unpricedModels' | 'answerCosts'>,
) {
  return {
    answer_costs: answerCostsView(stats.answerCosts),
    period: stats.period,
    totals: totalsView(stats.totals),
    by_model: stats.byModel.map((row) => ({ model: row.model, ...totalsView(row) })),
    daily: stats.daily.map((row) => ({ date: row.date, ...totalsView(row) })),
    unpriced_models: stats.unpricedModels,
  };
}

/** The business's use of the shared key, everyone's (admins), and the operator's caps on it. */
export const usageRoutes: FastifyPluginAsyncZod<{ db: Database; config: Config }> = async (app, { db, config }) => {
  app.addHook('onRequest', requireToken(db));
  const { timezone } = config;

  app.get(
    '/api/v1/ai/usage/stats/',
    {
      schema: {
        tags: ['usage'],
        summary: "This business's use of the shared AI key: totals, by model, by day, and its quota",
        description:
          'Summed exactly from one record per model call (failed calls included). Days are calendar days in PARLEY_TIMEZONE.',
        security,
        querystring: usageQuery,
        response: responses({ 200: usageStatsResponse }, 400, 401),
      },
    },
    async (request) => {
      const stats = await usageStats(db, currentUser(request).id, config, request.query.days, new Date());
      return { ...reportView(stats), quota: quotaStatusView(stats.quota) };
    },
  );

  app.get(
    '/api/v1/ai/usage/global/',
    {
      schema: {
        tags: ['usage'],
        summary: "Everyone's use of the shared AI key, with a row per business (admins only)",
        security,
        querystring: usageQuery,
        response: responses({ 200: globalUsageResponse }, 400, 401, 403),
      },
    },
    async (request) => {
      requireAdmin(request);
      const stats = await globalUsageStats(db, timezone, request.query.days, new Date());
      return {
        ...reportView(stats),
        users: stats.users.map((row) => ({ id: row.id, username: row.username, ...totalsView(row) })),
      };
    },
  );

  app.get(
    '/api/v1/ai/usage/quotas/:username/',
    {
      schema: {
        tags: ['usage'],
        summary: "A business's token caps on the shared key and what is used of them (admins only)",
        security,
        params: quotaParams,
        response: responses({ 200: userQuotaResponse }, 400, 401, 403, 404),
      },
    },
    async (request) => {
      requireAdmin(request);
      return userQuotaView(await userQuota(db, config, request.params.username, new Date()));
    },
  );

  app.put(
    '/api/v1/ai/usage/quotas/:username/',
    {
      schema: {
        tags: ['usage'],
        summary:
          "Set a business's daily and/or monthly token caps (0 removes a cap) and/or its fair-share weight (admins only)",
        description:
          "Over a cap, AI replies stop with reason `quota_exceeded` and the conversation is handed to people. Days and months are calendar periods in PARLEY_TIMEZONE. When the key's per-minute budget (GEMINI_REQUESTS_PER_MINUTE) is contended, businesses with calls waiting take turns in proportion to their `weight`.",
        security,
        params: quotaParams,
        body: quotaBody,
        response: responses({ 200: withWarnings(userQuotaResponse) }, 400, 401, 403, 404),
      },
    },
    async (request) => {
      requireAdmin(request);
      const { daily_tokens: dailyTokens, monthly_tokens: monthlyTokens, weight } = request.body;
      return userQuotaView(
        await setUserQuota(
          db,
          config,
          request.params.username,
          {
            ...(dailyTokens === undefined ? {} : { dailyTokens }),
            ...(monthlyTokens === undefined ? {} : { monthlyTokens }),
            ...(weight === undefined ? {} : { weight }),
          },
          new Date(),
        ),
      );
    },
  );
};
