import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';

/** A path that exists, asked with a method it does not have: 405 with `Allow`, not a 404 that hides the path. */
let t: TestApp;
let token: string;

beforeAll(async () => {
  t = await createTestApp();
  token = await t.signUp('rosa');
});
afterAll(() => t.close());

describe('a method the path does not have', () => {
  it('answers 405 with Allow and the error shape, naming the method and the allowed ones', async () => {
    const before = (await t.as(token, { method: 'GET', url: '/api/v1/ai/config/' })).json();
    const response = await t.as(token, { method: 'POST', url: '/api/v1/ai/config/', payload: { temperature: 0.1 } });
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('GET, HEAD, PUT, PATCH');
    expect(response.json()).toEqual({
      detail: 'POST is not allowed on /api/v1/ai/config/; it answers GET, HEAD, PUT, PATCH.',
      code: 'method_not_allowed',
    });
    expect(response.headers['x-request-id']).toBeDefined();
    // Nothing changed.
    expect((await t.as(token, { method: 'GET', url: '/api/v1/ai/config/' })).json()).toEqual(before);
  });

  it('knows paths with ids, with or without the trailing slash and a query', async () => {
    for (const [method, url, allow] of [
      ['DELETE', '/api/v1/conversations/abc123/', 'GET, HEAD'],
      ['PUT', '/api/v1/conversations/abc123/messages', 'GET, HEAD, POST'],
      ['POST', '/api/v1/ai/conversations/msg_abc123/status/?x=1', 'GET, HEAD, PUT'],
      ['GET', '/api/v1/ai/ask/', 'POST'],
      ['HEAD', '/api/v1/ai/conversations/bulk-status/', 'PUT'],
      ['PUT', '/api/v1/channels/', 'GET, HEAD, POST'],
      ['GET', '/api/v1/channels/abc123/', 'PATCH, DELETE'],
      ['POST', '/api/v1/auth/me/', 'GET, HEAD'],
      ['PATCH', '/api/v1/auth/token/', 'POST, DELETE'],
      ['POST', '/healthz', 'GET, HEAD'],
    ] as const) {
      const response = await t.as(token, { method, url });
      expect(response.statusCode, `${method} ${url}`).toBe(405);
      expect(response.headers.allow, `${method} ${url}`).toBe(allow);
      if (method !== 'HEAD') {
        expect(response.json()).toEqual({
          detail: `${method} is not allowed on ${url.split('?')[0]}; it answers ${allow}.`,
          code: 'method_not_allowed',
        });
      }
    }
  });

  it('is the same answer without a token: what a path answers is in the OpenAPI document anyway', async () => {
    const response = await t.app.inject({ method: 'DELETE', url: '/api/v1/ai/config/' });
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('GET, HEAD, PUT, PATCH');
  });

  it('leaves the methods a path has alone, HEAD included', async () => {
    expect((await t.as(token, { method: 'HEAD', url: '/api/v1/ai/config/' })).statusCode).toBe(200);
    expect((await t.as(token, { method: 'PATCH', url: '/api/v1/ai/config/', payload: {} })).statusCode).toBe(200);
  });
});

describe('a path that does not exist', () => {
  it('stays 404, whatever the method', async () => {
    for (const [method, url] of [
      ['GET', '/api/v1/nothing-here/'],
      ['POST', '/api/v1/ai/nothing/'],
      ['GET', '/api/v1/conversations/abc/messages/extra/'],
      ['DELETE', '/api/v1/ai/'],
      ['POST', '/api/docs/no-such-file.js'],
      // `/` and other page paths are the dashboard's (test/app/dashboard.test.ts); the machinery's are not.
      ['GET', '/webhooks/nothing'],
    ] as const) {
      const response = await t.as(token, { method, url });
      expect(response.statusCode, `${method} ${url}`).toBe(404);
      expect(response.headers.allow).toBeUndefined();
      expect(response.json()).toEqual({ detail: `No route for ${method} ${url}.`, code: 'not_found' });
    }
  });
});
