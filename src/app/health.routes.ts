import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { responses } from '../kernel/http-errors.js';
import { withTimeout } from '../kernel/timeout.js';
import { metricsTokenRefused, presentsMetricsToken } from '../metrics/metrics-token.js';

export type ReadinessCheck = () => Promise<void>;

/** The last scheduled model health check; shown on /readyz, but a model outage does not make Parley unready. */
export type ModelHealth = () => Promise<{ ok: boolean | null; checked_at: string; detail: string | null } | null>;

const healthResponse = z.object({ status: z.literal('ok') }).meta({ id: 'Health' });
const readinessResponse = z
  .object({
    status: z.enum(['ready', 'not_ready']),
    checks: z.record(
      z.string(),
      z.object({
        ok: z.boolean(),
        detail: z.string().optional().describe('Why the check failed; only with the metrics token.'),
      }),
    ),
    model_health: z
      .object({ ok: z.boolean().nullable(), checked_at: z.string(), detail: z.string().nullable() })
      .nullable()
      .optional()
      .describe('The last scheduled model health check (every 12 h); informational, only with the metrics token.'),
  })
  .meta({ id: 'Readiness' });

const CHECK_TIMEOUT_MS = 2_000;

type CheckResult = { ok: boolean; detail?: string };

/**
 * /readyz tells anyone which check failed, never why: the reasons are database,
 * Redis and Google error strings, shown (with the model's health) only to a
 * caller presenting PARLEY_METRICS_TOKEN, and to nobody when it is unset.
 */
export const healthRoutes: FastifyPluginAsyncZod<{
  checks: Record<string, ReadinessCheck>;
  modelHealth?: ModelHealth | undefined;
  metricsToken?: string | undefined;
}> = async (app, { checks, modelHealth, metricsToken }) => {
  app.get(
    '/healthz',
    { schema: { tags: ['health'], summary: 'The process is up', response: { 200: healthResponse } } },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['health'],
        summary: 'The database (and Redis, when configured) answer',
        description:
          'Names each check and whether it passed. With `Authorization: Bearer <PARLEY_METRICS_TOKEN>` it also says why a check failed and shows the last model health check; a wrong token is 401.',
        response: responses({ 200: readinessResponse, 503: readinessResponse }, 401),
      },
    },
    async (request, reply) => {
      const authorization = request.headers.authorization;
      const detailed = metricsToken !== undefined && authorization !== undefined;
      if (detailed && !presentsMetricsToken(authorization, metricsToken)) throw metricsTokenRefused();
      const results = await Promise.all(
        Object.entries(checks).map(async ([name, check]) => {
          try {
            await withTimeout(check(), CHECK_TIMEOUT_MS);
            return [name, { ok: true }] as [string, CheckResult];
          } catch (error) {
            // Without the token the reason shows only here, for whoever reads the logs.
            request.log.warn({ check: name, err: error }, 'readiness check failed');
            if (!detailed) return [name, { ok: false }] as [string, CheckResult];
            const detail = error instanceof Error ? error.message : String(error);
            return [name, { ok: false, detail }] as [string, CheckResult];
          }
        }),
      );
      const ready = results.every(([, result]) => result.ok);
      const model = modelHealth && detailed ? await modelHealth().catch(() => null) : undefined;
      return reply.code(ready ? 200 : 503).send({
        status: ready ? 'ready' : 'not_ready',
        checks: Object.fromEntries<CheckResult>(results),
        ...(model === undefined ? {} : { model_health: model }),
      });
    },
  );
};
