import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAiTestApp, type AiTestApp } from '../helpers/ai.js';
import { testDatabaseKind } from '../helpers/database.js';
import { connectLive, refusedHandshake, type Frame, type LiveClient } from '../helpers/ws.js';
import { until } from '../helpers/wait.js';

let t: AiTestApp;
let baseUrl: string;
let shop: string;
let bakery: string;
const clients: LiveClient[] = [];

beforeAll(async () => {
  t = await createAiTestApp();
  baseUrl = await t.app.listen({ port: 0, host: '127.0.0.1' });
  shop = await t.business('shop');
  bakery = await t.business('bakery');
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await t.close();
});
beforeEach(() => t.gemini.reset());

async function live(options: Parameters<typeof connectLive>[1]): Promise<LiveClient> {
  const client = await connectLive(baseUrl, options);
  clients.push(client);
  return client;
}

const ask = (token: string, customer: string, question: string) =>
  t.as(token, { method: 'POST', url: '/api/v1/ai/ask/', payload: { question, customer_id: customer } });

/** Everything the client saw, once a ping's pong shows that all sent before it has arrived. */
async function settled(client: LiveClient): Promise<Frame[]> {
  const pongs = client.frames.filter((frame) => frame.type === 'pong').length;
  client.send({ type: 'ping' });
  await until(() => (client.frames.filter((frame) => frame.type === 'pong').length > pongs ? true : undefined));
  return client.frames;
}

const ofConversation = (id: string) => (frame: Frame) => frame.data?.conversation_id === id;

describe(`GET /ws/ refuses before the upgrade (${testDatabaseKind})`, () => {
  it('without a token', async () => {
    const refusal = await refusedHandshake(baseUrl);
    expect(refusal).toEqual({
      status: 401,
      upgraded: false,
      body: { detail: expect.any(String), code: 'not_authenticated' },
    });
  });

  it('with a bad token, in the query or the Authorization header', async () => {
    for (const options of [
      { query: '?token=prl_nottherightshapeatall' },
      { query: `?token=${shop.slice(0, -4)}abcd` },
      { headers: { authorization: 'Bearer prl_000000000000aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' } },
      { headers: { authorization: `Bearer ${bakery}x` } },
    ]) {
      const refusal = await refusedHandshake(baseUrl, options);
      expect(refusal).toEqual({
        status: 401,
        upgraded: false,
        body: { detail: 'The token is invalid or has been revoked.', code: 'invalid_token' },
      });
    }
  });

  it('with a revoked token', async () => {
    const token = await t.signUp('revoker');
    const revoked = await t.as(token, { method: 'DELETE', url: '/api/v1/auth/token/' });
    expect(revoked.statusCode).toBe(204);
    expect((await refusedHandshake(baseUrl, { query: `?token=${token}` })).status).toBe(401);
  });

  it('from a web page on another site, even with a good token', async () => {
    const refusal = await refusedHandshake(baseUrl, {
      query: `?token=${shop}`,
      headers: { origin: 'https://evil.example' },
    });
    expect(refusal).toEqual({
      status: 403,
      upgraded: false,
      body: { detail: expect.stringContaining('https://evil.example'), code: 'permission_denied' },
    });
  });

  it('is described in the OpenAPI document', async () => {
    const document = (await t.app.inject({ method: 'GET', url: '/api/openapi.json' })).json<{
      paths: Record<string, { get?: { description?: string; responses?: Record<string, unknown> } }>;
    }>();
    const route = document.paths['/ws/']?.get;
    expect(route?.description).toContain('ai.reply.delta');
    expect(Object.keys(route?.responses ?? {}).sort()).toEqual(['401', '403', '426', '429']);
  });

  it('answers a plain GET with 426 Upgrade Required', async () => {
    const response = await t.as(shop, { method: 'GET', url: '/ws/' });
    expect(response.statusCode).toBe(426);
    expect(response.json()).toEqual({ detail: expect.any(String), code: 'upgrade_required' });
  });
});

describe(`GET /ws/ live events (${testDatabaseKind})`, () => {
  it("accepts the token by query or header, and the dashboard's own origin", async () => {
    const byQuery = await live({ token: shop });
    const byHeader = await live({ headers: { authorization: `Token ${shop}` } });
    const sameOrigin = await live({ token: shop, headers: { origin: baseUrl } });
    expect(byQuery.frames[0]).toEqual({ type: 'hello', data: { username: 'shop', heartbeat_seconds: 30 } });
    expect(byHeader.frames[0]?.type).toBe('hello');
    expect(sameOrigin.frames[0]?.type).toBe('hello');
  });

  it("streams an ask's question, the answer as it is written and the stored answer; another business sees none of it", async () => {
    const mine = await live({ token: shop });
    const theirs = await live({ headers: { authorization: `Bearer ${bakery}` } });
    t.gemini.enqueue({ text: 'We are open 9 to 5.', chunks: ['We are ', 'open ', '9 to 5.'] });

    const response = await ask(shop, 'live-1@example.com', 'When are you open?');
    expect(response.statusCode).toBe(200);
    const conversationId = response.json<{ session_id: string }>().session_id.slice(4);
    await mine.waitFor((frame) => frame.type === 'ai.reply.completed');

    const events = mine.frames.filter(ofConversation(conversationId));
    expect(events.map((frame) => frame.type)).toEqual([
      'conversation.created',
      'message.created',
      'ai.reply.started',
      'ai.reply.delta',
      'ai.reply.delta',
      'ai.reply.delta',
      'message.created',
      'ai.reply.completed',
    ]);
    expect(events[1]?.data).toMatchObject({ message: { type: 'customer', text: 'When are you open?' } });
    const deltas = events.filter((frame) => frame.type === 'ai.reply.delta').map((frame) => frame.data?.text);
    expect(deltas.join('')).toBe('We are open 9 to 5.');

    const stored = await t.as(shop, { method: 'GET', url: `/api/v1/conversations/${conversationId}/messages/` });
    const answer = stored.json<{ results: Record<string, unknown>[] }>().results.at(-1);
    expect(events.at(-1)?.data).toEqual({
      conversation_id: conversationId,
      message: {
        id: answer?.id,
        seq: answer?.seq,
        type: 'AI',
        text: 'We are open 9 to 5.',
        created_at: answer?.created_at,
        response_time_ms: expect.any(Number),
      },
    });

    expect((await settled(theirs)).map((frame) => frame.type)).toEqual(['hello', 'pong']);
  });

  it('ends a reply discarded by a takeover with ai.reply.failed and its reason', async () => {
    const mine = await live({ token: shop });
    t.gemini.enqueue({ text: 'Welcome!' });
    const first = await ask(shop, 'live-2@example.com', 'hi');
    const conversationId = first.json<{ session_id: string }>().session_id.slice(4);
    t.gemini.enqueue({ chunks: ['I am the AI ', 'and nobody ', 'reads this.'], chunkDelayMs: 200 });

    const pending = ask(shop, 'live-2@example.com', 'are you a robot?');
    // The takeover lands while the answer is being written: its first words are already out.
    await mine.waitFor((frame) => frame.type === 'ai.reply.delta' && frame.data?.text === 'I am the AI ');
    const takeover = await t.as(shop, {
      method: 'PUT',
      url: `/api/v1/ai/conversations/${conversationId}/status/`,
      payload: { status: 'support_active' },
    });
    expect(takeover.statusCode).toBe(200);
    expect((await pending).json()).toMatchObject({ auto_response_generated: false, reason: 'manual_handling' });

    const failed = await mine.waitFor((frame) => frame.type === 'ai.reply.failed');
    expect(failed.data).toEqual({ conversation_id: conversationId, reason: 'taken_over' });
    const second = mine.frames.slice(mine.frames.findIndex((frame) => frame.type === 'ai.reply.completed') + 1);
    const types = second.filter(ofConversation(conversationId)).map((frame) => frame.type);
    expect(types).toContain('conversation.status_changed');
    expect(types).not.toContain('ai.reply.completed');
    expect(types.at(-1)).toBe('ai.reply.failed');
  });

  it('answers an application ping with a pong, and anything else with an error frame', async () => {
    const client = await live({ token: bakery });
    client.send({ type: 'ping' });
    await client.waitFor((frame) => frame.type === 'pong');
    client.socket.send('not json');
    client.send({ type: 'subscribe', data: { everything: true } });
    const errors = await until(() => {
      const found = client.frames.filter((frame) => frame.type === 'error');
      return found.length === 2 ? found : undefined;
    });
    expect(errors[0]?.data).toMatchObject({ code: 'unknown_message' });
    expect(client.socket.readyState).toBe(client.socket.OPEN);
  });

  it('counts its open connections and forgets closed ones', async () => {
    const before = t.app.websocketConnections();
    const client = await connectLive(baseUrl, { token: shop });
    expect(t.app.websocketConnections()).toBe(before + 1);
    await client.close();
    await until(() => (t.app.websocketConnections() === before ? true : undefined));
  });
});
