import { GoogleGenAI, type GenerateContentResponse, type HttpOptions } from '@google/genai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { apiError, rpcBody } from '../helpers/genai.js';
import { GeminiFake } from './gemini.js';

const MODEL = 'gemini-flash-latest';

let emulator: GeminiFake;

beforeAll(async () => {
  emulator = await GeminiFake.start({ apiKey: 'test-key' });
});
afterEach(() => emulator.reset());
afterAll(() => emulator.close());

function sdk(httpOptions: HttpOptions = {}, apiKey = 'test-key'): GoogleGenAI {
  return new GoogleGenAI({ apiKey, httpOptions: { baseUrl: emulator.url, ...httpOptions } });
}

function ask(text: string, config: Record<string, unknown> = {}): Promise<GenerateContentResponse> {
  return sdk().models.generateContent({ model: MODEL, contents: text, config });
}

describe('scripting', () => {
  it('serves replies in the order they were enqueued, then falls back to the responder', async () => {
    emulator.enqueue({ text: 'first' }, (request) => ({ text: `second for ${request.model ?? '?'}` }));
    emulator.setResponder(() => ({ text: 'responder' }));
    const answers = [];
    for (let i = 0; i < 3; i += 1) answers.push((await ask('q')).text);
    expect(answers).toEqual(['first', `second for ${MODEL}`, 'responder']);
  });

  it('forgets requests and queued replies on reset, and goes back to the responder it started with', async () => {
    const fake = await GeminiFake.start({ responder: () => ({ text: 'from the start' }) });
    try {
      const client = new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: fake.url } });
      fake.enqueue({ text: 'queued' });
      fake.setResponder(() => ({ text: 'replaced' }));
      fake.reset();
      expect((await client.models.generateContent({ model: MODEL, contents: 'hi' })).text).toBe('from the start');
      expect(fake.requests).toHaveLength(1);
      fake.reset();
      expect(fake.requests).toHaveLength(0);
    } finally {
      await fake.close();
    }
  });
});

describe('streamGenerateContent', () => {
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
