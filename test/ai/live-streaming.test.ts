import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalCache } from '../../src/infra/cache.js';
import { cacheWatchers } from '../../src/events/watchers.js';
import { createAiTestApp, type AiTestApp } from '../helpers/ai.js';
import { connectLive, type LiveClient } from '../helpers/ws.js';
import { until } from '../helpers/wait.js';

/** Answers stream to a business's people while they watch, and come whole (cheaper) when nobody does. */
let t: AiTestApp;
let baseUrl: string;
let token: string;
let client: LiveClient | undefined;

beforeAll(async () => {
  t = await createAiTestApp({}, { watchers: cacheWatchers(createLocalCache()) });
  baseUrl = await t.app.listen({ port: 0, host: '127.0.0.1' });
  token = await t.business('watched');
});
afterAll(async () => {
  await client?.close();
  await t.close();
});

const ask = (question: string) =>
  t.as(token, { method: 'POST', url: '/api/v1/ai/ask/', payload: { question, customer_id: 'ana' } });
const methods = () => t.gemini.requests.map((request) => request.method).filter((m) => /generatecontent$/i.test(m));
const deltas = () => t.published.filter(({ event }) => event.type === 'ai.reply.delta');

describe('streamed answers', () => {
  it('asks for the whole answer while nobody watches', async () => {
    t.gemini.enqueue({ text: 'We open at 8.', chunks: ['We open ', 'at 8.'] });
    const response = await ask('When do you open?');
    expect(response.json()).toMatchObject({ answer: 'We open at 8.', success: true });
    expect(methods()).toEqual(['generateContent']);
    expect(deltas()).toEqual([]);
  });

  it('streams once someone from the business is connected', async () => {
    t.gemini.reset();
    client = await connectLive(baseUrl, { token });
    await until(() => (client!.frames.some((frame) => frame.type === 'hello') ? true : undefined));
    t.gemini.enqueue({ text: 'Yes, on Sundays too.', chunks: ['Yes, ', 'on Sundays too.'] });
    const response = await ask('Sundays?');
    expect(response.json()).toMatchObject({ answer: 'Yes, on Sundays too.' });
    expect(methods()).toEqual(['streamGenerateContent']);
    const seen = await until(() => {
      const texts = client!.frames.filter((frame) => frame.type === 'ai.reply.delta');
      return texts.length >= 2 ? texts : undefined;
    });
    expect(seen.map((frame) => (frame.data as { text: string }).text).join('')).toBe('Yes, on Sundays too.');
  });
});
