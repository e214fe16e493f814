import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Config } from '../kernel/config.js';
import { responses } from '../kernel/http-errors.js';
import { answerCostsView } from '../kernel/answer-costs.js';
import { daysQuery } from '../kernel/periods.js';
import { currentUser, requireToken } from '../auth/authenticate.js';
import type { Database } from '../db/client.js';
import { businessAnalytics, type AnalyticsFigures } from './analytics.service.js';
import { analyticsResponse } from './analytics.schema.js';

const view = (figures: AnalyticsFigures) => ({
  conversations: figures.conversations,
  customer_messages: figures.customerMessages,
  ai_messages: figures.aiMessages,
  support_messages: figures.supportMessages,
  system_messages: figures.systemMessages,
  ai_response_rate: figures.aiResponseRate,
  average_response_time_ms: figures.averageResponseTimeMs,
  p95_response_time_ms: figures.p95ResponseTimeMs,
  handovers: figures.handovers,
  handovers_by_reason: figures.handoversByReason,
  discarded_ai_replies: figures.discardedReplies,
  coalesced_bursts: figures.coalescedBursts,
});

export const analyticsRoutes: FastifyPluginAsyncZod<{ db: Database; config: Config }> = async (app, { db, config }) => {
  app.addHook('onRequest', requireToken(db));
  app.get(
    '/api/v1/ai/analytics/',
    {
      schema: {
        tags: ['analytics'],
        summary: "This business's chat statistics by day",
        description:
          'Days are calendar days in PARLEY_TIMEZONE, today included and computed live; earlier days come from the nightly aggregation (01:00).',
        security: [{ bearer: [] }],
        querystring: daysQuery,
        response: responses({ 200: analyticsResponse }, 400, 401),
      },
    },
    async (request) => {
      const analytics = await businessAnalytics(
        db,
        currentUser(request).id,
        config.timezone,
        new Date(),
        request.query.days,
      );
      return {
        period: analytics.period,
        totals: view(analytics.totals),
        daily: analytics.daily.map((day) => ({ date: day.date, ...view(day) })),
        answer_costs: answerCostsView(analytics.answerCosts),
      };
    },
  );
};
