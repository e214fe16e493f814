import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { cacheWatchers } from '../../src/events/watchers.js';
import { createLocalCache } from '../../src/infra/cache.js';
import { userHash } from '../../src/channels/website/widget-limits.js';
import { createAiTestApp, type AiTestApp } from '../helpers/ai.js';
import { connectWidget, createWidget, SITE, widgetClient, type CreatedWidget } from '../helpers/widget.js';
import { refusedHandshake } from '../helpers/ws.js';
import { until } from '../helpers/wait.js';

/** A visitor on a business's site, end to end: the public API, the AI's streamed answer, an agent's reply. */
let t: AiTestApp;
let baseUrl: string;
let owner: string;
let widget: CreatedWidget;

interface Message {
  id: string;
  seq: number;
  client_id: string | null;
  author: string;
  text: string;
}

beforeAll(async () => {
  // As in production: answers stream only while someone watches; the visitor's socket counts.
  t = await createAiTestApp({}, { watchers: cacheWatchers(createLocalCache()) });
  baseUrl = await t.app.listen({ port: 0, host: '127.0.0.1' });
  owner = await t.business('bakery', { reply_debounce_ms: 100, handover_message: 'A colleague will answer here.' });
  widget = await createWidget(t, owner, { greeting: 'Olá!' });
});
afterAll(() => t.close());

describe('the business’s website channel', () => {
  it('is created with a public id, a snippet and a secret shown once', async () => {
    expect(widget.publicId).toMatch(/^wgt_[\w-]{20}$/);
    expect(widget.secret).toMatch(/^wsec_[\w-]{32}$/);
    const list = await t.as(owner, { method: 'GET', url: '/api/v1/channels/' });
    const [channel] = list.json<{ results: Record<string, unknown>[] }>().results;
    expect(channel).toMatchObject({
      type: 'website',
      external_id: widget.publicId,
      widget: {
        public_id: widget.publicId,
        snippet: expect.stringContaining(`data-parley-widget="${widget.publicId}"`) as string,
        settings: { allowed_origins: [SITE], greeting: 'Olá!', position: 'right', unverified_ai_replies: null },
      },
    });
    expect(channel).not.toHaveProperty('widget_secret');
  });

  it('refuses bad settings naming the field', async () => {
    for (const allowed_origins of [[], ['http://shop.example'], ['https://shop.example/path'], ['not a url']]) {
      const response = await t.as(owner, {
        method: 'POST',
        url: '/api/v1/channels/',
        payload: { type: 'website', allowed_origins },
      });
      expect(response.statusCode).toBe(400);
      expect(Object.keys(response.json<{ errors: object }>().errors)[0]).toMatch(/^allowed_origins/);
    }
    const patch = await t.as(owner, {
      method: 'PATCH',
      url: `/api/v1/channels/${widget.id}/`,
      payload: { colour: 'red' },
    });
    expect(patch.statusCode).toBe(400);
    expect(patch.json()).toMatchObject({ errors: { colour: [expect.any(String)] } });
  });

  it('changes settings and keeps the others; another business sees no such channel', async () => {
    const patch = await t.as(owner, {
      method: 'PATCH',
      url: `/api/v1/channels/${widget.id}/`,
      payload: { position: 'left', allowed_origins: [SITE, 'http://localhost:5173'] },
    });
    expect(patch.statusCode).toBe(200);
    expect(patch.json()).toMatchObject({ widget: { settings: { position: 'left', greeting: 'Olá!' } } });
    const other = await t.signUp('other-shop');
    for (const request of [
      { method: 'PATCH' as const, url: `/api/v1/channels/${widget.id}/`, payload: { position: 'right' } },
      { method: 'POST' as const, url: `/api/v1/channels/${widget.id}/secret/` },
    ]) {
      expect((await t.as(other, request)).statusCode).toBe(404);
    }
    const settings = await widgetClient(t, widget.publicId, 'http://localhost:5173').call({
      method: 'GET',
      url: 'settings/',
    });
    expect(settings.statusCode).toBe(200);
    expect(settings.json()).toMatchObject({ business_name: 'bakery', position: 'left', greeting: 'Olá!' });

    // The name visitors know the business by, instead of its account's username; null goes back.
    const client = widgetClient(t, widget.publicId);
    const named = await t.as(owner, {
      method: 'PATCH',
      url: `/api/v1/channels/${widget.id}/`,
      payload: { business_name: '  Rosa’s Bakery ' },
    });
    expect(named.json()).toMatchObject({ widget: { settings: { business_name: 'Rosa’s Bakery', position: 'left' } } });
    expect((await client.call({ method: 'GET', url: 'settings/' })).json()).toMatchObject({
      business_name: 'Rosa’s Bakery',
    });
    const blank = await t.as(owner, {
      method: 'PATCH',
      url: `/api/v1/channels/${widget.id}/`,
      payload: { business_name: '   ' },
    });
    expect(blank.statusCode).toBe(400);
    expect(blank.json<{ errors: Record<string, string[]> }>().errors).toHaveProperty('business_name');
    await t.as(owner, { method: 'PATCH', url: `/api/v1/channels/${widget.id}/`, payload: { business_name: null } });
    expect((await client.call({ method: 'GET', url: 'settings/' })).json()).toMatchObject({ business_name: 'bakery' });
  });
});

describe('the public API’s gate', () => {
  it('answers only pages on the allowed origins, with CORS for them alone', async () => {
    const good = await widgetClient(t, widget.publicId).call({ method: 'GET', url: 'settings/' });
    expect(good.statusCode).toBe(200);
    expect(good.headers['access-control-allow-origin']).toBe(SITE);
    expect(good.headers['access-control-allow-credentials']).toBeUndefined();
    for (const origin of ['https://evil.example', null]) {
      const refused = await widgetClient(t, widget.publicId, origin).call({ method: 'GET', url: 'settings/' });
      expect(refused.statusCode).toBe(403);
      expect(refused.json()).toMatchObject({ code: 'origin_not_allowed' });
      expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    }
    const preflight = await widgetClient(t, widget.publicId).call({
      method: 'OPTIONS',
      url: 'messages/',
      headers: { 'access-control-request-method': 'POST' },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-headers']).toBe('content-type, x-parley-visitor');
    const unknown = await widgetClient(t, 'wgt_nosuchwidget00000000').call({ method: 'GET', url: 'settings/' });
    expect(unknown.statusCode).toBe(404);
  });

  it('refuses the socket’s upgrade from another site, and a socket without a visitor', async () => {
    const refusal = await refusedHandshakeAt(`/api/v1/widget/${widget.publicId}/socket/`, 'https://evil.example');
    expect(refusal).toMatchObject({ status: 403, upgraded: false, body: { code: 'origin_not_allowed' } });
    const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/api/v1/widget/${widget.publicId}/socket/`, {
      headers: { origin: SITE },
    });
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ type: 'auth', visitor_token: 'made-up' }));
    const [code] = await new Promise<[number]>((resolve) => socket.once('close', (closed) => resolve([closed])));
    expect(code).toBe(4401);
  });

  it('needs a visitor token for the conversation, and a well-formed message', async () => {
    const visitor = widgetClient(t, widget.publicId);
    expect((await visitor.history()).json()).toMatchObject({ code: 'visitor_required' });
    expect((await visitor.send('hi', 'c1')).statusCode).toBe(401);
    await visitor.start({ name: 'Ana' });
    for (const payload of [
      { client_id: 'c1', text: '   ' },
      { client_id: 'c1', text: 'x'.repeat(2001) },
      { text: 'hi' },
    ]) {
      const response = await visitor.call({ method: 'POST', url: 'messages/', payload });
      expect(response.statusCode).toBe(400);
    }
    const big = await visitor.call({
      method: 'POST',
      url: 'messages/',
      payload: { client_id: 'c1', text: 'x'.repeat(9000) },
    });
    expect(big.statusCode).toBe(413);
    expect(big.json()).toMatchObject({ code: 'body_too_large', detail: 'The request body is larger than 8 KB.' });
    expect((await visitor.history()).json()).toMatchObject({ messages: [], status: 'active', handled_by: 'ai' });
  });
});

describe('a visitor’s chat', () => {
  it('is answered by the AI, streamed over the socket, once per client id', async () => {
    const visitor = widgetClient(t, widget.publicId);
    await visitor.start({ name: 'Rui' });
    const socket = await connectWidget(baseUrl, widget.publicId, visitor.token!);
    t.gemini.enqueue({ text: 'We open at 7.', chunks: ['We open ', 'at 7.'] });
    const first = await visitor.send('When do you open?', 'm-1');
    expect(first.statusCode).toBe(202);
    const again = await visitor.send('When do you open?', 'm-1');
    expect(again.statusCode).toBe(200);
    expect(again.json<{ message: Message }>().message.id).toBe(first.json<{ message: Message }>().message.id);

    const answer = await socket.waitFor((f) => f.type === 'message' && (f.message as Message).author === 'ai');
    expect((answer.message as Message).text).toBe('We open at 7.');
    const deltas = socket.frames.filter((f) => f.type === 'ai.delta').map((f) => f.text as string);
    expect(deltas.join('')).toBe('We open at 7.');
    expect(socket.frames.some((f) => f.type === 'ai.done')).toBe(true);
    const own = socket.frames.find((f) => f.type === 'message' && (f.message as Message).author === 'visitor');
    expect(own?.message).toMatchObject({ client_id: 'm-1', text: 'When do you open?' });

    const history = (await visitor.history()).json<{ messages: Message[] }>().messages;
    expect(history.map((m) => [m.author, m.text])).toEqual([
      ['visitor', 'When do you open?'],
      ['ai', 'We open at 7.'],
    ]);
    expect((await visitor.history(history[0]!.seq)).json<{ messages: Message[] }>().messages).toHaveLength(1);
    await socket.close();
  });

  it('hears an agent’s takeover and reply live, and the inbox names the visitor', async () => {
    const visitor = widgetClient(t, widget.publicId);
    await visitor.start({ name: 'Inês' });
    const socket = await connectWidget(baseUrl, widget.publicId, visitor.token!);
    t.gemini.enqueue({ text: 'Let me see.' });
    await visitor.send('Do you deliver?', 'd-1');
    await socket.waitFor((f) => f.type === 'message' && (f.message as Message).author === 'ai');
    const list = await t.as(owner, { method: 'GET', url: '/api/v1/conversations/?channel=website' });
    const conversation = list
      .json<{ results: { id: string; customer_name: string }[] }>()
      .results.find((c) => c.customer_name === 'Inês');
    expect(conversation).toBeDefined();
    const takeover = await t.as(owner, {
      method: 'PUT',
      url: `/api/v1/ai/conversations/${conversation!.id}/status/`,
      payload: { status: 'support_active' },
    });
    expect(takeover.statusCode).toBe(200);
    await socket.waitFor((f) => f.type === 'status' && f.handled_by === 'people');
    const typing = await t.as(owner, {
      method: 'POST',
      url: `/api/v1/conversations/${conversation!.id}/typing/`,
      payload: { typing: true },
    });
    expect(typing.statusCode).toBe(204);
    await socket.waitFor((f) => f.type === 'typing' && f.who === 'agent' && f.typing === true);
    const reply = await t.as(owner, {
      method: 'POST',
      url: `/api/v1/conversations/${conversation!.id}/messages/`,
      payload: { text: 'Yes, on Saturdays.' },
    });
    expect(reply.statusCode).toBeLessThan(300);
    const agent = await socket.waitFor((f) => f.type === 'message' && (f.message as Message).author === 'agent');
    expect((agent.message as Message).text).toBe('Yes, on Saturdays.');
    expect((await visitor.history()).json()).toMatchObject({ status: 'support_active', handled_by: 'people' });
    await socket.close();
  });

  it('tells the business’s people when the visitor types, by the API or the socket', async () => {
    const visitor = widgetClient(t, widget.publicId);
    await visitor.start({ name: 'Tiago' });
    t.gemini.enqueue({ text: 'Hello Tiago.' });
    await visitor.send('Hello', 't-1');
    const typed = () =>
      t.published.filter(({ event }) => event.type === 'customer.typing').map(({ event }) => event.data);
    const before = typed().length;
    const response = await visitor.call({ method: 'POST', url: 'typing/', payload: { typing: true } });
    expect(response.statusCode).toBe(204);
    expect(typed().slice(before)).toEqual([{ conversation_id: expect.any(String) as string, typing: true }]);
    const socket = await connectWidget(baseUrl, widget.publicId, visitor.token!);
    socket.send({ type: 'typing', typing: false });
    socket.send({ type: 'ping' });
    await socket.waitFor((f) => f.type === 'pong');
    await until(() => (typed().length === before + 2 ? true : undefined));
    expect(typed().at(-1)).toMatchObject({ typing: false });
    expect((await visitor.call({ method: 'POST', url: 'typing/', payload: { typing: 'yes' } })).statusCode).toBe(400);
    await socket.close();
  });

  it('gets the away message, once, when the business is closed, and the settings say so', async () => {
    const closed = await t.business('night-owl', {
      business_hours_enabled: true,
      business_hours: { timezone: 'Europe/Lisbon', schedule: {} },
      away_message: 'We are closed; we answer in the morning.',
      reply_debounce_ms: 50,
    });
    const theirs = await createWidget(t, closed);
    const visitor = widgetClient(t, theirs.publicId);
    const settings = await visitor.call({ method: 'GET', url: 'settings/' });
    expect(settings.json()).toMatchObject({
      open_now: false,
      away_message: 'We are closed; we answer in the morning.',
    });
    await visitor.start();
    await visitor.send('Are you open?', 'n-1');
    const history = async () => (await visitor.history()).json<{ messages: Message[] }>().messages;
    await until(async () => ((await history()).some((m) => m.author === 'ai') ? true : undefined));
    await visitor.send('Hello?', 'n-2');
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await history()).map((m) => [m.author, m.text])).toEqual([
      ['visitor', 'Are you open?'],
      ['ai', 'We are closed; we answer in the morning.'],
      ['visitor', 'Hello?'],
    ]);
  });

  it('shows another business’s visitor nothing of this one', async () => {
    const other = await t.business('florist');
    const theirs = await createWidget(t, other);
    const visitor = widgetClient(t, widget.publicId);
    await visitor.start();
    const elsewhere = widgetClient(t, theirs.publicId);
    const history = await elsewhere.call({
      method: 'GET',
      url: 'messages/',
      headers: { 'x-parley-visitor': visitor.token! },
    });
    expect(history.statusCode).toBe(401);
  });
});

describe('verified identity', () => {
  it('links a signed-in customer’s devices, refuses a wrong hash, and an old secret after rotation', async () => {
    const first = widgetClient(t, widget.publicId);
    const hash = userHash(widget.secret, 'customer-42');
    const started = await first.start({ user_id: 'customer-42', user_hash: hash });
    expect(started.json()).toMatchObject({ visitor: { verified: true } });
    t.gemini.enqueue({ text: 'Hello again.' });
    await first.send('Hi from my phone', 'p-1');
    await until(async () => {
      const messages = (await first.history()).json<{ messages: Message[] }>().messages;
      return messages.length >= 2 ? true : undefined;
    });
    const second = widgetClient(t, widget.publicId);
    await second.start({ user_id: 'customer-42', user_hash: hash });
    const seen = (await second.history()).json<{ messages: Message[] }>().messages;
    expect(seen.map((m) => m.text)).toEqual(['Hi from my phone', 'Hello again.']);

    const wrong = await widgetClient(t, widget.publicId).start({ user_id: 'customer-42', user_hash: 'ab'.repeat(32) });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toMatchObject({ code: 'identity_invalid' });

    const rotated = await t.as(owner, { method: 'POST', url: `/api/v1/channels/${widget.id}/secret/` });
    const secret = rotated.json<{ widget_secret: string }>().widget_secret;
    expect(secret).not.toBe(widget.secret);
    expect((await widgetClient(t, widget.publicId).start({ user_id: 'customer-42', user_hash: hash })).statusCode).toBe(
      401,
    );
    const fresh = await widgetClient(t, widget.publicId).start({
      user_id: 'customer-42',
      user_hash: userHash(secret, 'customer-42'),
    });
    expect(fresh.statusCode).toBe(201);
    widget.secret = secret;
  });
});

function refusedHandshakeAt(path: string, origin: string) {
  return refusedHandshake(baseUrl, { path, headers: { origin } });
}
