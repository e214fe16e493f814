import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { findUser } from '../../src/auth/auth.service.js';
import { usageRecords } from '../../src/db/schema/index.js';
import { createLocalCache, type Cache } from '../../src/infra/cache.js';
import { createRedisCache } from '../../src/infra/redis-cache.js';
import type { EmulatorRequest } from '../../src/emulator/request.js';
import { GeminiFake } from '../fakes/gemini.js';
import { createAiTestApp, TEST_GEMINI_KEY, type AiTestApp } from '../helpers/ai.js';
import { testRedisPrefix } from '../helpers/redis-prefix.js';

/**
 * PARLEY_EXPLICIT_CACHE=on: a business whose stable prompt reaches the model's minimum gets one
 * cachedContents entry, shared by every reply and process, and the same answers as without it.
 */
let clock = Date.parse('2026-11-24T09:00:00Z');
let gemini: GeminiFake;
let shared: Cache;
let t: AiTestApp;
/** A second process: same emulator, same shared cache. */
let other: AiTestApp;

const ENV = { GEMINI_RETRIES: '0', PARLEY_EXPLICIT_CACHE: 'on', PARLEY_ALLOWED_MODELS: 'gemini-2.5-flash' };

const sharedPrefix = testRedisPrefix('explicit');

beforeAll(async () => {
  gemini = await GeminiFake.start({ apiKey: TEST_GEMINI_KEY, now: () => clock });
  // On the PostgreSQL suite with Redis, the two "processes" share the entry's name through Redis.
  const redisUrl = process.env.TEST_REDIS_URL;
  shared = redisUrl
    ? createRedisCache(
        redisUrl,
        (error) => {
          throw error;
        },
        sharedPrefix,
      )
    : createLocalCache();
  t = await createAiTestApp(ENV, { gemini, cache: shared });
  other = await createAiTestApp(ENV, { gemini, cache: shared });
});
afterAll(async () => {
  await t.close();
  await other.close();
  await gemini.close();
  await shared.close();
});
beforeEach(() => gemini.reset());
afterEach(() => {
  clock = Date.parse('2026-11-24T09:00:00Z');
});

/** About 1,300 tokens of the business's own material: above 2.5 Flash's minimum of 1,024. */
const bigKnowledge = (shop: string) =>
  [`${shop} opens Monday to Saturday, 7:00 to 18:00, and is closed on Sundays.`]
    .concat(Array.from({ length: 70 }, (_, i) => `Cake number ${i + 1} of ${shop} costs ${10 + i} euros a slice.`))
    .join('\n');

const business = (app: AiTestApp, name: string, knowledge = bigKnowledge(name)) =>
  app.business(name, { model_name: 'gemini-2.5-flash', prompts: { knowledge_source: knowledge } });
const ask = (app: AiTestApp, token: string, customer: string, question = 'Do you open on Saturday?') =>
  app.as(token, { method: 'POST', url: '/api/v1/ai/ask/', payload: { question, customer_id: customer } });

interface Body {
  cachedContent?: string;
  systemInstruction?: { parts: { text: string }[] };
  tools?: unknown[];
  contents: { role: string; parts: { text: string }[] }[];
  model?: string;
  ttl?: string;
}
const calls = (method: EmulatorRequest['method']) =>
  gemini.requests.filter((request) => request.method === method).map((request) => request.body as Body);
const generated = () => [...calls('streamGenerateContent'), ...calls('generateContent')];

async function usageOf(app: AiTestApp, username: string) {
  const user = await findUser(app.db, username);
  return app.db.select().from(usageRecords).where(eq(usageRecords.userId, user!.id));
}

describe('explicit prompt cache', () => {
  it('puts the stable prompt and tools in one entry, sends only the clock, and answers the same', async () => {
    const token = await business(t, 'rosa-explicit');
    const first = await ask(t, token, 'ana');
    expect(first.json()).toMatchObject({ success: true, answer: expect.stringContaining('Saturday') });

    const [created] = calls('createCachedContent');
    expect(created).toMatchObject({ model: 'models/gemini-2.5-flash', ttl: '3600s', tools: [expect.anything()] });
    expect(created?.systemInstruction?.parts[0]?.text).toContain('Cake number 70 of rosa-explicit');
    expect(created?.systemInstruction?.parts[0]?.text).not.toContain('local date and time');

    const [call] = generated();
    expect(call?.cachedContent).toMatch(/^cachedContents\//);
    expect(call).not.toHaveProperty('systemInstruction');
    expect(call).not.toHaveProperty('tools');
    // The business's settings still reach the call beside the entry: thinking off, max_tokens for the answer.
    expect(call).toMatchObject({ generationConfig: { maxOutputTokens: 1024, thinkingConfig: { thinkingBudget: 0 } } });
    // The clock opens the customer's turn as a part of its own; the question stays its last part.
    expect(call?.contents).toEqual([
      {
        role: 'user',
        parts: [
          { text: expect.stringMatching(/^The business's local date and time now: .+ \(UTC\)\.$/) },
          { text: 'Do you open on Saturday?' },
        ],
      },
    ]);

    // A second reply reuses the entry: no new one, and its tokens are billed at the cached rate.
    const second = await ask(t, token, 'ben');
    expect(second.json()).toMatchObject({ success: true, answer: first.json<{ answer: string }>().answer });
    expect(calls('createCachedContent')).toHaveLength(1);
    expect(generated().map((body) => body.cachedContent)).toEqual([call?.cachedContent, call?.cachedContent]);
    const rows = await usageOf(t, 'rosa-explicit');
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row.cachedTokens).toBeGreaterThan(1_024);
      expect(row.cachedTokens).toBeLessThan(row.promptTokens);
      expect(row.cacheSavingUsd).toBeCloseTo(row.cachedTokens * (0.3e-6 - 0.03e-6), 9);
    }
  });

  it('is shared by another process, which never creates a second entry', async () => {
    const token = await business(t, 'two-processes');
    await Promise.all([ask(t, token, 'ana'), ask(other, token, 'ben')]);
    await ask(other, token, 'cleo');
    expect(calls('createCachedContent')).toHaveLength(1);
    // The process that lost the race answered the plain way; after that, both use the entry.
    expect(generated().at(-1)?.cachedContent).toMatch(/^cachedContents\//);
  });

  it('is not used for a prompt below the model minimum', async () => {
    const token = await business(t, 'small-shop', 'Open 7 to 18.');
    expect((await ask(t, token, 'ana')).json()).toMatchObject({ success: true });
    expect(calls('createCachedContent')).toEqual([]);
    expect(generated()[0]?.systemInstruction?.parts[0]?.text).toContain('Open 7 to 18.');
  });

  it('is replaced when the prompts change, the old entry deleted', async () => {
    const token = await business(t, 'changing-shop');
    await ask(t, token, 'ana');
    const before = generated()[0]?.cachedContent;
    await t.as(token, {
      method: 'PATCH',
      url: '/api/v1/ai/config/',
      payload: { prompts: { knowledge_source: bigKnowledge('changing-shop renamed') } },
    });
    await ask(t, token, 'ben');
    const after = generated()[1]?.cachedContent;
    expect(after).toMatch(/^cachedContents\//);
    expect(after).not.toBe(before);
    expect(calls('createCachedContent')).toHaveLength(2);
    expect(gemini.requests.filter((request) => request.method === 'deleteCachedContent')).toHaveLength(1);
  });

  it('falls back to the plain request in the same reply when the entry is gone, then makes a new one', async () => {
    const token = await business(t, 'expiring-shop');
    const cached = (await ask(t, token, 'ana')).json<{ answer: string }>().answer;
    // Google dropped the entry before Parley forgot it (as if deleted by hand).
    clock += 2 * 60 * 60_000;
    const reply = await ask(t, token, 'ben');
    // The same answer as through the entry: the model read the same prompt either way.
    expect(reply.json()).toMatchObject({ success: true, answer: cached });
    expect(cached).toContain('Saturday');
    const [, refused, plain] = generated();
    expect(refused?.cachedContent).toMatch(/^cachedContents\//);
    expect(plain).not.toHaveProperty('cachedContent');
    expect(plain?.systemInstruction?.parts[0]?.text).toContain('Cake number 70');
    // The gone entry was forgotten: the next reply creates a fresh one.
    await ask(t, token, 'cleo');
    expect(calls('createCachedContent')).toHaveLength(2);
    expect(generated().at(-1)?.cachedContent).toMatch(/^cachedContents\//);
  });
});

describe('explicit prompt cache refused', () => {
  let strict: GeminiFake;
  let app: AiTestApp;
  beforeAll(async () => {
    strict = await GeminiFake.start({ apiKey: TEST_GEMINI_KEY, cacheMinTokens: 100_000 });
    app = await createAiTestApp(ENV, { gemini: strict });
  });
  afterAll(async () => {
    await app.close();
    await strict.close();
  });

  it('answers the plain way, and does not ask again for the same prompt', async () => {
    const token = await business(app, 'refused-shop');
    for (const customer of ['ana', 'ben']) {
      expect((await ask(app, token, customer)).json()).toMatchObject({ success: true });
    }
    const methods = strict.requests.map((request) => request.method);
    expect(methods).toEqual(['createCachedContent', 'streamGenerateContent', 'streamGenerateContent']);
    for (const request of strict.requests.slice(1)) {
      expect((request.body as Body).systemInstruction?.parts[0]?.text).toContain('Cake number 70');
    }
  });
});
