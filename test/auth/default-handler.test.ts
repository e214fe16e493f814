import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
let alice: string;
let bob: string;

beforeAll(async () => {
  t = await createTestApp();
  alice = await t.signUp('alice');
  bob = await t.signUp('bob');
});
afterAll(() => t.close());

describe('/api/v1/ai/default-handler/', () => {
  it('starts as AI and can be switched to Manual and back', async () => {
    const initial = await t.as(alice, { method: 'GET', url: '/api/v1/ai/default-handler/' });
    expect(initial.statusCode).toBe(200);
    expect(initial.json()).toEqual({ default_reply_handler: 'AI' });

    const manual = await t.as(alice, {
      method: 'PUT',
      url: '/api/v1/ai/default-handler/',
      payload: { default_reply_handler: 'Manual' },
    });
    expect(manual.statusCode).toBe(200);
    expect(manual.json()).toEqual({ default_reply_handler: 'Manual' });
    expect((await t.as(alice, { method: 'GET', url: '/api/v1/ai/default-handler' })).json()).toEqual({
      default_reply_handler: 'Manual',
    });
    expect((await t.as(alice, { method: 'GET', url: '/api/v1/auth/me/' })).json()).toMatchObject({
      default_reply_handler: 'Manual',
    });

    // The seed's Python example sends a form body.
    const back = await t.as(alice, {
      method: 'PUT',
      url: '/api/v1/ai/default-handler/',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'default_reply_handler=AI',
    });
    expect(back.json()).toEqual({ default_reply_handler: 'AI' });
  });

  it("changes only the caller's own setting", async () => {
    await t.as(bob, {
      method: 'PUT',
      url: '/api/v1/ai/default-handler/',
      payload: { default_reply_handler: 'Manual' },
    });
    expect((await t.as(alice, { method: 'GET', url: '/api/v1/ai/default-handler/' })).json()).toEqual({
      default_reply_handler: 'AI',
    });
  });

  it('refuses an unknown handler, a missing one, and a wrong type, changing nothing', async () => {
    for (const payload of [
      { default_reply_handler: 'Robot' },
      {},
      { default_reply_handler: 1 },
      { default_reply_handler: 'ai' },
    ]) {
      const response = await t.as(alice, { method: 'PUT', url: '/api/v1/ai/default-handler/', payload });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({
        code: 'validation_error',
        errors: { default_reply_handler: expect.any(Array) },
      });
    }
    expect((await t.as(alice, { method: 'GET', url: '/api/v1/ai/default-handler/' })).json()).toEqual({
      default_reply_handler: 'AI',
    });
  });

  it('needs a token', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/ai/default-handler/' })).statusCode).toBe(401);
    expect(
      (
        await t.app.inject({
          method: 'PUT',
          url: '/api/v1/ai/default-handler/',
          payload: { default_reply_handler: 'AI' },
        })
      ).statusCode,
    ).toBe(401);
  });
});
