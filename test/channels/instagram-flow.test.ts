import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { conversations, messages } from '../../src/db/schema/index.js';
import { utf8Bytes } from '../../src/channels/split.js';
import { createAiTestApp, type AiTestApp } from '../helpers/ai.js';
import { freePort, until } from '../helpers/wait.js';
import { GraphFake, instagramBatch, instagramEchoEvent, instagramMessageEvent } from '../fakes/graph.js';

/** A customer on Instagram, end to end: signed webhook in, stored, answered, sent through the Send API. */
const IG_ID = '17841400000000042';
const ACCESS_TOKEN = 'IGQVJflowTestAccessTokenForTheBakery0123';
const APP_SECRET = 'meta-app-secret-for-the-flow-test';
const VERIFY_TOKEN = 'verify-me-please';

let graph: GraphFake;
let t: AiTestApp;
let token: string;
let webhookUrl: string;
let mid = 0;

const event = (senderId: string, text: string) =>
  instagramMessageEvent({ igId: IG_ID, senderId, mid: `m_${++mid}`, text });
const deliver = (payload: object, signature?: string | null) =>
  graph.deliver(
    webhookUrl,
    payload,
    signature === undefined ? { appSecret: APP_SECRET } : { appSecret: APP_SECRET, signature },
  );
const generateCalls = () => t.gemini.requests.filter((request) => request.method === 'streamGenerateContent');

beforeAll(async () => {
  graph = await GraphFake.start();
  graph.addAccount(IG_ID, ACCESS_TOKEN);
  const port = await freePort();
  t = await createAiTestApp({
    META_GRAPH_BASE: graph.url,
    META_APP_SECRET: APP_SECRET,
    META_VERIFY_TOKEN: VERIFY_TOKEN,
    PUBLIC_URL: `http://127.0.0.1:${port}`,
  });
  await t.app.listen({ port, host: '127.0.0.1' });
  webhookUrl = `http://127.0.0.1:${port}/webhooks/instagram/`;
  token = await t.business('rosa', { reply_debounce_ms: 200 });
  const channel = await t.as(token, {
    method: 'POST',
    url: '/api/v1/channels/',
    payload: { type: 'instagram', ig_user_id: IG_ID, access_token: ACCESS_TOKEN },
  });
  expect(channel.statusCode).toBe(201);
});
afterAll(async () => {
  await t.close();
  await graph.close();
});
beforeEach(() => {
  t.gemini.reset();
  graph.reset();
});

describe('Instagram webhook', () => {
  it('answers the verification handshake only with the right token', async () => {
    expect(await graph.verify(webhookUrl, { verifyToken: VERIFY_TOKEN, challenge: 1158201444 })).toEqual({
      status: 200,
      body: '1158201444',
    });
    expect((await graph.verify(webhookUrl, { verifyToken: 'wrong', challenge: 1 })).status).toBe(403);
    expect(
      (await graph.verify(webhookUrl, { mode: 'unsubscribe', verifyToken: VERIFY_TOKEN, challenge: 1 })).status,
    ).toBe(403);
  });

  it('answers a customer once through the Send API, however often Meta delivers', async () => {
    t.gemini.enqueue({ text: 'Yes, we deliver within 3 km.' });
    const payload = instagramBatch(event('igsid-ana', 'Do you deliver?'));
    expect(await deliver(payload)).toMatchObject({ status: 200, body: 'EVENT_RECEIVED' });
    expect(await deliver(payload)).toMatchObject({ status: 200 });
    const [reply] = await until(() => (graph.sent.length > 0 ? graph.sent : undefined));
    expect(reply).toMatchObject({
      igUserId: IG_ID,
      recipientId: 'igsid-ana',
      text: 'Yes, we deliver within 3 km.',
      messagingType: 'RESPONSE',
    });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(generateCalls()).toHaveLength(1);
    expect(graph.sent).toHaveLength(1);
  });

  it('handles batched entries and skips echoes of its own messages', async () => {
    t.gemini.enqueue({ text: 'Hi Bea!' }, { text: 'Hi Caio!' });
    const payload = instagramBatch(
      [
        event('igsid-bea', 'hello from Bea'),
        instagramEchoEvent({ igId: IG_ID, senderId: 'igsid-bea', mid: `m_${++mid}`, text: 'echo' }),
      ],
      event('igsid-caio', 'hello from Caio'),
    );
    expect((await deliver(payload)).status).toBe(200);
    await until(() => (graph.sent.length >= 2 ? true : undefined));
    expect(graph.sent.map((m) => m.recipientId).sort()).toEqual(['igsid-bea', 'igsid-caio']);
    const stored = await t.db.select().from(messages).where(eq(messages.text, 'echo'));
    expect(stored).toEqual([]);
  });

  it('splits a long answer within 1000 UTF-8 bytes a message', async () => {
    const long = 'Pão fresco todos os dias às sete. '.repeat(60).trim();
    t.gemini.enqueue({ text: long });
    await deliver(instagramBatch(event('igsid-dani', 'conte-me tudo')));
    await until(() => (graph.sent.length >= 2 ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(graph.sent.every((m) => utf8Bytes(m.text) <= 1_000)).toBe(true);
    expect(graph.sent.map((m) => m.text).join(' ')).toBe(long);
  });

  it('refuses a delivery with a wrong or missing signature, storing nothing', async () => {
    const before = await t.db.select().from(conversations);
    expect((await deliver(instagramBatch(event('igsid-eve', 'forged')), 'sha256=' + '0'.repeat(64))).status).toBe(403);
    expect((await deliver(instagramBatch(event('igsid-eve', 'unsigned')), null)).status).toBe(403);
    expect(await t.db.select().from(conversations)).toHaveLength(before.length);
  });
});
