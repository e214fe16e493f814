import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics } from './metrics.js';
import { METRICS_PATH } from './metrics.routes.js';
import { metricsTokenRefused, presentsMetricsToken } from './metrics-token.js';

export interface MetricsServer {
  /** Where the scrape is, e.g. http://127.0.0.1:9464/metrics. */
  url: string;
  close(): Promise<void>;
}

/**
 * `/metrics` and `/healthz` for a process without an HTTP API (`parley
 * worker`), so the model calls and jobs it runs can be scraped too. Plain
 * node:http: two fixed answers need no framework.
 */
export async function startMetricsServer(
  metrics: Metrics,
  port: number,
  host: string,
  token?: string,
): Promise<MetricsServer> {
  const server = http.createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0]!.replace(/\/$/, '');
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      response
        .writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
        .end(JSON.stringify(body));
    };
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      json(405, { detail: `${request.method} is not allowed here.`, code: 'method_not_allowed' });
    } else if (
      path === METRICS_PATH &&
      token !== undefined &&
      !presentsMetricsToken(request.headers.authorization, token)
    ) {
      const refused = metricsTokenRefused();
      json(refused.status, { detail: refused.message, code: refused.code }, refused.headers);
    } else if (path === METRICS_PATH) {
      metrics.scrape().then(
        (text) => response.writeHead(200, { 'content-type': metrics.contentType }).end(text),
        () => json(500, { detail: 'The metrics could not be collected.', code: 'server_error' }),
      );
    } else if (path === '/healthz') {
      json(200, { status: 'ok' });
    } else {
      json(404, { detail: `No route for ${request.method} ${path || '/'}.`, code: 'not_found' });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}${METRICS_PATH}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // A scraper's keep-alive connection must not hold up shutdown.
        server.closeAllConnections();
      }),
  };
}
