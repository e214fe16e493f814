import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messages } from '../../src/db/schema/index.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

/** Meta's webhook refuses what it cannot verify: the handshake token and each delivery's signature. */
const APP_SECRET = 'meta-app-secret-for-verification';
const VERIFY_TOKEN = 'verify-token-for-verification';

let t: TestApp;
let unconfigured: TestApp;

beforeAll(async () => {
  t = await createTestApp({ env: { META_APP_SECRET: APP_SECRET, META_VERIFY_TOKEN: VERIFY_TOKEN } });
  unconfigured = await createTestApp();
});
afterAll(async () => {
  await t.close();
  await unconfigured.close();
});

const sign = (body: string, secret = APP_SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
const deliver = (app: TestApp, body: string, signature?: string) =>
  app.app.inject({
    method: 'POST',
    url: '/webhooks/instagram/',
    headers: {
      'content-type': 'application/json',
      ...(signature === undefined ? {} : { 'x-hub-signature-256': signature }),
    },
    payload: body,
  });
const handshake = (app: TestApp, query: Record<string, string>) =>
  app.app.inject({ method: 'GET', url: '/webhooks/instagram/', query });

const body = JSON.stringify({ object: 'instagram', entry: [{ id: 'nobody', time: 1, messaging: [] }] });

describe('the verification handshake', () => {
  it('echoes the challenge for the right token', async () => {
    const response = await handshake(t, {
      'hub.mode': 'subscribe',
      'hub.verify_token': VERIFY_TOKEN,
      'hub.challenge': '1158201444',
    });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('1158201444');
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
  });

  it('answers an empty challenge with an empty body', async () => {
    const response = await handshake(t, { 'hub.mode': 'subscribe', 'hub.verify_token': VERIFY_TOKEN });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('');
  });

  it('refuses another mode, a wrong token, and any token while none is configured', async () => {
    const challenge = { 'hub.challenge': '42' };
    expect(
      (await handshake(t, { ...challenge, 'hub.mode': 'unsubscribe', 'hub.verify_token': VERIFY_TOKEN })).statusCode,
    ).toBe(403);
    expect((await handshake(t, { ...challenge, 'hub.verify_token': VERIFY_TOKEN })).statusCode).toBe(403);
    expect(
      (await handshake(t, { ...challenge, 'hub.mode': 'subscribe', 'hub.verify_token': 'wrong' })).statusCode,
    ).toBe(403);
    expect((await handshake(t, { ...challenge, 'hub.mode': 'subscribe' })).statusCode).toBe(403);
    expect((await handshake(unconfigured, { ...challenge, 'hub.mode': 'subscribe' })).statusCode).toBe(403);
    expect(
      (await handshake(unconfigured, { ...challenge, 'hub.mode': 'subscribe', 'hub.verify_token': '' })).statusCode,
    ).toBe(403);
  });

  it('refuses a token one character short or long, in the error shape, without echoing the challenge', async () => {
    for (const wrong of [VERIFY_TOKEN.slice(0, -1), `${VERIFY_TOKEN}x`, VERIFY_TOKEN.toUpperCase()]) {
      const response = await handshake(t, {
        'hub.mode': 'subscribe',
        'hub.verify_token': wrong,
        'hub.challenge': '42',
      });
      expect(response.statusCode).toBe(403);
      expect(response.json()).toEqual({
        detail: 'The verification token does not match.',
        code: 'permission_denied',
      });
    }
  });
});

describe('signed deliveries', () => {
  it('are acknowledged when signed with the app secret over the exact bytes', async () => {
    const response = await deliver(t, body, sign(body));
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('EVENT_RECEIVED');
    // Hex digits in either case.
    expect((await deliver(t, body, sign(body).toUpperCase().replace('SHA256=', 'sha256='))).statusCode).toBe(200);
  });

  it('are refused with another secret, other bytes, a malformed or missing signature', async () => {
    expect((await deliver(t, body, sign(body, 'another-secret'))).statusCode).toBe(403);
    expect((await deliver(t, `${body} `, sign(body))).statusCode).toBe(403);
    expect((await deliver(t, body, sign(body).replace('sha256=', 'sha1='))).statusCode).toBe(403);
    expect((await deliver(t, body, `x${sign(body)}`)).statusCode).toBe(403);
    expect((await deliver(t, body, `${sign(body)}0`)).statusCode).toBe(403);
    expect((await deliver(t, body, sign(body).slice(0, -1))).statusCode).toBe(403);
    expect((await deliver(t, body, '')).statusCode).toBe(403);
    expect((await deliver(t, body)).statusCode).toBe(403);
  });

  it('are all refused while no app secret is configured', async () => {
    expect((await deliver(unconfigured, body, sign(body, ''))).statusCode).toBe(403);
  });

  it('count as rejected in the metrics when refused', async () => {
    await deliver(t, body, sign(body, 'another-secret'));
    const metrics = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/channel="instagram"[^\n]*result="rejected"[^\n]* [1-9]/);
  });

  it('refuse a body that is not JSON, once signed', async () => {
    const broken = '{"object": "instagram",';
    const response = await deliver(t, broken, sign(broken));
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ detail: 'The request body is not valid JSON.', code: 'malformed_json' });
  });

  it('check the signature before reading the body: unsigned garbage is a 403, not a 400, and stores nothing', async () => {
    const before = await t.db.select().from(messages);
    for (const garbage of ['{"object": "instagram",', 'not json at all', '']) {
      const response = await deliver(t, garbage, sign(garbage, 'another-secret'));
      expect(response.statusCode, garbage).toBe(403);
      expect(response.json()).toEqual({
        detail: 'The delivery signature is missing or wrong.',
        code: 'permission_denied',
      });
      expect((await deliver(t, garbage)).statusCode).toBe(403);
    }
    expect(await t.db.select().from(messages)).toEqual(before);
  });
});
