import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTelegramTestApp, type TelegramTestApp } from '../helpers/telegram.js';
import {
  ADMIN_ONLY,
  FORBIDDEN_FOR_OTHER_REASONS,
  fillPath,
  loadOperations,
  unknownPathParams,
  type Operation,
} from './operations.js';
import { bodyOf, malformedProbes, type SweepRequest } from './probes.js';
import { describeExchange, errorShapeProblem, sweepOperations } from './sweep.js';

/**
 * Every operation of the OpenAPI document, swept: another business's ids are
 * as absent as unknown ones, malformed input is refused in the error shape and
 * never breaks the server, and nothing behind a token answers without a valid
 * one. New routes are swept as soon as they are documented.
 */
const BOT = { token: '555000333:AAEsecuritySweepBotTokenForTests', id: 555000333, username: 'sweep_bot' };

let t: TelegramTestApp;
let operations: Operation[];
/** Business A, whose data the sweeps aim at. */
let owner: string;
/** Business B, not an administrator. */
let stranger: string;
let admin: string;
/** A's real value for each path parameter name. Extend it when a route brings a new parameter. */
const values: Record<string, string> = {};
const SITE = 'https://shop.example';
let visitorToken: string;
/** What a page on the widget's site sends; other routes need nothing more than their token. */
const headersFor = (operation: Operation) =>
  operation.path.startsWith('/api/v1/widget/') ? { origin: SITE, 'x-parley-visitor': visitorToken } : undefined;

const byName = (name: string) => operations.find((operation) => operation.name === name);
const tokenFor = (operation: Operation) =>
  operation.access === 'public' ? undefined : operation.access === 'admin' ? admin : owner;

/** What A has, read as A (and as an administrator for A's quota): unchanged by anything another business does. */
async function stateOfA() {
  const read = async (token: string, url: string) => {
    const response = await t.as(token, { method: 'GET', url });
    return { status: response.statusCode, body: response.json<unknown>() };
  };
  const state: Record<string, unknown> = {
    me: await read(owner, '/api/v1/auth/me/'),
    conversations: await read(owner, '/api/v1/conversations/'),
    messages: await read(owner, `/api/v1/conversations/${values.conversation_id}/messages/`),
    session: await read(owner, `/api/v1/ai/sessions/${values.session_id}/`),
    channels: await read(owner, '/api/v1/channels/'),
    config: await read(owner, '/api/v1/ai/config/'),
    defaultHandler: await read(owner, '/api/v1/ai/default-handler/'),
    quota: await read(admin, `/api/v1/ai/usage/quotas/${values.username}/`),
  };
  if (byName('GET /api/v1/auth/tokens/')) state.tokens = await read(owner, '/api/v1/auth/tokens/');
  return state;
}

beforeAll(async () => {
  t = await createTelegramTestApp(BOT);
  owner = await t.telegramBusiness('shop_a');
  stranger = await t.business('shop_b');
  admin = await t.signUp('operator', { isAdmin: true });

  const asked = await t.as(owner, {
    method: 'POST',
    url: '/api/v1/ai/ask/',
    payload: { question: 'Do you deliver on Sundays?', customer_id: 'ana@example.com' },
  });
  if (asked.statusCode !== 200) throw new Error(`ask failed: ${asked.body}`);
  const conversations = await t.as(owner, { method: 'GET', url: '/api/v1/conversations/' });
  // A's website widget and one visitor of it: the widget's public routes are swept past their gate.
  const widget = await t.as(owner, {
    method: 'POST',
    url: '/api/v1/channels/',
    payload: { type: 'website', allowed_origins: [SITE] },
  });
  values.public_id = widget.json<{ widget: { public_id: string } }>().widget.public_id;
  const visitor = await t.app.inject({
    method: 'POST',
    url: `/api/v1/widget/${values.public_id}/visitors/`,
    headers: { origin: SITE },
    payload: {},
  });
  visitorToken = visitor.json<{ visitor_token: string }>().visitor_token;
  const channels = await t.as(owner, { method: 'GET', url: '/api/v1/channels/' });
  values.session_id = asked.json<{ session_id: string }>().session_id;
  values.conversation_id = conversations.json<{ results: { id: string }[] }>().results[0]!.id;
  values.channel_id = channels.json<{ results: { id: string }[] }>().results[0]!.id;
  values.username = 'shop_a';
  const me = await t.as(admin, { method: 'GET', url: '/api/v1/admin/businesses/' });
  values.business_id = me
    .json<{ results: { id: string; username: string }[] }>()
    .results.find((row) => row.username === 'shop_a')!.id;

  operations = await loadOperations(t.app);
  // Token management arrives with issue #11; its ids are swept once the routes exist.
  if (byName('GET /api/v1/auth/tokens/')) {
    const tokens = await t.as(owner, { method: 'GET', url: '/api/v1/auth/tokens/' });
    values.token_id = tokens.json<{ results: { id: string }[] }>().results[0]!.id;
  }
});
afterAll(() => t?.close());

describe('the operations read from /api/openapi.json', () => {
  it('include the known routes, classified by who may call them', () => {
    const access = Object.fromEntries(operations.map((operation) => [operation.name, operation.access]));
    expect(operations.length).toBeGreaterThanOrEqual(30);
    expect(access).toMatchObject({
      'GET /healthz': 'public',
      'POST /api/v1/auth/token/': 'public',
      'POST /webhooks/telegram/{channel_id}/': 'public',
      'POST /webhooks/instagram/': 'public',
      'DELETE /api/v1/auth/token/': 'authenticated',
      'POST /api/v1/ai/ask/': 'authenticated',
      'GET /api/v1/conversations/{conversation_id}/messages/': 'authenticated',
      'DELETE /api/v1/channels/{channel_id}/': 'authenticated',
      'GET /api/v1/ai/usage/global/': 'admin',
      'PUT /api/v1/ai/usage/quotas/{username}/': 'admin',
    });
    expect(access).not.toHaveProperty(['GET /api/openapi.json']);
    expect(byName('POST /api/v1/ai/ask/')?.body?.required).toEqual(['question', 'customer_id']);
    expect(byName('GET /api/v1/ai/sessions/')?.queryParams.map((parameter) => parameter.name)).toContain('page');
  });

  it('list every administrators-only operation, and only documented ones', () => {
    const names = new Set(operations.map((operation) => operation.name));
    expect([...ADMIN_ONLY].filter((name) => !names.has(name))).toEqual([]);
    // A token-protected route that documents a 403 forbids someone: say whom, here or in ADMIN_ONLY.
    const unexplained = operations
      .filter((operation) => operation.access === 'authenticated' && operation.statuses.includes('403'))
      .map((operation) => operation.name)
      .filter((name) => !FORBIDDEN_FOR_OTHER_REASONS.has(name));
    expect(unexplained).toEqual([]);
  });

  it('yield the malformed requests the sweep promises', () => {
    const labels = (name: string) => malformedProbes(byName(name)!, values).map((probe) => probe.label);
    expect(labels('POST /api/v1/ai/ask/')).toEqual(
      expect.arrayContaining([
        'body invalid JSON',
        'body text/plain',
        'body without question',
        'body question of the wrong type ({"not":"a string"})',
        'body question of 4001 characters',
        'body question with NUL',
        'body question with ESC',
        'body question with a lone surrogate',
        'form body question with %00',
      ]),
    );
    expect(labels('GET /api/v1/conversations/{conversation_id}/messages/')).toEqual(
      expect.arrayContaining([
        'path {conversation_id} = NUL (%00)',
        'path {conversation_id} = ..',
        'path {conversation_id} = 10,000 characters',
        'query page=-1',
        'query page=abc',
        'query page_size=past its maximum',
      ]),
    );
    expect(labels('GET /api/v1/ai/usage/stats/')).toEqual(
      expect.arrayContaining(['query days=0', 'query days=past its maximum', 'query days=99999999999999999999999']),
    );
  });

  it('have a value of business A for every path parameter', () => {
    // A route with a new path parameter: add A's value for it to `values` in beforeAll.
    expect(unknownPathParams(operations, values)).toEqual([]);
    expect(operations.filter((operation) => operation.pathParams.length > 0).length).toBeGreaterThanOrEqual(8);
  });
});

describe('administrators-only operations', () => {
  it('answer 403 in the error shape to a business, and serve an administrator', async () => {
    const failures: string[] = [];
    const admins = operations.filter((operation) => operation.access === 'admin');
    expect(admins.map((operation) => operation.name)).toEqual(expect.arrayContaining([...ADMIN_ONLY]));
    for (const operation of admins) {
      const request: SweepRequest = {
        method: operation.method,
        url: fillPath(operation, values),
        ...bodyOf(operation),
      };
      const refused = await t.as(stranger, request);
      if (refused.statusCode !== 403 || errorShapeProblem(refused)) {
        failures.push(`as a business: ${describeExchange(request, refused)}`);
      }
      if (operation.method === 'GET') {
        const served = await t.as(admin, request);
        if (served.statusCode !== 200) failures.push(`as an administrator: ${describeExchange(request, served)}`);
      }
    }
    expect(failures).toEqual([]);
  });
});

describe("another business's ids", () => {
  it('are real: business A reads each of its own through every GET that takes them', async () => {
    const reads = operations.filter(
      (operation) => operation.method === 'GET' && operation.pathParams.length > 0 && operation.access !== 'public',
    );
    expect(reads.map((operation) => operation.name)).toContain('GET /api/v1/conversations/{conversation_id}/');
    const failures: string[] = [];
    for (const operation of reads) {
      const request: SweepRequest = { method: 'GET', url: fillPath(operation, values) };
      const response = await t.as(tokenFor(operation)!, request);
      if (response.statusCode !== 200) failures.push(describeExchange(request, response));
    }
    expect(failures).toEqual([]);
  });

  it('are as absent as unknown ones for business B, for every operation, and A keeps all it had', async () => {
    const before = await stateOfA();
    expect(before.conversations).toMatchObject({
      status: 200,
      body: { count: 1, results: [{ id: values.conversation_id, status: 'active', message_count: 2 }] },
    });
    // The widget (newest, first) and the Telegram bot.
    expect(before.channels).toMatchObject({ status: 200, body: { results: [{ id: values.channel_id }, {}] } });

    const targeted = operations.filter((operation) => operation.pathParams.length > 0);
    expect(targeted.map((operation) => operation.name)).toEqual(
      expect.arrayContaining([
        'POST /api/v1/conversations/{conversation_id}/messages/',
        'PUT /api/v1/ai/conversations/{conversation_id}/status/',
        'POST /api/v1/ai/sessions/{session_id}/send/',
        'DELETE /api/v1/channels/{channel_id}/',
      ]),
    );
    const failures: string[] = [];
    for (const operation of targeted) {
      // A valid request in every other respect, so only ownership can refuse it.
      const request: SweepRequest = {
        method: operation.method,
        url: fillPath(operation, values),
        ...bodyOf(operation),
      };
      const response = operation.access === 'public' ? await t.app.inject(request) : await t.as(stranger, request);
      const expected = { public: [401, 403, 404], authenticated: [404], admin: [403] }[operation.access];
      if (!expected.includes(response.statusCode) || errorShapeProblem(response)) {
        failures.push(`expected ${expected.join(' or ')}: ${describeExchange(request, response)}`);
      }
    }
    expect(failures).toEqual([]);

    // What did happen: nothing. A's conversation keeps its status and messages, its channel, its token.
    const after = await stateOfA();
    expect(after).toEqual(before);
  });
});

describe('malformed input', () => {
  it('is refused with a 4xx in the error shape by every operation, never a 5xx', async () => {
    const { failures, probes } = await sweepOperations(t.app, operations, { values, tokenFor, headersFor });
    // A broken generator would sweep nothing and pass: it must have produced probes for the known routes.
    expect(probes).toBeGreaterThan(300);
    expect(
      failures.map(
        (failure) => `${failure.operation} | ${failure.probe} | ${failure.problem}\n    ${failure.exchange}`,
      ),
    ).toEqual([]);
  });
});

describe('operations behind a token', () => {
  it('answer 401 in the error shape without a valid one: none, malformed, tampered or revoked', async () => {
    await t.signUp('leaver', { password: 'correct horse battery staple' });
    const signIn = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/token/',
      payload: { username: 'leaver', password: 'correct horse battery staple' },
    });
    const revoked = signIn.json<{ token: string }>().token;
    const me = { method: 'GET', url: '/api/v1/auth/me/' } as const;
    expect((await t.as(revoked, me)).statusCode).toBe(200);
    expect((await t.as(revoked, { method: 'DELETE', url: '/api/v1/auth/token/' })).statusCode).toBe(204);

    const credentials: Record<string, string | undefined> = {
      'no token': undefined,
      'an empty Bearer': 'Bearer',
      'a made-up token': 'Bearer not-a-real-token',
      'Basic credentials': 'Basic b3duZXI6cGFzc3dvcmQ=',
      "A's token with a character added": `Bearer ${owner}x`,
      "A's token with a wrong scheme": `Bearer${owner}`,
      'a 10,000-character token': `Bearer ${'a'.repeat(10_000)}`,
      'a revoked token': `Bearer ${revoked}`,
    };
    const guarded = operations.filter((operation) => operation.access !== 'public');
    expect(guarded.length).toBeGreaterThanOrEqual(25);
    const failures: string[] = [];
    for (const operation of guarded) {
      for (const [label, authorization] of Object.entries(credentials)) {
        const base = bodyOf(operation);
        const headers = { ...base.headers, ...(authorization ? { authorization } : {}) };
        const request: SweepRequest = { method: operation.method, url: fillPath(operation, values), ...base, headers };
        const response = await t.app.inject(request);
        const shape = errorShapeProblem(response);
        if (response.statusCode !== 401 || shape) {
          failures.push(`${label}: ${describeExchange(request, response)}${shape ? ` (${shape})` : ''}`);
        }
      }
    }
    expect(failures).toEqual([]);
    // The sweep spent no one's data: A's token still works.
    expect((await t.as(owner, me)).statusCode).toBe(200);
  });
});
