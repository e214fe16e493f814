import { ApiError, GoogleGenAI, type GenerateContentResponse, type HttpOptions } from '@google/genai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GeminiEmulator } from './gemini-emulator.js';

const MODEL = 'gemini-flash-latest';
const NOT_FOUND_TEXT =
  'models/gemini-1.5-flash is not found for API version v1beta, or is not supported for generateContent. ' +
  'Call ListModels to see the list of available models and their supported methods.';

let emulator: GeminiEmulator;

beforeAll(async () => {
  emulator = await GeminiEmulator.start({ apiKey: 'test-key' });
});
afterEach(() => emulator.reset());
afterAll(() => emulator.close());

function sdk(httpOptions: HttpOptions = {}, apiKey = 'test-key'): GoogleGenAI {
  return new GoogleGenAI({ apiKey, httpOptions: { baseUrl: emulator.url, ...httpOptions } });
}

interface RpcErrorBody {
  code: number;
  message: string;
  status: string;
  details?: Record<string, unknown>[];
}

async function apiError(call: Promise<unknown>): Promise<ApiError> {
  try {
    await call;
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected the SDK to throw an ApiError');
}

function rpcBody(error: ApiError): RpcErrorBody {
  return (JSON.parse(error.message) as { error: RpcErrorBody }).error;
}

function ask(text: string, config: Record<string, unknown> = {}): Promise<GenerateContentResponse> {
  return sdk().models.generateContent({ model: MODEL, contents: text, config });
}

async function collect(stream: AsyncGenerator<GenerateContentResponse>): Promise<GenerateContentResponse[]> {
  const chunks: GenerateContentResponse[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

function post(path: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${emulator.url}${path}`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', 'x-goog-api-key': 'test-key', ...headers },
  });
}

describe('generateContent', () => {
  it('answers with text and usage, and records the request as the SDK sent it', async () => {
    emulator.enqueue({ text: 'Hello there' });
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

    expect(emulator.requests).toHaveLength(1);
    const [request] = emulator.requests;
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
    emulator.enqueue({
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
    emulator.enqueue({ functionCall: { name: 'get_weather', args: { city: 'Paris' } } });
    const response = await ask('weather in Paris?');
    expect(response.functionCalls).toEqual([{ name: 'get_weather', args: { city: 'Paris' } }]);
    expect(response.text).toBeUndefined();
  });

  it('blocks a prompt with no candidates, only promptFeedback', async () => {
    emulator.enqueue({ blockReason: 'SAFETY' });
    const response = await ask('something dreadful');
    expect(response.text).toBeUndefined();
    expect(response.candidates).toBeUndefined();
    expect(response.promptFeedback?.blockReason).toBe('SAFETY');
    expect(response.usageMetadata?.promptTokenCount).toBe(5);
  });

  it('serves replies in the order they were enqueued, then falls back to the responder', async () => {
    emulator.enqueue({ text: 'first' }, (request) => ({ text: `second for ${request.model ?? '?'}` }));
    emulator.setResponder(() => ({ text: 'responder' }));
    const answers = [];
    for (let i = 0; i < 3; i += 1) answers.push((await ask('q')).text);
    expect(answers).toEqual(['first', `second for ${MODEL}`, 'responder']);
  });
});

describe('streamGenerateContent', () => {
  it('streams deltas that concatenate to the text, with finish and usage on the last event only', async () => {
    const text = 'The quick brown fox jumps over the lazy dog';
    emulator.enqueue({ text });
    const chunks = await collect(await sdk().models.generateContentStream({ model: MODEL, contents: 'go' }));

    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.map((chunk) => chunk.text).join('')).toBe(text);
    const last = chunks[chunks.length - 1];
    expect(last?.candidates?.[0]?.finishReason).toBe('STOP');
    expect(last?.usageMetadata).toMatchObject({ promptTokenCount: 1, candidatesTokenCount: 11, totalTokenCount: 12 });
    expect(chunks.slice(0, -1).every((chunk) => chunk.usageMetadata === undefined)).toBe(true);
    expect(emulator.requests[0]?.method).toBe('streamGenerateContent');
  });

  it('sends scripted chunks one event each', async () => {
    emulator.enqueue({ chunks: ['Hel', 'lo ', 'world'] });
    const chunks = await collect(await sdk().models.generateContentStream({ model: MODEL, contents: 'go' }));
    expect(chunks.map((chunk) => chunk.text)).toEqual(['Hel', 'lo ', 'world']);
  });

  it('fails mid-stream with an ApiError after yielding the earlier chunks', async () => {
    emulator.enqueue({ chunks: ['one ', 'two ', 'three'], streamErrorAfterChunks: 2 });
    const stream = await sdk().models.generateContentStream({ model: MODEL, contents: 'go' });
    const seen: (string | undefined)[] = [];
    const error = await apiError(
      (async () => {
        for await (const chunk of stream) seen.push(chunk.text);
      })(),
    );
    expect(seen).toEqual(['one ', 'two ']);
    expect(error.status).toBe(503);
    expect(error.message).toContain('UNAVAILABLE');
  });
});

describe('models', () => {
  it('gets a known model', async () => {
    const model = await sdk().models.get({ model: 'gemini-2.5-flash' });
    expect(model.name).toBe('models/gemini-2.5-flash');
    expect(model.supportedActions).toEqual(['generateContent', 'countTokens']);
    expect(model.inputTokenLimit).toBeGreaterThan(0);
    expect(model.outputTokenLimit).toBeGreaterThan(0);
    expect(emulator.requests[0]).toMatchObject({ method: 'get', model: 'gemini-2.5-flash' });
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
    ]);
    expect(emulator.requests.filter((request) => request.method === 'list')).toHaveLength(2);
  });

  it('counts tokens', async () => {
    const counted = await sdk().models.countTokens({ model: MODEL, contents: 'abcdefghi' });
    expect(counted.totalTokens).toBe(3);
    expect(emulator.requests[0]).toMatchObject({ method: 'countTokens', body: { contents: [{ role: 'user' }] } });
  });
});

describe('errors', () => {
  it('answers a scripted 429 with RetryInfo, once: the SDK does not retry by default', async () => {
    emulator.enqueue({ error: { status: 429, retryDelay: '2s' } });
    const error = await apiError(ask('hi'));
    expect(error.status).toBe(429);
    const body = rpcBody(error);
    expect(body.status).toBe('RESOURCE_EXHAUSTED');
    expect(body.message).toContain('Please retry in 2s.');
    expect(body.details).toContainEqual({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '2s' });
    expect(body.details?.map((detail) => detail['@type'])).toEqual([
      'type.googleapis.com/google.rpc.Help',
      'type.googleapis.com/google.rpc.QuotaFailure',
      'type.googleapis.com/google.rpc.RetryInfo',
    ]);
    expect(emulator.requests).toHaveLength(1);
  });

  it('answers a scripted 503 in the Google RPC shape', async () => {
    emulator.enqueue({ error: { status: 503 } });
    const error = await apiError(ask('hi'));
    expect(error.status).toBe(503);
    expect(rpcBody(error)).toEqual({
      code: 503,
      message: 'The model is overloaded. Please try again later.',
      status: 'UNAVAILABLE',
    });
  });

  it('sends a non-JSON body as it is, like a proxy 502', async () => {
    const html = '<html><body>502 Bad Gateway</body></html>';
    emulator.enqueue({ error: { status: 502, rawBody: html } });
    const error = await apiError(ask('hi'));
    expect(error.status).toBe(502);
    expect(rpcBody(error)).toEqual({ message: html, code: 502, status: 'Bad Gateway' });
  });

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

  it('answers 500 when a responder throws, and keeps serving', async () => {
    emulator.enqueue(() => {
      throw new Error('responder bug');
    });
    const error = await apiError(ask('hi'));
    expect(error.status).toBe(500);
    expect(rpcBody(error).message).toContain('responder bug');
    emulator.enqueue({ text: 'fine' });
    expect((await ask('hi')).text).toBe('fine');
  });
});

describe('delays', () => {
  it('lets the SDK time out (AbortError) and keeps serving afterwards', async () => {
    emulator.enqueue({ text: 'too late', delayMs: 300 }, { text: 'on time' });
    const timedOut = sdk({ timeout: 50 }).models.generateContent({ model: MODEL, contents: 'hi' });
    await expect(timedOut).rejects.toMatchObject({ name: 'AbortError' });
    expect((await ask('hi')).text).toBe('on time');
    // Past the abandoned reply's delay, the emulator is still up.
    await new Promise((resolve) => setTimeout(resolve, 350));
    emulator.enqueue({ text: 'still here' });
    expect((await ask('hi')).text).toBe('still here');
  });

  it('does not hold up other requests while one waits', async () => {
    emulator.setResponder((request) => {
      const slow = JSON.stringify(request.body).includes('slow');
      return slow ? { text: 'slow', delayMs: 400 } : { text: 'fast' };
    });
    const finished: string[] = [];
    const record = async (text: string): Promise<void> => {
      finished.push((await ask(text)).text ?? '');
    };
    await Promise.all([record('slow'), record('quick')]);
    expect(finished).toEqual(['fast', 'slow']);
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
