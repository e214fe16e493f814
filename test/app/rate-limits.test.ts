import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app/server.js';
import { createApiToken, createUser, findUser } from '../../src/auth/auth.service.js';
import { createLocalQueue } from '../../src/infra/local-queue.js';
import { closeRedis, connectRedis } from '../../src/infra/redis.js';
import { createRedisCache } from '../../src/infra/redis-cache.js';
import { createTestApp, testConfig, type TestApp } from '../helpers/app.js';
import { freePort } from '../helpers/wait.js';

/** Request limits per token, per business and per channel, each counted apart. */
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({
    env: {
      PARLEY_API_REQUESTS_PER_MINUTE: '4',
      PARLEY_ASKS_PER_MINUTE: '2',
      PARLEY_AGENT_REPLIES_PER_MINUTE: '2',
      PARLEY_WEBHOOKS_PER_MINUTE: '2',
    },
  });
});
afterAll(() => t.close());

const me = (token: string) => t.as(token, { method: 'GET', url: '/api/v1/auth/me/' });
const ask = (token: string, question = 'Are you open today?') =>
  t.as(token, { method: 'POST', url: '/api/v1/ai/ask/', payload: { question, customer_id: 'ana@example.com' } });

/** A second token for the same business. */
async function anotherToken(username: string): Promise<string> {
  const user = await findUser(t.db, username);
  return createApiToken(t.db, user!.id, 'second');
}

describe('the API limit per token', () => {
  it("answers 429 with Retry-After once a token is over it, while another business's token still works", async () => {
    const alice = await t.signUp('alice');
    const bob = await t.signUp('bob');
    for (let i = 0; i < 4; i++) expect((await me(alice)).statusCode).toBe(200);

    const refused = await me(alice);
    expect(refused.statusCode).toBe(429);
    const wait = Number(refused.headers['retry-after']);
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(60);
    expect(refused.json()).toEqual({
      detail: `Too many requests for this token. Try again in ${wait} second${wait === 1 ? '' : 's'}.`,
      code: 'rate_limited',
    });

    expect((await me(bob)).json()).toMatchObject({ username: 'bob' });
    // The limit is the token's: the same business's other token has its own count.
    expect((await me(await anotherToken('alice'))).json()).toMatchObject({ username: 'alice' });
    // Health checks carry no token and are never limited.
    for (let i = 0; i < 6; i++) expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
  });

  it('does not count requests whose token is refused', async () => {
    const carol = await t.signUp('carol');
    const bad = await t.as('prl_not-a-real-token', { method: 'GET', url: '/api/v1/auth/me/' });
    expect(bad.json()).toMatchObject({ code: 'invalid_token' });
    for (let i = 0; i < 4; i++) expect((await me(carol)).statusCode).toBe(200);
  });
});

describe('the ask limit per business', () => {
  it("counts every token of the business, and only that business's asks", async () => {
    const dana = await t.signUp('dana');
    const danaAgain = await anotherToken('dana');
    const emil = await t.signUp('emil');
    expect((await ask(dana)).statusCode).toBe(200);
    expect((await ask(danaAgain)).statusCode).toBe(200);

    const refused = await ask(dana);
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({
      code: 'rate_limited',
      detail: expect.stringMatching(/^Too many questions for this business\./),
    });
    expect((await ask(danaAgain)).statusCode).toBe(429);
    // Nothing was stored for the refused questions.
    const sessions = await t.as(dana, { method: 'GET', url: '/api/v1/ai/sessions/' });
    expect(sessions.json<{ results: { message_count: number }[] }>().results[0]?.message_count).toBe(2);

    expect((await ask(emil)).statusCode).toBe(200);
  });
});

describe('the agent reply limit per business', () => {
  it('refuses replies past it, storing nothing', async () => {
    const fay = await t.signUp('fay');
    const session = (await ask(fay)).json<{ session_id: string }>().session_id;
    const conversationId = session.replace(/^msg_/, '');
    const reply = (text: string) =>
      t.as(fay, { method: 'POST', url: `/api/v1/conversations/${conversationId}/messages/`, payload: { text } });

    expect((await reply('first')).statusCode).toBe(201);
    expect((await reply('second')).statusCode).toBe(201);
    const refused = await reply('third');
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({ code: 'rate_limited' });

    const messages = await t.as(await anotherToken('fay'), {
      method: 'GET',
      url: `/api/v1/conversations/${conversationId}/messages/`,
    });
    const texts = messages.json<{ results: { text: string }[] }>().results.map((m) => m.text);
    expect(texts).toContain('second');
    expect(texts).not.toContain('third');
  });
});

describe('the webhook limit per channel', () => {
  it('refuses deliveries for one channel past it, while another channel still gets its own', async () => {
    const deliver = (channelId: string) =>
      t.app.inject({ method: 'POST', url: `/webhooks/telegram/${channelId}/`, payload: { update_id: 1 } });
    expect((await deliver('one-bot')).statusCode).toBe(404);
    expect((await deliver('one-bot')).statusCode).toBe(404);
    const refused = await deliver('one-bot');
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
    expect(refused.json()).toMatchObject({ code: 'rate_limited' });
    expect((await deliver('other-bot')).statusCode).toBe(404);
  });
});

describe('a rate-limit store that cannot be reached', () => {
  it('lets requests through rather than failing them', async () => {
    const redis = await connectRedis(`redis://127.0.0.1:${await freePort()}`, () => {});
    const app = await buildApp({
      config: testConfig({ PARLEY_API_REQUESTS_PER_MINUTE: '1' }),
      db: t.db,
      readiness: {},
      queue: createLocalQueue(),
      logger: false,
      redis,
    });
    try {
      const user = await createUser(t.db, { username: 'offline' });
      const token = await createApiToken(t.db, user.id, 'test');
      for (let i = 0; i < 3; i++) {
        const response = await app.inject({
          method: 'GET',
          url: '/api/v1/auth/me/',
          headers: { authorization: `Bearer ${token}` },
        });
        expect(response.json()).toMatchObject({ username: 'offline' });
      }
    } finally {
      await app.close();
      await closeRedis(redis);
    }
  });
});

describe('a sign-in lock-out whose store cannot be reached', () => {
  it('lets sign-ins through, uncounted, rather than failing them', async () => {
    const cache = createRedisCache(`redis://127.0.0.1:${await freePort()}`, () => {});
    const app = await buildApp({
      config: testConfig({ PARLEY_SIGN_IN_FAILURES: '1' }),
      db: t.db,
      readiness: {},
      queue: createLocalQueue(),
      logger: false,
      cache,
    });
    try {
      await createUser(t.db, { username: 'no-store', password: 'correct horse battery' });
      const signIn = (password: string) =>
        app.inject({ method: 'POST', url: '/api/v1/auth/token/', payload: { username: 'no-store', password } });
      for (const guess of ['wrong one', 'wrong two']) {
        const refused = await signIn(guess);
        expect(refused.statusCode).toBe(401);
        expect(refused.json()).toMatchObject({ code: 'invalid_credentials' });
      }
      const accepted = await signIn('correct horse battery');
      expect(accepted.statusCode).toBe(200);
      expect(accepted.json<{ token: string }>().token).toMatch(/\S{20,}/);
    } finally {
      await app.close();
      await cache.close();
    }
  });
});

describe('the API description', () => {
  it('lists the 429 answer on limited routes', async () => {
    const spec = (await t.app.inject({ method: 'GET', url: '/api/openapi.json' })).json<{
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    }>();
    expect(Object.keys(spec.paths['/api/v1/ai/ask/']!.post!.responses)).toContain('429');
    expect(Object.keys(spec.paths['/api/v1/auth/me/']!.get!.responses)).toContain('429');
    expect(Object.keys(spec.paths['/healthz']!.get!.responses)).not.toContain('429');
  });
});
