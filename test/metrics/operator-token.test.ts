import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/metrics/metrics.js';
import { startMetricsServer, type MetricsServer } from '../../src/metrics/metrics.server.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

/**
 * What only operators should see: /readyz names the failing check to anyone
 * but says why only with PARLEY_METRICS_TOKEN; with the token set, /metrics
 * (on the API port and on a worker's metrics port) answers nobody else.
 */
const TOKEN = 'operator-metrics-token-0123456789abcdef';
// A Redis error as ioredis words it, with a password in the URL it failed to reach.
const REDIS_ERROR = 'connect ECONNREFUSED redis://:hunter2-secret@10.0.0.7:6379';

const brokenRedis = {
  database: async () => {},
  redis: async () => {
    throw new Error(REDIS_ERROR);
  },
};

describe('/readyz without PARLEY_METRICS_TOKEN', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ readiness: brokenRedis });
  });
  afterAll(() => t.close());

  it('answers 503 naming the failing check, without its error or the model’s health', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({ status: 'not_ready', checks: { database: { ok: true }, redis: { ok: false } } });
    expect(response.body).not.toContain('hunter2');
    expect(response.body).not.toContain('ECONNREFUSED');
  });

  it('shows no more to a caller with a bearer token, since there is no token to match', async () => {
    const response = await t.app.inject({
      method: 'GET',
      url: '/readyz',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({ status: 'not_ready', checks: { database: { ok: true }, redis: { ok: false } } });
  });

  it('leaves /metrics open, as before', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('parley_http_requests_total');
  });
});

describe('with PARLEY_METRICS_TOKEN', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ readiness: brokenRedis, env: { PARLEY_METRICS_TOKEN: TOKEN } });
  });
  afterAll(() => t.close());

  const get = (url: string, authorization?: string) =>
    t.app.inject({ method: 'GET', url, headers: authorization === undefined ? {} : { authorization } });

  it('/readyz still names the failing check to anyone, and says why only to the token', async () => {
    const anyone = await get('/readyz');
    expect(anyone.statusCode).toBe(503);
    expect(anyone.json()).toEqual({ status: 'not_ready', checks: { database: { ok: true }, redis: { ok: false } } });

    const operator = await get('/readyz', `Bearer ${TOKEN}`);
    expect(operator.statusCode).toBe(503);
    expect(operator.json()).toEqual({
      status: 'not_ready',
      checks: { database: { ok: true }, redis: { ok: false, detail: REDIS_ERROR } },
      model_health: null,
    });
  });

  it('/readyz with a wrong token is 401, not a quieter answer', async () => {
    const wrong = await get('/readyz', 'Bearer not-the-operator-token-at-all');
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toEqual({
      detail: 'This needs the metrics token (PARLEY_METRICS_TOKEN) as Authorization: Bearer <token>.',
      code: 'invalid_metrics_token',
    });
    expect(wrong.body).not.toContain('hunter2');
  });

  it('/metrics is 401 without the token or with a wrong one, and 200 with it', async () => {
    for (const authorization of [undefined, 'Bearer wrong-token-wrong-token', `Token ${TOKEN}`, `Bearer ${TOKEN}x`]) {
      const refused = await get('/metrics', authorization);
      expect(refused.statusCode).toBe(401);
      expect(refused.headers['www-authenticate']).toBe('Bearer realm="parley"');
      expect(refused.json()).toMatchObject({ code: 'invalid_metrics_token' });
      expect(refused.body).not.toContain('parley_');
    }
    const scraped = await get('/metrics', `Bearer ${TOKEN}`);
    expect(scraped.statusCode).toBe(200);
    expect(scraped.headers['content-type']).toContain('text/plain');
    expect(scraped.body).toContain('parley_http_requests_total');
  });

  it('/healthz stays open: it says nothing but "up"', async () => {
    const response = await get('/healthz');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });
});

describe("a worker's metrics port with PARLEY_METRICS_TOKEN", () => {
  let server: MetricsServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('answers /metrics only to the token; /healthz to anyone', async () => {
    server = await startMetricsServer(createMetrics(), 0, '127.0.0.1', TOKEN);
    const refused = await fetch(server.url);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="parley"');
    expect(await refused.json()).toMatchObject({ code: 'invalid_metrics_token' });
    expect((await fetch(server.url, { headers: { authorization: 'Bearer nope-nope-nope-nope' } })).status).toBe(401);

    const scraped = await fetch(server.url, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain('parley_');
    expect((await fetch(server.url.replace('/metrics', '/healthz'))).status).toBe(200);
  });
});
