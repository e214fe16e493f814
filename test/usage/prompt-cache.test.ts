import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { findUser } from '../../src/auth/auth.service.js';
import { usageRecords } from '../../src/db/schema/index.js';
import { cacheWatchers } from '../../src/events/watchers.js';
import { createLocalCache } from '../../src/infra/cache.js';
import { createAiTestApp, type AiTestApp } from '../helpers/ai.js';

interface Totals {
  requests: number;
  prompt_tokens: number;
  cached_tokens: number;
  estimated_cost_usd: number;
  cache_saving_usd: number;
  unpriced_requests: number;
}

interface Report {
  totals: Totals;
  by_model: (Totals & { model: string })[];
  daily: (Totals & { date: string })[];
  unpriced_models: string[];
}

interface GenerateBody {
  systemInstruction: { parts: { text: string }[] };
}

let t: AiTestApp;
/** Nobody watches its businesses, so replies are asked for whole (generateContent), not streamed. */
let unwatched: AiTestApp;

beforeAll(async () => {
  // The operator allows a model the price table does not name.
  t = await createAiTestApp({ GEMINI_RETRIES: '0', PARLEY_ALLOWED_MODELS: 'gemini-3-flash-preview' });
  unwatched = await createAiTestApp({ GEMINI_RETRIES: '0' }, { watchers: cacheWatchers(createLocalCache()) });
});
afterAll(async () => {
  await t.close();
  await unwatched.close();
});
beforeEach(() => {
  t.gemini.reset();
  unwatched.gemini.reset();
});
afterEach(() => vi.useRealTimers());

const ask = (app: AiTestApp, token: string, customer: string, question = 'Are you open now?') =>
  app.as(token, { method: 'POST', url: '/api/v1/ai/ask/', payload: { question, customer_id: customer } });

async function records(app: AiTestApp, username: string) {
  const user = await findUser(app.db, username);
  return app.db.select().from(usageRecords).where(eq(usageRecords.userId, user!.id));
}

async function report(app: AiTestApp, token: string, url = '/api/v1/ai/usage/stats/?days=1') {
  const response = await app.as(token, { method: 'GET', url });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<Report>();
}

const prompts = {
  manual_prompt: 'You are the assistant of Rosa Bakery.',
  knowledge_source: 'Open Monday to Saturday, 7:00 to 18:00.',
  question_answer: 'Q: Sunday?\nA: Closed.',
};

// gemini-flash-latest: input 0.3, cached 0.03, output 2.5 USD per million tokens.
const FLASH_COST = (10_000 - 8_000) * 0.3e-6 + 8_000 * 0.03e-6 + 50 * 2.5e-6;
const FLASH_SAVING = 8_000 * (0.3e-6 - 0.03e-6);
const cachedReply = {
  text: 'Yes, until 18:00.',
  usage: {
    promptTokenCount: 10_000,
    candidatesTokenCount: 50,
    totalTokenCount: 10_050,
    cachedContentTokenCount: 8_000,
  },
};

describe('implicit prompt caching', () => {
  it('sends the same system instruction a minute later, up to the local time at its end', async () => {
    const token = await t.business('rosa-cache', { prompts });
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-11-24T09:30:10Z') });
    t.gemini.enqueue({ text: 'Yes, we are open.' });
    expect((await ask(t, token, 'ana')).statusCode).toBe(200);
    vi.setSystemTime(new Date('2026-11-24T09:31:10Z'));
    t.gemini.enqueue({ text: 'Still open.' });
    expect((await ask(t, token, 'ben')).statusCode).toBe(200);

    const [first, second] = t.gemini.requests
      .filter((request) => request.method === 'streamGenerateContent')
      .map((request) => (request.body as GenerateBody).systemInstruction.parts[0]!.text);
    expect(first).not.toBe(second);
    const firstLines = first!.split('\n');
    const secondLines = second!.split('\n');
    // Everything but the last line is byte-identical; the last line is the clock the model answers "open now?" from.
    expect(firstLines.slice(0, -1).join('\n')).toBe(secondLines.slice(0, -1).join('\n'));
    expect(firstLines.at(-1)).toBe("The business's local date and time now: Tuesday 24 November 2026, 09:30 (UTC).");
    expect(secondLines.at(-1)).toBe("The business's local date and time now: Tuesday 24 November 2026, 09:31 (UTC).");
    expect(first).toContain('<knowledge>\nOpen Monday to Saturday, 7:00 to 18:00.\n</knowledge>');
  });
});

describe('cached tokens', () => {
  it('are recorded from a streamed reply and priced at the cached rate', async () => {
    const token = await t.business('streamed-cache');
    t.gemini.enqueue(cachedReply);
    expect((await ask(t, token, 'ana')).statusCode).toBe(200);
    expect(t.gemini.requests.map((request) => request.method)).toContain('streamGenerateContent');

    const [row] = await records(t, 'streamed-cache');
    expect(row).toMatchObject({ promptTokens: 10_000, cachedTokens: 8_000, model: 'gemini-flash-latest' });
    expect(row?.estimatedCostUsd).toBeCloseTo(FLASH_COST, 9);
    expect(row?.cacheSavingUsd).toBeCloseTo(FLASH_SAVING, 9);

    const body = await report(t, token);
    for (const totals of [body.totals, body.by_model[0], body.daily.at(-1)]) {
      expect(totals).toMatchObject({ requests: 1, prompt_tokens: 10_000, cached_tokens: 8_000, unpriced_requests: 0 });
      expect(totals?.estimated_cost_usd).toBeCloseTo(FLASH_COST, 9);
      expect(totals?.cache_saving_usd).toBeCloseTo(FLASH_SAVING, 9);
    }
    expect(body.unpriced_models).toEqual([]);
  });

  it('are recorded from a whole (not streamed) reply', async () => {
    const token = await unwatched.business('unary-cache');
    unwatched.gemini.enqueue(cachedReply);
    expect((await ask(unwatched, token, 'ana')).statusCode).toBe(200);
    expect(unwatched.gemini.requests.map((request) => request.method)).toEqual(['generateContent']);
    const [row] = await records(unwatched, 'unary-cache');
    expect(row).toMatchObject({ promptTokens: 10_000, cachedTokens: 8_000 });
    expect(row?.estimatedCostUsd).toBeCloseTo(FLASH_COST, 9);
  });

  it('are zero when Gemini reports none', async () => {
    const token = await t.business('no-cache');
    t.gemini.enqueue({ text: 'Hi.', usage: { promptTokenCount: 400, candidatesTokenCount: 4, totalTokenCount: 404 } });
    await ask(t, token, 'ana');
    const [row] = await records(t, 'no-cache');
    expect(row).toMatchObject({ cachedTokens: 0, cacheSavingUsd: 0 });
    expect(row?.estimatedCostUsd).toBeCloseTo(400 * 0.3e-6 + 4 * 2.5e-6, 9);
  });
});

describe('a model without a price', () => {
  it('has its calls counted but its cost unknown, not priced as Flash', async () => {
    const token = await t.business('unpriced', { model_name: 'gemini-3-flash-preview' });
    t.gemini.enqueue({ ...cachedReply, usage: { ...cachedReply.usage } });
    expect((await ask(t, token, 'ana')).statusCode).toBe(200);
    await t.as(token, { method: 'PATCH', url: '/api/v1/ai/config/', payload: { model_name: 'gemini-flash-latest' } });
    t.gemini.enqueue(cachedReply);
    expect((await ask(t, token, 'ben')).statusCode).toBe(200);

    const rows = await records(t, 'unpriced');
    expect(rows.find((row) => row.model === 'gemini-3-flash-preview')).toMatchObject({
      cachedTokens: 8_000,
      estimatedCostUsd: null,
      cacheSavingUsd: null,
    });

    const body = await report(t, token);
    expect(body.unpriced_models).toEqual(['gemini-3-flash-preview']);
    expect(body.totals).toMatchObject({ requests: 2, cached_tokens: 16_000, unpriced_requests: 1 });
    // The total is the priced call's cost alone, not twice Flash's.
    expect(body.totals.estimated_cost_usd).toBeCloseTo(FLASH_COST, 9);
    expect(body.by_model.find((row) => row.model === 'gemini-3-flash-preview')).toMatchObject({
      requests: 1,
      unpriced_requests: 1,
      estimated_cost_usd: 0,
      cache_saving_usd: 0,
    });

    const config = await t.as(token, { method: 'GET', url: '/api/v1/ai/config/' });
    expect(config.json<{ models: unknown[] }>().models).toContainEqual({
      name: 'gemini-flash-latest',
      input_usd_per_million: 0.3,
      output_usd_per_million: 2.5,
      cached_input_usd_per_million: 0.03,
    });
  });
});

describe('GET /api/v1/ai/usage/global/', () => {
  it('reports cached tokens, the saving and the unpriced models', async () => {
    const admin = await t.signUp('cache-operator', { isAdmin: true });
    const token = await t.business('global-cache');
    t.gemini.enqueue(cachedReply);
    await ask(t, token, 'ana');

    const body = await report(t, admin, '/api/v1/ai/usage/global/?days=1');
    const everything = await t.db.select().from(usageRecords);
    expect(body.totals.cached_tokens).toBe(everything.reduce((n, row) => n + row.cachedTokens, 0));
    expect(body.totals.cache_saving_usd).toBeCloseTo(
      everything.reduce((n, row) => n + (row.cacheSavingUsd ?? 0), 0),
      9,
    );
    expect(body.totals.unpriced_requests).toBe(everything.filter((row) => row.estimatedCostUsd === null).length);
    expect(body.unpriced_models).toEqual([
      ...new Set(everything.filter((row) => row.estimatedCostUsd === null).map((row) => row.model)),
    ]);
    const flash = body.by_model.find((row) => row.model === 'gemini-flash-latest');
    expect(flash?.cached_tokens).toBeGreaterThanOrEqual(8_000);
    expect(body.daily.at(-1)?.cached_tokens).toBe(body.totals.cached_tokens);
  });
});
