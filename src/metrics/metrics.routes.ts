import type { FastifyInstance } from 'fastify';
import type { Metrics } from './metrics.js';

export const METRICS_PATH = '/metrics';

/**
 * `GET /metrics` and the per-route request counts. Installed on the root
 * instance (like the error handling), so its hook sees every route. Scrapes
 * are left out of the request metrics: they would only measure Prometheus.
 */
export function installMetrics(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url;
    if (route === METRICS_PATH) return;
    metrics.httpRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
  });

  app.get(METRICS_PATH, { schema: { hide: true } }, async (_request, reply) =>
    reply.type(metrics.contentType).send(await metrics.scrape()),
  );
}
