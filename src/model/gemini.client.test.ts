import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGeminiProvider } from './gemini.client.js';
import { GeminiFake } from '../../test/fakes/gemini.js';
import { helloRequest } from '../../test/helpers/model-request.js';
import { backoffDelay, DEFAULT_RETRY_POLICY, ModelError } from './model-provider.js';

let gemini: GeminiFake;

beforeAll(async () => {
  gemini = await GeminiFake.start({ apiKey: 'k' });
});
afterAll(() => gemini.close());
beforeEach(() => gemini.reset());

const provider = (policy = {}) =>
  createGeminiProvider({ apiKey: 'k', baseUrl: gemini.url, policy: { baseDelayMs: 10, maxDelayMs: 50, ...policy } });

describe('Gemini provider', () => {
  it('returns the text, the finish reason and the usage', async () => {
    gemini.enqueue({
      text: 'Hi!',
      usage: { promptTokenCount: 10, candidatesTokenCount: 2, thoughtsTokenCount: 5, totalTokenCount: 17 },
    });
    expect(await provider().generate(helloRequest)).toMatchObject({
      kind: 'text',
      text: 'Hi!',
      finishReason: 'STOP',
      truncated: false,
      attempts: 1,
      usage: { promptTokens: 10, completionTokens: 2, thoughtTokens: 5, totalTokens: 17 },
    });
  });

  it('reads the cached prompt tokens, whole and streamed', async () => {
    const usage = {
      promptTokenCount: 2_000,
      candidatesTokenCount: 9,
      totalTokenCount: 2_009,
      cachedContentTokenCount: 1_500,
    };
    gemini.enqueue({ text: 'Hi!', usage }, { text: 'Hello there.', chunks: ['Hello ', 'there.'], usage });
    expect((await provider().generate(helloRequest)).usage).toEqual({
      promptTokens: 2_000,
      completionTokens: 9,
      thoughtTokens: 0,
      totalTokens: 2_009,
      cachedTokens: 1_500,
    });
    expect((await provider().stream(helloRequest, () => undefined)).usage.cachedTokens).toBe(1_500);
  });

  it('streams deltas that add up to the answer', async () => {
    gemini.enqueue({ text: 'Hello there, friend.', chunks: ['Hello ', 'there, ', 'friend.'] });
    const deltas: string[] = [];
    const result = await provider().stream(helloRequest, (delta) => deltas.push(delta));
    expect(deltas).toEqual(['Hello ', 'there, ', 'friend.']);
    expect(result).toMatchObject({ kind: 'text', text: 'Hello there, friend.' });
    expect(result.usage.totalTokens).toBeGreaterThan(0);
  });

  it('does not retry a stream that failed after part of the answer was delivered', async () => {
    gemini.enqueue({ text: 'one two three', chunks: ['one ', 'two ', 'three'], streamErrorAfterChunks: 1 });
    const deltas: string[] = [];
    const failure = await provider()
      .stream(helloRequest, (delta) => deltas.push(delta))
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ModelError);
    expect(failure).toMatchObject({ errorClass: 'server_error', final: true });
    expect(deltas).toEqual(['one ']);
    expect(gemini.requests.filter((r) => r.method === 'streamGenerateContent')).toHaveLength(1);
  });

  it('passes function calls through', async () => {
    gemini.enqueue({ functionCall: { name: 'handover_to_human', args: { reason: 'complaint' } } });
    const result = await provider().generate({
      ...helloRequest,
      tools: [{ name: 'handover_to_human', description: 'hand over', parameters: { type: 'object', properties: {} } }],
    });
    expect(result).toMatchObject({ kind: 'function_call', name: 'handover_to_human', args: { reason: 'complaint' } });
    const body = gemini.requests[0]?.body as { tools: { functionDeclarations: { name: string }[] }[] };
    expect(body.tools[0]?.functionDeclarations[0]?.name).toBe('handover_to_human');
  });

  it('reports blocks and empty answers instead of throwing', async () => {
    gemini.enqueue(
      { blockReason: 'PROHIBITED_CONTENT' },
      { text: '', finishReason: 'STOP' },
      { text: 'x', finishReason: 'SAFETY' },
    );
    const model = provider();
    expect(await model.generate(helloRequest)).toMatchObject({ kind: 'blocked', reason: 'PROHIBITED_CONTENT' });
    expect(await model.generate(helloRequest)).toMatchObject({ kind: 'empty' });
    expect(await model.generate(helloRequest)).toMatchObject({ kind: 'blocked', reason: 'SAFETY' });
  });

  it('describes known models and says undefined for unknown ones', async () => {
    expect(await provider().describeModel('gemini-flash-latest')).toMatchObject({ name: 'gemini-flash-latest' });
    expect(await provider().describeModel('gemini-1.5-flash')).toBeUndefined();
  });

  it('classifies an unknown model and a wrong key without retrying', async () => {
    const unknown = await provider()
      .generate({ ...helloRequest, model: 'gemini-1.5-flash' })
      .catch((error: unknown) => error);
    expect(unknown).toMatchObject({ errorClass: 'model_not_found', attempts: 1, status: 404 });
    const wrongKey = await createGeminiProvider({ apiKey: 'wrong', baseUrl: gemini.url })
      .generate(helloRequest)
      .catch((error: unknown) => error);
    expect(wrongKey).toMatchObject({ errorClass: 'auth', attempts: 1 });
  });

  it('waits as long as the server asks before retrying a 429', async () => {
    gemini.enqueue({ error: { status: 429, retryDelay: '0.3s' } }, { text: 'ok' });
    const started = Date.now();
    expect(await provider().generate(helloRequest)).toMatchObject({ kind: 'text', attempts: 2 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });

  it('gives up at once when the server asks for a wait beyond the deadline', async () => {
    gemini.enqueue({ error: { status: 429, retryDelay: '47s' } });
    const started = Date.now();
    const failure = await provider({ deadlineMs: 2_000 })
      .generate(helloRequest)
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({ errorClass: 'rate_limited', attempts: 1 });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('retries a model that cannot be reached, then fails as a network error', async () => {
    const closed = await GeminiFake.start();
    const url = closed.url;
    await closed.close();
    const failure = await createGeminiProvider({ apiKey: 'k', baseUrl: url, policy: { retries: 2, baseDelayMs: 5 } })
      .generate(helloRequest)
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({ errorClass: 'network', attempts: 3 });
  });
});

describe('backoffDelay', () => {
  it('grows exponentially under a ceiling, with full jitter', () => {
    const policy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 100, maxDelayMs: 1_000 };
    expect([0, 1, 2, 3, 4].map((retry) => backoffDelay(policy, retry, () => 1))).toEqual([100, 200, 400, 800, 1_000]);
    expect(backoffDelay(policy, 3, () => 0)).toBe(0);
  });
});

describe('Gemini provider, thinking and explicit caching', () => {
  const LONG = `Rosa Bakery opens at 7. ${'Fresh bread every morning. '.repeat(160)}`;

  it('sends the thinking budget and never passes a thought on, streamed or whole', async () => {
    const thinking = { ...helloRequest, thinkingBudget: 64, maxOutputTokens: 164 };
    gemini.enqueue(
      { thought: 'private reasoning', text: 'Hello there.' },
      { thought: 'private reasoning', text: 'Hello there.', chunks: ['Hello ', 'there.'] },
    );
    expect(await provider().generate(thinking)).toMatchObject({ kind: 'text', text: 'Hello there.' });
    const deltas: string[] = [];
    const streamed = await provider().stream(thinking, (text) => deltas.push(text));
    expect(streamed).toMatchObject({ kind: 'text', text: 'Hello there.', usage: { thoughtTokens: 64 } });
    expect(deltas.join('')).toBe('Hello there.');
    for (const request of gemini.requests) {
      expect(request.body).toMatchObject({
        generationConfig: { maxOutputTokens: 164, thinkingConfig: { thinkingBudget: 64 } },
      });
    }
  });

  it('creates an entry, uses it without instruction or tools, and reports a gone one as 404', async () => {
    const model = provider({ retries: 0 });
    const tools = [{ name: 'handover_to_human', description: 'Hand over.', parameters: { type: 'object' } }];
    const entry = await model.createCachedPrompt!({
      model: 'gemini-2.5-flash',
      systemInstruction: LONG,
      tools,
      ttlSeconds: 300,
    });
    expect(entry).toEqual({ name: expect.stringMatching(/^cachedContents\//), tokens: Math.ceil(LONG.length / 4) });

    const cached = { ...helloRequest, systemInstruction: 'It is 09:30.', tools, cachedContent: entry.name };
    const result = await model.generate(cached);
    expect(result).toMatchObject({ kind: 'text', usage: { cachedTokens: entry.tokens } });
    const sent = gemini.requests.find((request) => request.method === 'generateContent')?.body;
    expect(sent).toMatchObject({
      cachedContent: entry.name,
      contents: [{ role: 'user', parts: [{ text: 'It is 09:30.' }, { text: 'hello' }] }],
    });
    expect(sent).not.toHaveProperty('systemInstruction');
    expect(sent).not.toHaveProperty('tools');

    await model.deleteCachedPrompt!(entry.name);
    await expect(model.generate(cached)).rejects.toMatchObject({ status: 404 });
  });
});
