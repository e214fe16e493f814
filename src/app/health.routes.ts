import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { withTimeout } from '../kernel/timeout.js';

export type ReadinessCheck = () => Promise<void>;

/** The last scheduled model health check; shown on /readyz, but a model outage does not make Parley unready. */
export type ModelHealth = () => Promise<{ ok: boolean | null; checked_at: string; detail: string | null } | null>;

const healthResponse = z.object({ status: z.literal('ok') }).meta({ id: 'Health' });
const readinessResponse = z
  .object({
    status: z.enum(['ready', 'not_ready']),
    checks: z.record(z.string(), z.object({ ok: z.boolean(), detail: z.string().optional() })),
    model_health: z
      .object({ ok: z.boolean().nullable(), checked_at: z.string(), detail: z.string().nullable() })
      .nullable()
      .optional()
      .describe('The last scheduled model health check (every 12 h); informational.'),
  })
  .meta({ id: 'Readiness' });

const CHECK_TIMEOUT_MS = 2_000;

type CheckResult = { ok: boolean; detail?: string };

export const healthRoutes: FastifyPluginAsyncZod<{
  checks: Record<string, ReadinessCheck>;
  modelHealth?: ModelHealth | undefined;
}> = async (app, { checks, modelHealth }) => {
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
        response: { 200: readinessResponse, 503: readinessResponse },
      },
    },
    async (_request, reply) => {
      const results = await Promise.all(
        Object.entries(checks).map(async ([name, check]) => {
          try {
            await withTimeout(check(), CHECK_TIMEOUT_MS);
            return [name, { ok: true }] as [string, CheckResult];
          } catch (error) {
            const detail = error instanceof Error ? error.message : String(error);
            return [name, { ok: false, detail }] as [string, CheckResult];
          }
        }),
      );
      const ready = results.every(([, result]) => result.ok);
      const model = modelHealth ? await modelHealth().catch(() => null) : undefined;
      return reply.code(ready ? 200 : 503).send({
        status: ready ? 'ready' : 'not_ready',
        checks: Object.fromEntries<CheckResult>(results),
        ...(model === undefined ? {} : { model_health: model }),
      });
    },
  );
};
