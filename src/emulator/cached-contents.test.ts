import { GoogleGenAI } from '@google/genai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiError, collect, rpcBody } from '../../test/helpers/genai.js';
import { GeminiEmulator } from './gemini.js';

/** The emulator's cachedContents, through the real SDK's `ai.caches`. */
let clock = Date.parse('2026-11-24T09:00:00Z');
let emulator: GeminiEmulator;
let ai: GoogleGenAI;

beforeAll(async () => {
  emulator = await GeminiEmulator.start({ now: () => clock });
  ai = new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: emulator.url } });
});
afterAll(() => emulator.close());

/** 1,100 tokens at the emulator's four characters a token: above 2.5 Flash's 1,024. */
const LONG = `Rosa Bakery opens at 7 on weekdays. ${'Fresh bread every morning. '.repeat(160)}`;
const create = (systemInstruction = LONG, model = 'gemini-2.5-flash') =>
  ai.caches.create({
    model,
    config: {
      systemInstruction,
      ttl: '600s',
      tools: [{ functionDeclarations: [{ name: 'handover_to_human', description: 'Hand over to people.' }] }],
    },
  });

describe('cachedContents in the Gemini emulator', () => {
  it('creates, reads, lists and deletes an entry with its TTL and token count', async () => {
    const entry = await create();
    expect(entry).toMatchObject({
      name: expect.stringMatching(/^cachedContents\/[0-9a-f]+$/),
      model: 'models/gemini-2.5-flash',
      expireTime: '2026-11-24T09:10:00.000Z',
      usageMetadata: { totalTokenCount: Math.ceil(LONG.length / 4) },
    });
    expect((await ai.caches.get({ name: entry.name! })).name).toBe(entry.name);
    const listed: (string | undefined)[] = [];
    for await (const item of await ai.caches.list()) listed.push(item.name);
    expect(listed).toContain(entry.name);
    await ai.caches.delete({ name: entry.name! });
    const gone = await apiError(ai.caches.get({ name: entry.name! }));
    expect(gone.status).toBe(404);
    expect(rpcBody(gone).message).toBe('CachedContent not found (or permission denied)');
  });

  it('answers generate calls from the entry, counting its tokens as cached', async () => {
    const entry = await create();
    const tokens = entry.usageMetadata!.totalTokenCount!;
    const whole = await ai.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'When do you open?',
      config: { cachedContent: entry.name! },
    });
    // The simulated model read the cached instruction: it answers from it.
    expect(whole.text).toContain('opens at 7');
    expect(whole.usageMetadata?.cachedContentTokenCount).toBe(tokens);
    expect(whole.usageMetadata?.promptTokenCount).toBeGreaterThan(tokens);

    const chunks = await collect(
      await ai.models.generateContentStream({
        model: 'gemini-2.5-flash',
        contents: 'When do you open?',
        config: { cachedContent: entry.name! },
      }),
    );
    expect(chunks.at(-1)?.usageMetadata?.cachedContentTokenCount).toBe(tokens);
  });

  it('refuses what Google refuses: too small, instruction or tools next to the entry, another model, expired', async () => {
    const small = await apiError(create('Open at 7.'));
    expect(small.status).toBe(400);
    expect(rpcBody(small).message).toBe('Cached content is too small. total_token_count=3, min_total_token_count=1024');

    const entry = await create();
    const both = await apiError(
      ai.models.generateContent({
        model: 'gemini-2.5-flash',
        contents: 'hi',
        config: { cachedContent: entry.name!, systemInstruction: 'Be brief.' },
      }),
    );
    expect(both.status).toBe(400);
    expect(rpcBody(both).message).toMatch(/^CachedContent can not be used with GenerateContent request setting/);

    const otherModel = await apiError(
      ai.models.generateContent({
        model: 'gemini-2.5-flash-lite',
        contents: 'hi',
        config: { cachedContent: entry.name! },
      }),
    );
    expect(rpcBody(otherModel).message).toContain('has to be the same');

    clock += 11 * 60_000;
    const expired = await apiError(
      ai.models.generateContentStream({
        model: 'gemini-2.5-flash',
        contents: 'hi',
        config: { cachedContent: entry.name! },
      }),
    );
    expect(expired.status).toBe(404);
  });
});
