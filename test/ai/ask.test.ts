import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { aiConfigs, usageRecords, users } from '../../src/db/schema/index.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createAiTestApp, TEST_GEMINI_KEY, type AiTestApp } from '../helpers/ai.js';

interface AskBody {
  session_id: string;
  customer_id: string;
  question: string;
  answer: string | null;
  response_time_ms: number;
  success: boolean;
  auto_response_generated: boolean;
  reason?: string;
}

interface GenerateBody {
  systemInstruction: { parts: { text: string }[] };
  contents: { role: string; parts: { text: string }[] }[];
  generationConfig: { temperature: number; maxOutputTokens: number };
}

let t: AiTestApp;

beforeAll(async () => {
  t = await createAiTestApp();
});
afterAll(() => t.close());
beforeEach(() => t.gemini.reset());

const ask = (token: string, payload: Record<string, unknown> | string, headers: Record<string, string> = {}) =>
  t.as(token, { method: 'POST', url: '/api/v1/ai/ask/', payload, headers });

const generateCalls = () => t.gemini.requests.filter((request) => request.method === 'streamGenerateContent');

/** The customer's message reached the business's people live: a message.created event for it. */
function expectPublished(app: { published: TestApp['published'] }, sessionId: string, text: string) {
  expect(app.published).toContainEqual({
    userId: expect.any(String),
    event: {
      type: 'message.created',
      data: expect.objectContaining({
        conversation_id: sessionId.slice('msg_'.length),
        message: expect.objectContaining({ type: 'customer', text }),
      }),
    },
  });
}

async function session(token: string, sessionId: string) {
  const response = await t.as(token, { method: 'GET', url: `/api/v1/ai/sessions/${sessionId}/` });
  return response.json<{ status: string; messages: { type: string; text: string }[] }>();
}

describe('POST /api/v1/ai/ask/', () => {
  it("answers from the business's prompts, with the conversation so far as context", async () => {
    const token = await t.business('rosa', {
      temperature: 0.3,
      max_tokens: 256,
      prompts: { manual_prompt: 'You are the assistant of Rosa Bakery.', question_answer: 'Q: Sunday?\nA: Closed.' },
    });
    t.gemini.enqueue({
      text: 'We are closed on Sundays.',
      usage: { promptTokenCount: 120, candidatesTokenCount: 8, thoughtsTokenCount: 4, totalTokenCount: 132 },
    });
    const first = await ask(token, { question: 'Are you open on Sunday?', customer_id: 'ana@example.com' });
    expect(first.statusCode).toBe(200);
    const body = first.json<AskBody>();
    expect(body).toEqual({
      session_id: expect.stringMatching(/^msg_[0-9A-Za-z]{12}$/),
      customer_id: 'ana@example.com',
      question: 'Are you open on Sunday?',
      answer: 'We are closed on Sundays.',
      response_time_ms: expect.any(Number),
      success: true,
      auto_response_generated: true,
    });

    const [call] = generateCalls();
    expect(call?.apiKey).toBe(TEST_GEMINI_KEY);
    expect(call?.model).toBe('gemini-flash-latest');
    const sent = call?.body as GenerateBody;
    expect(sent.systemInstruction.parts[0]?.text).toContain('You are the assistant of Rosa Bakery.');
    expect(sent.systemInstruction.parts[0]?.text).toContain('Q: Sunday?\nA: Closed.');
    expect(sent.systemInstruction.parts[0]?.text).not.toContain('Are you open on Sunday?');
    expect(sent.generationConfig).toMatchObject({ temperature: 0.3, maxOutputTokens: 256 });
    expect(sent.contents).toEqual([{ role: 'user', parts: [{ text: 'Are you open on Sunday?' }] }]);

    t.gemini.enqueue({ text: 'Monday to Saturday, 7 to 18.' });
    const second = await ask(token, { question: 'When then?', customer_id: 'ana@example.com' });
    expect(second.json<AskBody>().session_id).toBe(body.session_id);
    expect((generateCalls()[1]?.body as GenerateBody).contents).toEqual([
      { role: 'user', parts: [{ text: 'Are you open on Sunday?' }] },
      { role: 'model', parts: [{ text: 'We are closed on Sundays.' }] },
      { role: 'user', parts: [{ text: 'When then?' }] },
    ]);

    const [usage] = await t.db
      .select()
      .from(usageRecords)
      .where(eq(usageRecords.conversationId, body.session_id.slice(4)));
    expect(usage).toMatchObject({
      model: 'gemini-flash-latest',
      outcome: 'success',
      attempts: 1,
      promptTokens: 120,
      completionTokens: 8,
      thoughtTokens: 4,
      totalTokens: 132,
    });
    // 120 × $0.30 + 12 × $2.50 per million tokens.
    expect(usage?.estimatedCostUsd).toBeCloseTo((120 * 0.3 + 12 * 2.5) / 1e6, 12);
  });

  it("keeps one conversation per customer when a new customer's first messages arrive at once", async () => {
    const token = await t.business('busy');
    const responses = await Promise.all(
      Array.from({ length: 6 }, (_, index) =>
        ask(token, { question: `message ${index}`, customer_id: 'rush@example.com' }),
      ),
    );
    expect(responses.map((response) => response.statusCode)).toEqual([200, 200, 200, 200, 200, 200]);
    const sessionIds = new Set(responses.map((response) => response.json<AskBody>().session_id));
    expect(sessionIds.size).toBe(1);
    const [only] = [...sessionIds];
    expect((await session(token, only!)).messages.filter((m) => m.type === 'customer')).toHaveLength(6);
  });

  it("works with the seed's Python example verbatim (a form body)", async () => {
    const token = await t.business('seedshop');
    t.gemini.enqueue({ text: 'Our prices start at $5.' });
    const response = await ask(token, 'question=What+are+your+prices%3F&customer_id=test%40example.com', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      customer_id: 'test@example.com',
      question: 'What are your prices?',
      answer: 'Our prices start at $5.',
    });
  });

  it('stores the question but calls no model while auto-response is off', async () => {
    const token = await t.signUp('sleepy');
    const response = await ask(token, { question: 'hello?', customer_id: 'c1' });
    expect(response.statusCode).toBe(200);
    const body = response.json<AskBody>();
    expect(body).toMatchObject({ answer: null, success: true, auto_response_generated: false, reason: 'ai_disabled' });
    expect(generateCalls()).toHaveLength(0);
    expect((await session(token, body.session_id)).messages).toEqual([
      expect.objectContaining({ type: 'customer', text: 'hello?' }),
    ]);
    expectPublished(t, body.session_id, 'hello?');
  });

  it('keeps a question from the model once the operator has suspended the business from another process', async () => {
    const token = await t.business('paused');
    t.gemini.enqueue({ text: 'Hello!' }, { text: 'never sent' });
    // This process's settings, cached by the first answer, still say the AI answers.
    expect((await ask(token, { question: 'hi', customer_id: 'c1' })).json()).toMatchObject({
      answer: 'Hello!',
      auto_response_generated: true,
    });
    // What `ai_control suspend` does from another process: the cached settings do not know yet.
    const [owner] = await t.db.select({ id: users.id }).from(users).where(eq(users.username, 'paused'));
    await t.db.update(aiConfigs).set({ suspendedAt: new Date() }).where(eq(aiConfigs.userId, owner!.id));

    const response = await ask(token, { question: 'still there?', customer_id: 'c1' });
    expect(response.json()).toMatchObject({ answer: null, auto_response_generated: false, reason: 'suspended' });
    expect(generateCalls()).toHaveLength(1);
    const conversation = await session(token, response.json<AskBody>().session_id);
    expect(conversation.status).toBe('support_active');
    expect(conversation.messages.map((message) => [message.type, message.text])).toEqual([
      ['customer', 'hi'],
      ['AI', 'Hello!'],
      ['customer', 'still there?'],
      ['system', 'Handed to people (suspended).'],
    ]);
  });

  it('leaves conversations of a Manual business to people', async () => {
    const token = await t.business('handmade');
    await t.as(token, {
      method: 'PUT',
      url: '/api/v1/ai/default-handler/',
      payload: { default_reply_handler: 'Manual' },
    });
    const response = await ask(token, { question: 'hi', customer_id: 'c1' });
    expect(response.json()).toMatchObject({ auto_response_generated: false, reason: 'manual_handling' });
    expect(generateCalls()).toHaveLength(0);
    const conversation = await session(token, response.json<AskBody>().session_id);
    expect(conversation.status).toBe('support_active');
    expect(conversation.messages).toEqual([expect.objectContaining({ type: 'customer', text: 'hi' })]);
    expectPublished(t, response.json<AskBody>().session_id, 'hi');
  });

  it('answers outside business hours with the away message, sent once, and no model call', async () => {
    const token = await t.business('nighthawk', {
      business_hours_enabled: true,
      business_hours: { timezone: 'Europe/Paris', schedule: {} },
      away_message: 'We are closed; we will answer in the morning.',
    });
    const first = await ask(token, { question: 'open?', customer_id: 'owl' });
    expect(first.json()).toMatchObject({
      answer: 'We are closed; we will answer in the morning.',
      auto_response_generated: false,
      reason: 'outside_business_hours',
      success: true,
    });
    const second = await ask(token, { question: 'hello??', customer_id: 'owl' });
    expect(second.json()).toMatchObject({ reason: 'outside_business_hours' });
    expect(generateCalls()).toHaveLength(0);
    expect((await session(token, first.json<AskBody>().session_id)).messages.map((m) => m.type)).toEqual([
      'customer',
      'AI',
      'customer',
    ]);
    expectPublished(t, first.json<AskBody>().session_id, 'open?');
    expectPublished(t, first.json<AskBody>().session_id, 'hello??');
  });

  it('retries overload and rate limits, honouring the server’s retry delay', async () => {
    const token = await t.business('patient');
    t.gemini.enqueue(
      { error: { status: 503 } },
      { error: { status: 429, retryDelay: '0.2s' } },
      { text: 'Third time lucky.' },
    );
    const started = Date.now();
    const response = await ask(token, { question: 'hi', customer_id: 'c1' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ answer: 'Third time lucky.', success: true });
    expect(generateCalls()).toHaveLength(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    const usage = await t.db
      .select()
      .from(usageRecords)
      .where(eq(usageRecords.conversationId, response.json<AskBody>().session_id.slice(4)));
    expect(usage).toEqual([expect.objectContaining({ outcome: 'success', attempts: 3 })]);
  });

  it('answers 502 ai_unavailable after the retries, keeps the question and hands the conversation to people', async () => {
    const token = await t.business('unlucky');
    t.gemini.enqueue({ error: { status: 503 } }, { error: { status: 500 } }, { error: { status: 503 } });
    const response = await ask(token, { question: 'are you there?', customer_id: 'c1' });
    expect(response.statusCode).toBe(502);
    const body = response.json<AskBody>();
    expect(body).toMatchObject({ success: false, reason: 'ai_unavailable', answer: null, question: 'are you there?' });
    expect(generateCalls()).toHaveLength(3);

    const detail = await session(token, body.session_id);
    expect(detail.status).toBe('support_active');
    expect(detail.messages.map((m) => m.type)).toEqual(['customer', 'system']);
    const failures = await t.db
      .select()
      .from(usageRecords)
      .where(eq(usageRecords.conversationId, body.session_id.slice(4)));
    expect(failures).toEqual([
      expect.objectContaining({ outcome: 'error', errorClass: 'server_error', attempts: 3, totalTokens: 0 }),
    ]);

    // People have it now: the next message is not sent to the model.
    const next = await ask(token, { question: 'hello?', customer_id: 'c1' });
    expect(next.json()).toMatchObject({ reason: 'manual_handling' });
    expect(generateCalls()).toHaveLength(3);
  });

  it('does not retry a request the model rejects as invalid', async () => {
    const token = await t.business('invalid');
    t.gemini.enqueue({ error: { status: 400, message: 'Invalid JSON payload' } });
    const response = await ask(token, { question: 'hi', customer_id: 'c1' });
    expect(response.statusCode).toBe(502);
    expect(generateCalls()).toHaveLength(1);
  });

  it('gives up on a model that does not answer in time', async () => {
    const token = await t.business('slowpoke');
    t.gemini.enqueue(
      { text: 'late', delayMs: 5_000 },
      { text: 'late', delayMs: 5_000 },
      { text: 'late', delayMs: 5_000 },
    );
    const response = await ask(token, { question: 'hi', customer_id: 'c1' });
    expect(response.statusCode).toBe(502);
    const [usage] = await t.db
      .select()
      .from(usageRecords)
      .where(eq(usageRecords.conversationId, response.json<AskBody>().session_id.slice(4)));
    expect(usage).toMatchObject({ outcome: 'error', errorClass: 'timeout', attempts: 3 });
  });

  it('hands a safety-blocked conversation to people without an answer', async () => {
    const token = await t.business('careful');
    t.gemini.enqueue({ blockReason: 'SAFETY', usage: { promptTokenCount: 30, totalTokenCount: 30 } });
    const response = await ask(token, { question: 'something awful', customer_id: 'c1' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ answer: null, auto_response_generated: false, reason: 'safety_blocked' });
    const detail = await session(token, response.json<AskBody>().session_id);
    expect(detail.status).toBe('support_active');
    const [usage] = await t.db
      .select()
      .from(usageRecords)
      .where(eq(usageRecords.conversationId, response.json<AskBody>().session_id.slice(4)));
    expect(usage).toMatchObject({ outcome: 'blocked', errorClass: 'SAFETY', promptTokens: 30 });
  });

  it('ends an answer cut off by the token limit at its last full sentence', async () => {
    const token = await t.business('verbose');
    t.gemini.enqueue({ text: 'We open at nine. We close at six. On Sundays we', finishReason: 'MAX_TOKENS' });
    const response = await ask(token, { question: 'hours?', customer_id: 'c1' });
    expect(response.json()).toMatchObject({ answer: 'We open at nine. We close at six.', success: true });
  });

  it('refuses bad input with 400 and calls no model', async () => {
    const token = await t.business('strict');
    const cases: [Record<string, unknown>, string][] = [
      [{ customer_id: 'c1' }, 'question'],
      [{ question: '   ', customer_id: 'c1' }, 'question'],
      [{ question: 'x'.repeat(4_001), customer_id: 'c1' }, 'question'],
      [{ question: 42, customer_id: 'c1' }, 'question'],
      [{ question: 'hi' }, 'customer_id'],
      [{ question: 'hi', customer_id: '' }, 'customer_id'],
      [{ question: 'hi', customer_id: ['a', 'b'] }, 'customer_id'],
    ];
    for (const [payload, field] of cases) {
      const response = await ask(token, payload);
      expect(response.statusCode, JSON.stringify(payload).slice(0, 60)).toBe(400);
      expect(response.json()).toMatchObject({ code: 'validation_error', errors: { [field]: expect.any(Array) } });
    }
    expect(generateCalls()).toHaveLength(0);
  });

  it('needs a token', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/ai/ask/',
      payload: { question: 'hi', customer_id: 'c' },
    });
    expect(response.statusCode).toBe(401);
  });
});

describe('without a global key', () => {
  it('stores the question and says no key is configured', async () => {
    const keyless = await createTestApp();
    try {
      const token = await keyless.signUp('nokey');
      await keyless.as(token, { method: 'PUT', url: '/api/v1/ai/config/', payload: { auto_response_enabled: true } });
      const response = await keyless.as(token, {
        method: 'POST',
        url: '/api/v1/ai/ask/',
        payload: { question: 'hi', customer_id: 'c1' },
      });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ reason: 'no_api_key', auto_response_generated: false });
      const sessionId = response.json<AskBody>().session_id;
      const stored = await keyless.as(token, { method: 'GET', url: `/api/v1/ai/sessions/${sessionId}/` });
      expect(stored.json<{ messages: { type: string; text: string }[] }>().messages).toEqual([
        expect.objectContaining({ type: 'customer', text: 'hi' }),
      ]);
      expectPublished(keyless, sessionId, 'hi');
      const config = await keyless.as(token, { method: 'GET', url: '/api/v1/ai/config/' });
      expect(config.json()).toMatchObject({ api_key_configured: false, auto_response_enabled: true });
    } finally {
      await keyless.close();
    }
  });
});
