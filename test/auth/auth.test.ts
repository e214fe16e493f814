import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
let token: string;

beforeAll(async () => {
  t = await createTestApp();
  token = await t.signUp('alice', { password: 'correct horse', email: 'alice@example.com' });
});
afterAll(() => t.close());

describe('POST /api/v1/auth/token/ (login)', () => {
  it('exchanges a username and password for a working token', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/token/',
      payload: { username: 'alice', password: 'correct horse' },
    });
    expect(response.statusCode).toBe(200);
    const issued = response.json<{ token: string }>().token;
    expect(issued).toMatch(/^prl_[0-9A-Za-z]{44}$/);
    const me = await t.as(issued, { method: 'GET', url: '/api/v1/auth/me/' });
    expect(me.json()).toMatchObject({ username: 'alice' });
  });

  it('accepts a form-encoded body, as the seed examples send', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'username=alice&password=correct+horse',
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toHaveProperty('token');
  });

  it('refuses a wrong password and an unknown user alike', async () => {
    for (const payload of [
      { username: 'alice', password: 'wrong password' },
      { username: 'nobody', password: 'correct horse' },
    ]) {
      const response = await t.app.inject({ method: 'POST', url: '/api/v1/auth/token/', payload });
      expect(response.statusCode).toBe(401);
      expect(response.json()).toEqual({
        detail: 'Unable to log in with the provided username and password.',
        code: 'invalid_credentials',
      });
    }
  });

  it('names each missing or mistyped field', async () => {
    const missing = await t.app.inject({ method: 'POST', url: '/api/v1/auth/token/', payload: {} });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toMatchObject({
      code: 'validation_error',
      errors: { username: ['This field is required.'], password: ['This field is required.'] },
    });

    const wrongType = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/token/',
      payload: { username: 42, password: ['x'] },
    });
    expect(wrongType.statusCode).toBe(400);
    expect(wrongType.json<{ errors: Record<string, string[]> }>().errors).toEqual({
      username: ['Invalid input: expected string, received number.'],
      password: ['Invalid input: expected string, received array.'],
    });
  });

  it('answers malformed JSON with 400 malformed_json', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/token/',
      headers: { 'content-type': 'application/json' },
      payload: '{"username": "alice",',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ detail: 'The request body is not valid JSON.', code: 'malformed_json' });
  });

  it('refuses a body over 1 MiB with 413', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/token/',
      payload: { username: 'alice', password: 'x'.repeat(1024 * 1024) },
    });
    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({ code: 'body_too_large' });
  });

  it('refuses a body type it cannot read with 415', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/token/',
      headers: { 'content-type': 'text/plain' },
      payload: 'username=alice',
    });
    expect(response.statusCode).toBe(415);
    expect(response.json()).toMatchObject({ code: 'unsupported_media_type' });
  });

  it('rejects a prototype-poisoning JSON body', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/token/',
      headers: { 'content-type': 'application/json' },
      payload: '{"username":"alice","password":"x","__proto__":{"isAdmin":true}}',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'malformed_json' });
  });
});

describe('GET /api/v1/auth/me/', () => {
  it('describes the account behind the token, with or without the trailing slash', async () => {
    for (const url of ['/api/v1/auth/me/', '/api/v1/auth/me']) {
      const response = await t.as(token, { method: 'GET', url });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({
        username: 'alice',
        email: 'alice@example.com',
        is_admin: false,
        default_reply_handler: 'AI',
      });
    }
  });

  it('accepts the Token scheme as well as Bearer', async () => {
    const response = await t.app.inject({
      method: 'GET',
      url: '/api/v1/auth/me/',
      headers: { authorization: `Token ${token}` },
    });
    expect(response.statusCode).toBe(200);
  });

  it('answers 401 without a token, and with a malformed or unknown one', async () => {
    const none = await t.app.inject({ method: 'GET', url: '/api/v1/auth/me/' });
    expect(none.statusCode).toBe(401);
    expect(none.json()).toMatchObject({ code: 'not_authenticated' });
    expect(none.headers['www-authenticate']).toContain('Bearer');

    const forged = token.slice(0, -4) + 'AAAA';
    for (const bad of ['garbage', forged, `prl_${'x'.repeat(44)}`]) {
      const response = await t.as(bad, { method: 'GET', url: '/api/v1/auth/me/' });
      expect(response.statusCode).toBe(401);
      expect(response.json()).toMatchObject({ code: 'invalid_token' });
    }
  });

  it('shows the admin flag', async () => {
    const admin = await t.signUp('root', { isAdmin: true });
    const response = await t.as(admin, { method: 'GET', url: '/api/v1/auth/me/' });
    expect(response.json()).toMatchObject({ username: 'root', is_admin: true, email: '' });
  });
});

describe('DELETE /api/v1/auth/token/ (revoke)', () => {
  it('revokes only the presented token', async () => {
    const doomed = await t.signUp('bob');
    const other = (
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/token/',
        payload: { username: 'alice', password: 'correct horse' },
      })
    ).json<{ token: string }>().token;

    const revoked = await t.as(doomed, { method: 'DELETE', url: '/api/v1/auth/token/' });
    expect(revoked.statusCode).toBe(204);
    expect(revoked.body).toBe('');

    const after = await t.as(doomed, { method: 'GET', url: '/api/v1/auth/me/' });
    expect(after.statusCode).toBe(401);
    expect(after.json()).toMatchObject({ code: 'invalid_token' });

    expect((await t.as(other, { method: 'GET', url: '/api/v1/auth/me/' })).statusCode).toBe(200);
  });

  it('accepts a JSON content type with an empty body', async () => {
    const doomed = await t.signUp('carol');
    const response = await t.as(doomed, {
      method: 'DELETE',
      url: '/api/v1/auth/token',
      headers: { 'content-type': 'application/json' },
    });
    expect(response.statusCode).toBe(204);
  });

  it('needs a token', async () => {
    const response = await t.app.inject({ method: 'DELETE', url: '/api/v1/auth/token/' });
    expect(response.statusCode).toBe(401);
  });
});
