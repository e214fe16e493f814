import type { FastifyInstance } from 'fastify';
import type { Metrics } from './metrics.js';
import { metricsTokenRefused, presentsMetricsToken } from './metrics-token.js';

export const METRICS_PATH = '/metrics';

/**
 * `GET /metrics` and the per-route request counts. Installed on the root
 * instance (like the error handling), so its hook sees every route. Scrapes
 * are left out of the request metrics: they would only measure Prometheus.
 */
export function installMetrics(app: FastifyInstance, metrics: Metrics, token?: string): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url;
    if (route === METRICS_PATH) return;
    metrics.httpRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
  });

  // Without a token it is open, as Prometheus expects by default: keep it off the public network then.
  app.get(METRICS_PATH, { schema: { hide: true } }, async (request, reply) => {
    if (token !== undefined && !presentsMetricsToken(request.headers.authorization, token)) throw metricsTokenRefused();
    return reply.type(metrics.contentType).send(await metrics.scrape());
  });
}
