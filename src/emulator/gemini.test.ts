import { GoogleGenAI, type GenerateContentResponse, type HttpOptions } from '@google/genai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { apiError, collect, rpcBody, type RpcErrorBody } from '../../test/helpers/genai.js';
import { GeminiEmulator, simulatedReply, type EmulatorReply, type EmulatorRequest } from './gemini.js';

const MODEL = 'gemini-flash-latest';
const NOT_FOUND_TEXT =
  'models/gemini-1.5-flash is not found for API version v1beta, or is not supported for generateContent. ' +
  'Call ListModels to see the list of available models and their supported methods.';

let emulator: GeminiEmulator;
// What the tests hand the emulator through its two extension points: replies to send, requests it saw.
const replies: EmulatorReply[] = [];
const requests: EmulatorRequest[] = [];

beforeAll(async () => {
  emulator = await GeminiEmulator.start({
    apiKey: 'test-key',
    respond: (request) => replies.shift() ?? simulatedReply(request),
    onRequest: (request) => requests.push(request),
  });
});
afterEach(() => {
  replies.length = 0;
  requests.length = 0;
});
afterAll(() => emulator.close());

function sdk(httpOptions: HttpOptions = {}, apiKey = 'test-key'): GoogleGenAI {
  return new GoogleGenAI({ apiKey, httpOptions: { baseUrl: emulator.url, ...httpOptions } });
}

function ask(text: string, config: Record<string, unknown> = {}): Promise<GenerateContentResponse> {
  return sdk().models.generateContent({ model: MODEL, contents: text, config });
}

function post(path: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${emulator.url}${path}`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', 'x-goog-api-key': 'test-key', ...headers },
  });
}

describe('implicit prompt cache', () => {
  it('reports cached tokens for a long system instruction that opens like the previous one', async () => {
    const rules = 'Answer as the bakery would. '.repeat(200); // 5,600 characters, about 1,400 tokens
    const withClock = (time: string) => ({ systemInstruction: `${rules}\nNow: ${time}` });
    const first = await ask('open now?', withClock('09:30'));
    expect(first.usageMetadata?.cachedContentTokenCount).toBeUndefined();
    const second = await ask('and now?', withClock('09:31'));
    expect(second.usageMetadata?.cachedContentTokenCount).toBe(Math.floor((rules.length + 'Now: 09:3'.length + 1) / 4));
    expect(second.usageMetadata?.promptTokenCount).toBeGreaterThan(second.usageMetadata!.cachedContentTokenCount!);

    // A short shared opening is below Gemini's minimum: nothing cached.
    await ask('hi', { systemInstruction: 'be brief, A' });
    const short = await ask('hi', { systemInstruction: 'be brief, B' });
    expect(short.usageMetadata?.cachedContentTokenCount).toBeUndefined();
    expect(short.usageMetadata?.promptTokenCount).toBeGreaterThan(0);
  });
});

describe('generateContent', () => {
  it('answers with text and usage, and records the request as the SDK sent it', async () => {
    replies.push({ text: 'Hello there' });
    const response = await sdk().models.generateContent({
      model: MODEL,
      contents: [
        { role: 'user', parts: [{ text: 'hi' }] },
        { role: 'model', parts: [{ text: 'hello' }] },
        { role: 'user', parts: [{ text: 'weather?' }] },
      ],
      config: { systemInstruction: 'be brief', temperature: 0.2, maxOutputTokens: 256 },
    });

    expect(response.text).toBe('Hello there');
    expect(response.candidates?.[0]?.finishReason).toBe('STOP');
    // ceil((8 + 2 + 5 + 8) / 4) for the prompt, ceil(11 / 4) for the answer.
    expect(response.usageMetadata).toMatchObject({ promptTokenCount: 6, candidatesTokenCount: 3, totalTokenCount: 9 });
    expect(response.modelVersion).toBe(MODEL);
    expect(response.responseId).toMatch(/\S/);

    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request).toMatchObject({ method: 'generateContent', model: MODEL, apiKey: 'test-key' });
    expect(request?.headers['x-goog-api-key']).toBe('test-key');
    expect(request?.body).toMatchObject({
      systemInstruction: { parts: [{ text: 'be brief' }] },
      generationConfig: { temperature: 0.2, maxOutputTokens: 256 },
      contents: [
        { role: 'user', parts: [{ text: 'hi' }] },
        { role: 'model', parts: [{ text: 'hello' }] },
        { role: 'user', parts: [{ text: 'weather?' }] },
      ],
    });
  });

  it('uses scripted usage and finish reasons', async () => {
    replies.push({
      text: 'Our opening hou',
      finishReason: 'MAX_TOKENS',
      usage: { promptTokenCount: 100, candidatesTokenCount: 4, thoughtsTokenCount: 7 },
    });
    const response = await ask('When are you open?');
    expect(response.text).toBe('Our opening hou');
    expect(response.candidates?.[0]?.finishReason).toBe('MAX_TOKENS');
    expect(response.usageMetadata).toMatchObject({
      promptTokenCount: 100,
      candidatesTokenCount: 4,
      thoughtsTokenCount: 7,
      totalTokenCount: 111,
    });
  });

  it('returns function calls', async () => {
    replies.push({ functionCall: { name: 'get_weather', args: { city: 'Paris' } } });
    const response = await ask('weather in Paris?');
    expect(response.functionCalls).toEqual([{ name: 'get_weather', args: { city: 'Paris' } }]);
    expect(response.text).toBeUndefined();
  });

  it('blocks a prompt with no candidates, only promptFeedback', async () => {
    replies.push({ blockReason: 'SAFETY' });
    const response = await ask('something dreadful');
    expect(response.text).toBeUndefined();
    expect(response.candidates).toBeUndefined();
    expect(response.promptFeedback?.blockReason).toBe('SAFETY');
    expect(response.usageMetadata?.promptTokenCount).toBe(5);
  });
});

describe('streamGenerateContent', () => {
  it('streams deltas that concatenate to the text, with finish on the last event and usage growing to it', async () => {
    const text = 'The quick brown fox jumps over the lazy dog';
    replies.push({ text });
    const chunks = await collect(await sdk().models.generateContentStream({ model: MODEL, contents: 'go' }));

    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.map((chunk) => chunk.text).join('')).toBe(text);
    const last = chunks[chunks.length - 1];
    expect(last?.candidates?.[0]?.finishReason).toBe('STOP');
    expect(last?.usageMetadata).toMatchObject({ promptTokenCount: 1, candidatesTokenCount: 11, totalTokenCount: 12 });
    // Recorded Gemini streams carry usage on every event, counted so far; only the last is the answer's.
    const earlier = chunks.slice(0, -1);
    expect(earlier.every((chunk) => chunk.candidates?.[0]?.finishReason === undefined)).toBe(true);
    expect(earlier.every((chunk) => chunk.usageMetadata?.promptTokenCount === 1)).toBe(true);
    const counted = chunks.map((chunk) => chunk.usageMetadata?.candidatesTokenCount ?? 0);
    expect(counted).toEqual([...counted].sort((x, y) => x - y));
    expect(counted[0]).toBeLessThan(11);
    expect(requests[0]?.method).toBe('streamGenerateContent');
  });

  it('sends scripted chunks one event each', async () => {
    replies.push({ chunks: ['Hel', 'lo ', 'world'] });
    const chunks = await collect(await sdk().models.generateContentStream({ model: MODEL, contents: 'go' }));
    expect(chunks.map((chunk) => chunk.text)).toEqual(['Hel', 'lo ', 'world']);
  });
});

describe('models', () => {
  it('gets a known model', async () => {
    const model = await sdk().models.get({ model: 'gemini-2.5-flash' });
    expect(model.name).toBe('models/gemini-2.5-flash');
    expect(model.supportedActions).toEqual(['generateContent', 'countTokens']);
    expect(model.inputTokenLimit).toBeGreaterThan(0);
    expect(model.outputTokenLimit).toBeGreaterThan(0);
    expect(requests[0]).toMatchObject({ method: 'get', model: 'gemini-2.5-flash' });
  });

  it('answers 404 with Google text for an unknown model, on get, generate and stream', async () => {
    for (const call of [
      sdk().models.get({ model: 'gemini-1.5-flash' }),
      sdk().models.generateContent({ model: 'gemini-1.5-flash', contents: 'hi' }),
      sdk().models.generateContentStream({ model: 'gemini-1.5-flash', contents: 'hi' }),
    ]) {
      const error = await apiError(call);
      expect(error.status).toBe(404);
      expect(rpcBody(error)).toEqual({ code: 404, message: NOT_FOUND_TEXT, status: 'NOT_FOUND' });
    }
    const counting = await apiError(sdk().models.countTokens({ model: 'gemini-1.5-flash', contents: 'hi' }));
    expect(rpcBody(counting).message).toContain('or is not supported for countTokens.');
  });

  it('lists models page by page', async () => {
    const pager = await sdk().models.list({ config: { pageSize: 3 } });
    expect(pager.page).toHaveLength(3);
    expect(pager.hasNextPage()).toBe(true);
    const names: (string | undefined)[] = [];
    for await (const model of pager) names.push(model.name);
    expect(names).toEqual([
      'models/gemini-flash-latest',
      'models/gemini-2.5-flash',
      'models/gemini-2.5-flash-lite',
      'models/gemini-3-flash-preview',
      'models/gemini-2.5-pro',
    ]);
    expect(requests.filter((request) => request.method === 'list')).toHaveLength(2);
  });

  it('counts tokens', async () => {
    const counted = await sdk().models.countTokens({ model: MODEL, contents: 'abcdefghi' });
    expect(counted.totalTokens).toBe(3);
    expect(requests[0]).toMatchObject({ method: 'countTokens', body: { contents: [{ role: 'user' }] } });
  });
});

describe('errors', () => {
  it('refuses a wrong API key with 400 API_KEY_INVALID and a missing one with 403', async () => {
    const error = await apiError(sdk({}, 'wrong-key').models.generateContent({ model: MODEL, contents: 'hi' }));
    expect(error.status).toBe(400);
    const body = rpcBody(error);
    expect(body.status).toBe('INVALID_ARGUMENT');
    expect(body.details).toContainEqual(expect.objectContaining({ reason: 'API_KEY_INVALID' }));

    const missing = await post(`/v1beta/models/${MODEL}:generateContent`, '{}', { 'x-goog-api-key': '' });
    expect(missing.status).toBe(403);
    expect(((await missing.json()) as { error: RpcErrorBody }).error.status).toBe('PERMISSION_DENIED');
  });

  it('refuses malformed JSON and contents that are not a list of {role, parts}', async () => {
    const path = `/v1beta/models/${MODEL}:generateContent`;
    for (const body of [
      '{"contents": [',
      '{"contents": "hi"}',
      '{"contents": []}',
      '{"contents": [{"role": "robot", "parts": [{"text": "hi"}]}]}',
      '{"contents": [{"role": "user"}]}',
      '{"contents": [{"role": "user", "parts": [{}]}]}',
    ]) {
      const response = await post(path, body);
      expect(response.status, body).toBe(400);
      expect(((await response.json()) as { error: RpcErrorBody }).error.status).toBe('INVALID_ARGUMENT');
    }
  });
});

describe('default responder', () => {
  const faq = [
    'You answer customers of Bella Bakery.',
    'Q: When are you open?',
    'A: Monday to Saturday, 8:00 to 18:00. Closed on Sundays.',
    'Q: Do you deliver?',
    'A: Yes, within 5 km for orders over 20 euros.',
  ].join('\n');

  it('answers from the FAQ in the system instruction, marked as simulated', async () => {
    const response = await ask('What are your opening hours on saturday?', { systemInstruction: faq });
    expect(response.text).toBe('[Simulated] Monday to Saturday, 8:00 to 18:00. Closed on Sundays.');
    const delivery = await ask('Can you deliver a cake to my office?', { systemInstruction: faq });
    expect(delivery.text).toBe('[Simulated] Yes, within 5 km for orders over 20 euros.');
  });

  it('says a person will follow up when nothing matches', async () => {
    const response = await ask('Is parking free?', { systemInstruction: faq });
    expect(response.text).toMatch(/^\[Simulated\] /);
    expect(response.text).toContain('A person from the team will follow up');
  });

  it('hands over to a human through the declared function when asked for one', async () => {
    const tools = [{ functionDeclarations: [{ name: 'handover_to_human', description: 'Bring in a person' }] }];
    const response = await ask('Can I talk to a human please?', { systemInstruction: faq, tools });
    expect(response.functionCalls).toEqual([{ name: 'handover_to_human', args: { reason: 'customer_request' } }]);
  });

  it('stops at maxOutputTokens with MAX_TOKENS', async () => {
    const response = await ask('When are you open?', { systemInstruction: faq, maxOutputTokens: 5 });
    expect(response.text).toBe('[Simulated] Monday t');
    expect(response.candidates?.[0]?.finishReason).toBe('MAX_TOKENS');
    expect(response.usageMetadata?.candidatesTokenCount).toBe(5);
  });
});
