import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loggerOptions } from '../../src/kernel/logger.js';
import { buildApp } from '../../src/app/server.js';
import { createLocalQueue } from '../../src/infra/local-queue.js';
import { createApiToken, createUser } from '../../src/auth/auth.service.js';
import { createTestApp, testConfig, type TestApp } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/database.js';

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe('request ids', () => {
  it('gives every response an x-request-id, reusing a safe incoming one', async () => {
    const fresh = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(fresh.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);

    const reused = await t.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'edge-42.a' } });
    expect(reused.headers['x-request-id']).toBe('edge-42.a');

    const unsafe = await t.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'a b\u0000c' } });
    expect(unsafe.headers['x-request-id']).not.toBe('a b\u0000c');
  });

  it('puts the request id on errors too', async () => {
    const response = await t.app.inject({
      method: 'GET',
      url: '/api/v1/auth/me/',
      headers: { 'x-request-id': 'trace-1' },
    });
    expect(response.statusCode).toBe(401);
    expect(response.headers['x-request-id']).toBe('trace-1');
  });
});

describe('unknown routes', () => {
  it('answer 404 in the error shape', async () => {
    for (const [method, url] of [
      ['GET', '/api/v1/nothing-here/'],
      ['POST', '/api/v1/auth/you/'],
      // `/` is the dashboard's (test/app/dashboard.test.ts); the machinery's paths are not.
      ['GET', '/webhooks/nothing'],
    ] as const) {
      const response = await t.app.inject({ method, url });
      expect(response.statusCode).toBe(404);
      expect(response.json()).toEqual({ detail: expect.stringContaining('No route for'), code: 'not_found' });
    }
  });
});

describe('OpenAPI', () => {
  it('describes every route at /api/openapi.json', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/openapi.json' });
    expect(response.statusCode).toBe(200);
    const document = response.json<{
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, unknown> };
    }>();
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths['/api/v1/auth/token/'] ?? {}).sort()).toEqual(['delete', 'post']);
    expect(Object.keys(document.paths['/api/v1/auth/me/'] ?? {})).toEqual(['get']);
    expect(Object.keys(document.paths['/api/v1/ai/default-handler/'] ?? {}).sort()).toEqual(['get', 'put']);
    expect(document.paths['/readyz']).toBeDefined();
    expect(document.components.schemas).toHaveProperty('Error');
  });

  it('serves Swagger UI at /api/docs', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/docs/' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('swagger');
  });
});

describe('health', () => {
  it('/healthz says the process is up', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it('/readyz checks the database', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ready', checks: { database: { ok: true } } });
  });
});

describe('logs', () => {
  it('never contain passwords or tokens', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const database = await createTestDatabase();
    const app = await buildApp({
      config: testConfig(),
      db: database.handle.db,
      readiness: {},
      queue: createLocalQueue(),
      logger: pino(loggerOptions('trace'), sink),
    });
    try {
      const user = await createUser(database.handle.db, { username: 'dave', password: 'hunter2hunter2' });
      const token = await createApiToken(database.handle.db, user.id, 'test');
      await app.inject({
        method: 'POST',
        url: '/api/v1/auth/token/',
        payload: { username: 'dave', password: 'hunter2hunter2' },
      });
      await app.inject({
        method: 'GET',
        url: `/api/v1/auth/me/?token=${token}`,
        headers: { authorization: `Bearer ${token}` },
      });
      await app.inject({
        method: 'POST',
        url: '/api/v1/auth/token/',
        payload: '{"password": "hunter2hunter2"',
        headers: { 'content-type': 'application/json' },
      });
      const log = lines.join('');
      expect(log).toContain('incoming request');
      expect(log).not.toContain('hunter2hunter2');
      expect(log).not.toContain(token);
      expect(log).toContain('token=[redacted]');
    } finally {
      await app.close();
      await database.drop();
    }
  });
});
