import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { findUser } from '../../src/auth/auth.service.js';
import { conversations, messages, usageRecords } from '../../src/db/schema/index.js';
import { cacheWatchers } from '../../src/events/watchers.js';
import { createLocalCache } from '../../src/infra/cache.js';
import { createAiTestApp, type AiTestApp } from '../helpers/ai.js';

/** How much the model thinks is the business's to set, and the customer only ever sees the answer. */
let t: AiTestApp;
/** Nobody watches its businesses: replies come whole (generateContent), not streamed. */
let unwatched: AiTestApp;

const MODELS = { PARLEY_ALLOWED_MODELS: 'gemini-2.5-flash,gemini-2.5-flash-lite,gemini-2.5-pro' };
const THOUGHT = 'SECRET REASONING the customer must never read';

beforeAll(async () => {
  t = await createAiTestApp({ GEMINI_RETRIES: '0', ...MODELS });
  unwatched = await createAiTestApp(
    { GEMINI_RETRIES: '0', ...MODELS },
    { watchers: cacheWatchers(createLocalCache()) },
  );
});
afterAll(async () => {
  await t.close();
  await unwatched.close();
});
beforeEach(() => {
  t.gemini.reset();
  unwatched.gemini.reset();
});

interface GenerationConfig {
  maxOutputTokens: number;
  thinkingConfig?: { thinkingBudget: number };
}

const ask = (app: AiTestApp, token: string, question = 'When do you open?') =>
  app.as(token, { method: 'POST', url: '/api/v1/ai/ask/', payload: { question, customer_id: 'ana' } });
const generationConfig = (app: AiTestApp) =>
  app.gemini.requests
    .filter((request) => /generatecontent$/i.test(request.method))
    .map((request) => (request.body as { generationConfig: GenerationConfig }).generationConfig);
const config = async (app: AiTestApp, token: string) =>
  (await app.as(token, { method: 'GET', url: '/api/v1/ai/config/' })).json<{
    thinking_budget: number | null;
    thinking_budget_in_use: number | null;
  }>();
const put = (token: string, payload: Record<string, unknown>) =>
  t.as(token, { method: 'PUT', url: '/api/v1/ai/config/', payload });

async function storedTexts(app: AiTestApp, username: string): Promise<string[]> {
  const user = await findUser(app.db, username);
  const rows = await app.db
    .select({ text: messages.text })
    .from(messages)
    .innerJoin(conversations, eq(conversations.id, messages.conversationId))
    .where(eq(conversations.userId, user!.id));
  return rows.map((row) => row.text);
}

describe('Parley default thinking budget', () => {
  it('turns thinking off on 2.5 Flash and Flash-Lite, leaving max_tokens for the answer', async () => {
    for (const model of ['gemini-2.5-flash', 'gemini-2.5-flash-lite']) {
      t.gemini.reset();
      const token = await t.business(`off-${model}`, { model_name: model, max_tokens: 300 });
      expect(await config(t, token)).toEqual(
        expect.objectContaining({ thinking_budget: null, thinking_budget_in_use: 0 }),
      );
      expect((await ask(t, token)).json()).toMatchObject({ success: true, auto_response_generated: true });
      expect(generationConfig(t)).toEqual([
        expect.objectContaining({ maxOutputTokens: 300, thinkingConfig: { thinkingBudget: 0 } }),
      ]);
    }
  });

  it('gives 2.5 Pro its smallest budget on top of a small max_tokens, so the answer still has room', async () => {
    const token = await t.business('pro-small', {
      model_name: 'gemini-2.5-pro',
      max_tokens: 20,
    });
    expect(await config(t, token)).toMatchObject({ thinking_budget: null, thinking_budget_in_use: 128 });
    t.gemini.enqueue({ text: 'We open at 8 on weekdays.' });
    const response = await ask(t, token);
    // The emulator thinks the whole budget; without the extra room it would answer MAX_TOKENS with only a thought.
    expect(response.json()).toMatchObject({ success: true, answer: 'We open at 8 on weekdays.' });
    expect(generationConfig(t)).toEqual([
      expect.objectContaining({ maxOutputTokens: 148, thinkingConfig: { thinkingBudget: 128 } }),
    ]);
    const user = await findUser(t.db, 'pro-small');
    const [row] = await t.db.select().from(usageRecords).where(eq(usageRecords.userId, user!.id));
    // Thoughts are billed as output: 2.5 Pro has no row in the default price table, so check the tokens.
    expect(row).toMatchObject({ thoughtTokens: 128, outcome: 'success' });
  });

  it('sends no thinkingConfig for a model Parley does not know, unless the business set a budget', async () => {
    const token = await t.business('alias');
    expect(await config(t, token)).toMatchObject({ thinking_budget: null, thinking_budget_in_use: null });
    await ask(t, token);
    expect(generationConfig(t)[0]).not.toHaveProperty('thinkingConfig');
    expect(generationConfig(t)[0]).toMatchObject({ maxOutputTokens: 1024 });

    expect((await put(token, { thinking_budget: 256 })).statusCode).toBe(200);
    await ask(t, token, 'And on Sunday?');
    expect(generationConfig(t)[1]).toMatchObject({ maxOutputTokens: 1280, thinkingConfig: { thinkingBudget: 256 } });
  });
});

describe('a business thinking budget', () => {
  it('is kept, shown and sent', async () => {
    const token = await t.business('thinker', { model_name: 'gemini-2.5-flash', thinking_budget: 512 });
    expect(await config(t, token)).toMatchObject({ thinking_budget: 512, thinking_budget_in_use: 512 });
    await ask(t, token);
    expect(generationConfig(t)).toEqual([
      expect.objectContaining({ maxOutputTokens: 1024 + 512, thinkingConfig: { thinkingBudget: 512 } }),
    ]);
    // Null goes back to Parley's default.
    expect((await put(token, { thinking_budget: null })).json()).toMatchObject({
      thinking_budget: null,
      thinking_budget_in_use: 0,
    });
  });

  it('is refused with 400 naming the range when the model cannot take it, and nothing changes', async () => {
    const token = await t.business('picky', { model_name: 'gemini-2.5-flash-lite', thinking_budget: 1000 });
    const tooSmall = await put(token, { thinking_budget: 64 });
    expect(tooSmall.statusCode).toBe(400);
    const liteRange = 'gemini-2.5-flash-lite takes a thinking budget of 0 (thinking off) or 512 to 24576 tokens.';
    expect(tooSmall.json()).toEqual({
      detail: `thinking_budget: ${liteRange}`,
      code: 'validation_error',
      errors: { thinking_budget: [liteRange] },
    });

    const proOff = await put(token, { model_name: 'gemini-2.5-pro', thinking_budget: 0 });
    expect(proOff.statusCode).toBe(400);
    expect(proOff.json<{ errors: { thinking_budget: string[] } }>().errors.thinking_budget).toEqual([
      'gemini-2.5-pro takes a thinking budget of 128 to 32768 tokens (gemini-2.5-pro cannot turn thinking off).',
    ]);
    // Switching models checks the budget already stored.
    expect((await put(token, { thinking_budget: 0 })).statusCode).toBe(200);
    expect((await put(token, { model_name: 'gemini-2.5-pro' })).statusCode).toBe(400);

    for (const bad of [-1, 40_000, 1.5, 'lots']) {
      const response = await put(token, { thinking_budget: bad });
      expect(response.statusCode, String(bad)).toBe(400);
      expect(response.json()).toMatchObject({
        code: 'validation_error',
        errors: { thinking_budget: [expect.any(String)] },
      });
    }
    expect(await config(t, token)).toMatchObject({ thinking_budget: 0, thinking_budget_in_use: 0 });
  });
});

describe('thought tokens', () => {
  it('are billed at the output rate', async () => {
    const token = await t.business('billed-thinking', { model_name: 'gemini-2.5-flash', thinking_budget: 100 });
    t.gemini.enqueue({
      text: 'We open at 8.',
      usage: { promptTokenCount: 1_000, candidatesTokenCount: 10, thoughtsTokenCount: 100 },
    });
    await ask(t, token);
    const user = await findUser(t.db, 'billed-thinking');
    const [row] = await t.db.select().from(usageRecords).where(eq(usageRecords.userId, user!.id));
    expect(row).toMatchObject({ promptTokens: 1_000, completionTokens: 10, thoughtTokens: 100 });
    // gemini-2.5-flash: 0.30 USD in, 2.50 out per million; thoughts count as output.
    expect(row?.estimatedCostUsd).toBeCloseTo(1_000 * 0.3e-6 + 110 * 2.5e-6, 9);
  });
});

describe('thought parts', () => {
  it('never reach the customer, the agents watching, or the stored answer, streamed or whole', async () => {
    for (const app of [t, unwatched]) {
      const token = await app.business(`thoughts-${app === t ? 'streamed' : 'whole'}`, {
        model_name: 'gemini-2.5-flash',
        thinking_budget: 100,
      });
      app.gemini.enqueue({ thought: THOUGHT, text: 'We open at 8.', usage: { thoughtsTokenCount: 100 } });
      const response = await ask(app, token);
      expect(response.json()).toMatchObject({ answer: 'We open at 8.', success: true });
      const published = JSON.stringify(app.published);
      expect(published).toContain('We open at 8.');
      expect(published).not.toContain('SECRET REASONING');
      const stored = await storedTexts(app, `thoughts-${app === t ? 'streamed' : 'whole'}`);
      expect(stored).toContain('We open at 8.');
      expect(stored).not.toContainEqual(expect.stringContaining('SECRET REASONING'));
    }
    expect(JSON.stringify(t.published.filter(({ event }) => event.type === 'ai.reply.delta'))).toContain('We open');
  });

  it('are not stored or shown when the model hands over by a function call after thinking', async () => {
    const token = await t.business('thinks-then-hands-over', {
      model_name: 'gemini-2.5-flash',
      thinking_budget: 100,
      handover_message: 'A person will reply soon.',
    });
    t.gemini.enqueue({
      thought: THOUGHT,
      functionCall: { name: 'handover_to_human', args: { reason: 'customer_request' } },
    });
    const response = await ask(t, token, 'A person please');
    expect(response.json()).toMatchObject({ answer: 'A person will reply soon.', auto_response_generated: false });
    expect(JSON.stringify(t.published)).not.toContain('SECRET REASONING');
    const stored = await storedTexts(t, 'thinks-then-hands-over');
    expect(stored).toContain('A person please');
    expect(stored).not.toContainEqual(expect.stringContaining('SECRET'));
  });

  it('alone (the limit ran out while thinking) hand the customer to people instead of sending nothing', async () => {
    const token = await t.business('out-of-room', { model_name: 'gemini-2.5-flash', thinking_budget: 100 });
    t.gemini.enqueue({ thought: THOUGHT, finishReason: 'MAX_TOKENS', usage: { thoughtsTokenCount: 100 } });
    const response = await ask(t, token);
    expect(response.json()).toMatchObject({ answer: null, success: false, reason: 'ai_unavailable' });
    expect(JSON.stringify(t.published)).not.toContain('SECRET REASONING');
  });
});
