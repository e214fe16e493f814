import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GraphFake, instagramBatch, instagramEchoEvent, instagramMessageEvent, metaSignature } from './graph.js';

const IG_ID = '17841400000000001';
const TOKEN = 'IGAAtest-token';
const OTHER_ID = '17841400000000002';
const OTHER_TOKEN = 'IGAAother-token';
const CUSTOMER = '1234567890123456';
const HOUR = 60 * 60 * 1000;

let fake: GraphFake;

beforeAll(async () => {
  fake = await GraphFake.start();
  fake.addAccount(IG_ID, TOKEN);
  fake.addAccount(OTHER_ID, OTHER_TOKEN);
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

interface Answer {
  status: number;
  json: Record<string, unknown>;
}

/** Sends exactly as a fetch-based client would. */
async function send(body: object, options: { token?: string | null; path?: string } = {}): Promise<Answer> {
  const token = options.token === undefined ? TOKEN : options.token;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${fake.url}${options.path ?? `/${IG_ID}/messages`}`, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
  });
  expect(response.headers.get('content-type')).toContain('application/json');
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

const textTo = (text: string, recipient = CUSTOMER) => ({ recipient: { id: recipient }, message: { text } });
const humanAgent = (text: string) => ({ ...textTo(text), messaging_type: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' });

function graphError(code: number, extra: Record<string, unknown> = {}) {
  return {
    error: { type: 'OAuthException', code, fbtrace_id: expect.stringMatching(/^[\w-]{8,}$/), ...extra },
  };
}

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A stand-in for Parley's Instagram webhook route, including the verification handshake. */
async function receiver(verifyToken: string): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks),
      });
      const query = new URL(request.url ?? '/', 'http://x').searchParams;
      if (request.method === 'GET') {
        const ok = query.get('hub.mode') === 'subscribe' && query.get('hub.verify_token') === verifyToken;
        response.writeHead(ok ? 200 : 403).end(ok ? (query.get('hub.challenge') ?? '') : 'Forbidden');
        return;
      }
      response.writeHead(200).end('EVENT_RECEIVED');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/webhooks/instagram?source=meta`, received, server };
}

describe('Send API', () => {
  it('accepts a text message and answers with the recipient and a unique message id', async () => {
    const first = await send(textTo('Hello'));
    expect(first).toEqual({ status: 200, json: { recipient_id: CUSTOMER, message_id: expect.any(String) } });
    const second = await send(textTo('Again'), { path: '/me/messages' });
    expect(second.status).toBe(200);
    expect(second.json.message_id).not.toBe(first.json.message_id);
    expect(fake.sent).toEqual([
      { igUserId: IG_ID, recipientId: CUSTOMER, text: 'Hello', messageId: first.json.message_id },
      { igUserId: IG_ID, recipientId: CUSTOMER, text: 'Again', messageId: second.json.message_id },
    ]);
    expect(fake.calls.map((call) => [call.method, call.path, call.token])).toEqual([
      ['POST', `/v23.0/${IG_ID}/messages`, TOKEN],
      ['POST', '/v23.0/me/messages', TOKEN],
    ]);
  });

  it('takes the token from access_token and form-encoded bodies as Graph does', async () => {
    const response = await fetch(`${fake.url}/${IG_ID}/messages?access_token=${TOKEN}`, {
      method: 'POST',
      body: new URLSearchParams({
        recipient: JSON.stringify({ id: CUSTOMER }),
        message: JSON.stringify({ text: 'Hi' }),
      }),
    });
    expect(response.status).toBe(200);
    expect(fake.sent[0]).toMatchObject({ recipientId: CUSTOMER, text: 'Hi' });
  });

  it('refuses a missing, unknown or foreign token with code 190', async () => {
    const invalid = graphError(190, { message: 'Invalid OAuth access token - Cannot parse access token' });
    expect(await send(textTo('x'), { token: null })).toEqual({ status: 400, json: invalid });
    expect(await send(textTo('x'), { token: 'garbage' })).toEqual({ status: 400, json: invalid });
    const foreign = await send(textTo('x'), { token: OTHER_TOKEN });
    expect(foreign).toEqual({ status: 400, json: graphError(190, { message: expect.any(String) }) });
    expect(fake.sent).toEqual([]);
  });

  it('requires recipient and message with code 100', async () => {
    expect(await send({ message: { text: 'x' } })).toEqual({
      status: 400,
      json: graphError(100, { message: '(#100) The parameter recipient is required' }),
    });
    expect(await send({ recipient: { id: CUSTOMER } })).toEqual({
      status: 400,
      json: graphError(100, { message: '(#100) The parameter message is required' }),
    });
    expect((await send(textTo(''))).status).toBe(400);
  });

  it('enforces 1000 UTF-8 bytes, not characters', async () => {
    expect((await send(textTo('é'.repeat(400)))).status).toBe(200); // 800 bytes
    expect((await send(textTo('a'.repeat(1000)))).status).toBe(200);
    for (const text of ['é'.repeat(600), 'a'.repeat(1001)]) {
      const answer = await send(textTo(text)); // 600 'é' are 600 characters but 1200 bytes
      expect(answer).toEqual({ status: 400, json: graphError(100, { message: expect.stringMatching(/too long/) }) });
    }
    expect(fake.sent).toHaveLength(2);
  });

  it('answers 404 with a Graph error for unknown paths', async () => {
    const response = await fetch(`${fake.url}/${IG_ID}/conversations_nope`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual(graphError(803, { message: expect.any(String) }));
  });
});

describe('GET /me', () => {
  const me = async (token: string | null, fields: string | null = 'user_id,username') => {
    const url = new URL(`${fake.url}/me`);
    if (fields !== null) url.searchParams.set('fields', fields);
    const response = await fetch(url, token === null ? {} : { headers: { authorization: `Bearer ${token}` } });
    expect(response.headers.get('content-type')).toContain('application/json');
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };

  it('names the account a token belongs to: user_id is the webhook id, id an app-scoped one', async () => {
    const answer = await me(TOKEN);
    expect(answer).toEqual({
      status: 200,
      json: { user_id: IG_ID, username: 'account_0001', id: expect.stringMatching(/^\d{16,17}$/) },
    });
    expect(answer.json.id).not.toBe(IG_ID);
    expect((await me(OTHER_TOKEN)).json).toMatchObject({ user_id: OTHER_ID });
    // The access_token query parameter works as well as the header.
    const viaQuery = await fetch(`${fake.url}/me?fields=user_id&access_token=${TOKEN}`);
    expect(await viaQuery.json()).toEqual({ user_id: IG_ID, id: answer.json.id });
  });

  it('answers only id without fields, and code 100 for a field Instagram users lack', async () => {
    expect((await me(TOKEN, null)).json).toEqual({ id: expect.any(String) });
    expect(await me(TOKEN, 'user_id,favourite_cake')).toEqual({
      status: 400,
      json: graphError(100, { message: expect.stringContaining('nonexisting field (favourite_cake)') }),
    });
  });

  it('refuses a missing or unknown token with code 190, as Graph does', async () => {
    const invalid = graphError(190, { message: 'Invalid OAuth access token - Cannot parse access token' });
    expect(await me(null)).toEqual({ status: 400, json: invalid });
    expect(await me('IGAAnobody-knows-this-token')).toEqual({ status: 400, json: invalid });
  });

  it('replays scripted failures too', async () => {
    const message = 'An unexpected error has occurred. Please retry your request later.';
    fake.failNext({ status: 500, code: 2, message, is_transient: true });
    expect(await me(TOKEN)).toEqual({ status: 500, json: graphError(2, { message, is_transient: true }) });
    expect((await me(TOKEN)).status).toBe(200);
  });
});

describe('messaging window', () => {
  const outside = graphError(10, {
    message: '(#10) This message is sent outside of allowed window.',
    error_subcode: 2018278,
  });

  it('treats a customer with no recorded message as inside the window', async () => {
    expect((await send(textTo('hi'))).status).toBe(200);
  });

  it('allows standard sends for 24 hours, then only HUMAN_AGENT', async () => {
    fake.setLastCustomerMessage(CUSTOMER, new Date(Date.now() - 23 * HOUR));
    expect((await send(textTo('within a day'))).status).toBe(200);

    fake.setLastCustomerMessage(CUSTOMER, new Date(Date.now() - 25 * HOUR));
    expect(await send(textTo('too late'))).toEqual({ status: 400, json: outside });
    expect((await send(humanAgent('a person replies'))).status).toBe(200);
    expect(fake.sent.at(-1)).toMatchObject({ messagingType: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' });
  });

  it('refuses HUMAN_AGENT after 7 days', async () => {
    fake.setLastCustomerMessage(CUSTOMER, new Date(Date.now() - 6 * 24 * HOUR));
    expect((await send(humanAgent('day six'))).status).toBe(200);
    fake.setLastCustomerMessage(CUSTOMER, new Date(Date.now() - 8 * 24 * HOUR));
    expect(await send(humanAgent('day eight'))).toEqual({ status: 400, json: outside });
  });

  it('refuses tags Instagram does not support', async () => {
    const answer = await send({ ...textTo('x'), messaging_type: 'MESSAGE_TAG', tag: 'CONFIRMED_EVENT_UPDATE' });
    expect(answer).toEqual({ status: 400, json: graphError(100, { message: expect.any(String) }) });
  });
});

describe('scripted failures and blocks', () => {
  it('replays scripted failures the given number of times, then recovers', async () => {
    fake.failNext({ status: 429, code: 4, message: '(#4) Application request limit reached' }, 2);
    const limited = { status: 429, json: graphError(4, { message: '(#4) Application request limit reached' }) };
    expect(await send(textTo('one'))).toEqual(limited);
    expect(await send(textTo('two'))).toEqual(limited);
    expect((await send(textTo('three'))).status).toBe(200);

    const message = 'An unexpected error has occurred. Please retry your request later.';
    fake.failNext({ status: 500, code: 2, message, is_transient: true });
    expect(await send(textTo('four'))).toEqual({ status: 500, json: graphError(2, { message, is_transient: true }) });
    expect(fake.sent.map((sent) => sent.text)).toEqual(['three']);
  });

  it('answers code 551 for a recipient who is unavailable', async () => {
    fake.blockRecipient(CUSTOMER);
    expect(await send(textTo('hello?'))).toEqual({
      status: 400,
      json: graphError(551, { message: "This person isn't available right now.", error_subcode: 1545041 }),
    });
    expect((await send(textTo('hello', '999'))).status).toBe(200);
  });
});

describe('webhook deliveries', () => {
  const secret = 'app-secret-1';

  it('signs the exact raw bytes with sha256 (and legacy sha1), escaping unicode as Meta does', async () => {
    const hook = await receiver('verify-me');
    try {
      const payload = instagramBatch(
        instagramMessageEvent({ igId: IG_ID, senderId: CUSTOMER, mid: 'mid.1', text: 'héllo 😀 https://x.y/z' }),
      );
      expect(await fake.deliver(hook.url, payload, { appSecret: secret })).toEqual({
        status: 200,
        body: 'EVENT_RECEIVED',
      });

      const [request] = hook.received;
      const raw = request?.body ?? Buffer.alloc(0);
      const expected = createHmac('sha256', secret).update(raw).digest('hex');
      expect(request?.headers['x-hub-signature-256']).toBe(`sha256=${expected}`);
      expect(request?.headers['x-hub-signature']).toBe(`sha1=${createHmac('sha1', secret).update(raw).digest('hex')}`);
      expect(request?.headers['content-type']).toBe('application/json');
      expect(request?.url).toBe('/webhooks/instagram?source=meta');
      expect(raw.toString('utf8')).toContain('h\\u00e9llo \\ud83d\\ude00 https:\\/\\/x.y\\/z');
      expect(JSON.parse(raw.toString('utf8'))).toEqual(payload);
      // A receiver that re-serialises the parsed body would compute a different, wrong signature.
      expect(metaSignature(JSON.stringify(payload), secret)).not.toBe(request?.headers['x-hub-signature-256']);
    } finally {
      hook.server.close();
    }
  });

  it('sends an overriding signature, or none, without the legacy header', async () => {
    const hook = await receiver('verify-me');
    try {
      const payload = instagramBatch(
        instagramMessageEvent({ igId: IG_ID, senderId: CUSTOMER, mid: 'mid.2', text: 'x' }),
      );
      await fake.deliver(hook.url, payload, { appSecret: secret, signature: 'sha256=forged' });
      await fake.deliver(hook.url, payload, { appSecret: secret, signature: null });
      const [forged, unsigned] = hook.received;
      expect(forged?.headers['x-hub-signature-256']).toBe('sha256=forged');
      expect(forged?.headers).not.toHaveProperty('x-hub-signature');
      expect(unsigned?.headers).not.toHaveProperty('x-hub-signature-256');
      expect(unsigned?.headers).not.toHaveProperty('x-hub-signature');
    } finally {
      hook.server.close();
    }
  });

  it('opens the messaging window from the delivered customer message', async () => {
    const hook = await receiver('verify-me');
    try {
      const at = (timestamp: number, mid: string) =>
        instagramBatch(instagramMessageEvent({ igId: IG_ID, senderId: CUSTOMER, mid, text: 'hi', timestamp }));
      await fake.deliver(hook.url, at(Date.now() - 30 * HOUR, 'mid.old'), { appSecret: secret });
      expect((await send(textTo('late'))).status).toBe(400);
      await fake.deliver(hook.url, at(Date.now(), 'mid.new'), { appSecret: secret });
      expect((await send(textTo('now fine'))).status).toBe(200);
    } finally {
      hook.server.close();
    }
  });

  it('performs the verification handshake', async () => {
    const hook = await receiver('verify-me');
    try {
      expect(await fake.verify(hook.url, { verifyToken: 'verify-me', challenge: 1158201444 })).toEqual({
        status: 200,
        body: '1158201444',
      });
      expect(await fake.verify(hook.url, { verifyToken: 'wrong', challenge: 'c' })).toMatchObject({ status: 403 });
      expect(
        await fake.verify(hook.url, { mode: 'unsubscribe', verifyToken: 'verify-me', challenge: 'c' }),
      ).toMatchObject({
        status: 403,
      });
      const query = new URL(hook.received[0]?.url ?? '', 'http://x').searchParams;
      expect(hook.received[0]?.method).toBe('GET');
      expect(Object.fromEntries(query)).toEqual({
        source: 'meta',
        'hub.mode': 'subscribe',
        'hub.challenge': '1158201444',
        'hub.verify_token': 'verify-me',
      });
    } finally {
      hook.server.close();
    }
  });
});

describe('payload builders', () => {
  it('builds message and echo events and batches them into entries per §3.2', () => {
    const attachments = [{ type: 'image', payload: { url: 'https://cdn.example/1.jpg' } }];
    const message = instagramMessageEvent({ igId: IG_ID, senderId: CUSTOMER, mid: 'm1', text: 'hi', timestamp: 1000 });
    const photo = instagramMessageEvent({ igId: IG_ID, senderId: CUSTOMER, mid: 'm2', attachments, timestamp: 2000 });
    const echo = instagramEchoEvent({ igId: OTHER_ID, senderId: CUSTOMER, mid: 'm3', text: 'reply', timestamp: 3000 });
    expect(message).toEqual({
      sender: { id: CUSTOMER },
      recipient: { id: IG_ID },
      timestamp: 1000,
      message: { mid: 'm1', text: 'hi' },
    });
    expect(echo).toEqual({
      sender: { id: OTHER_ID },
      recipient: { id: CUSTOMER },
      timestamp: 3000,
      message: { mid: 'm3', text: 'reply', is_echo: true },
    });
    expect(instagramBatch([message, photo], echo)).toEqual({
      object: 'instagram',
      entry: [
        { id: IG_ID, time: expect.any(Number), messaging: [message, photo] },
        { id: OTHER_ID, time: expect.any(Number), messaging: [echo] },
      ],
    });
    expect(() => instagramBatch([message, echo])).toThrow(/one account/);
  });
});
