import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAiTestApp, type AiTestApp } from '../helpers/ai.js';

/**
 * The shared key's per-minute budget, shared fairly between businesses, as a
 * business's customers notice it: a tiny budget (4 a minute) and a short
 * deadline, so that what waits for a slot gives up quickly.
 */
let t: AiTestApp;

beforeAll(async () => {
  t = await createAiTestApp({
    GEMINI_REQUESTS_PER_MINUTE: '4',
    GEMINI_RETRIES: '0',
    GEMINI_DEADLINE_MS: '600',
  });
});
afterAll(() => t.close());

const modelCalls = () =>
  t.gemini.requests.filter((r) => r.method === 'generateContent' || r.method === 'streamGenerateContent').length;

const ask = (token: string, customer: string) =>
  t.as(token, { method: 'POST', url: '/api/v1/ai/ask/', payload: { question: 'Open today?', customer_id: customer } });

describe("the shared key's budget, shared between businesses", () => {
  it('keeps a slot for a quiet business while a busy one has used its share', async () => {
    const quiet = await t.business('quiet-shop');
    const busy = await t.business('busy-shop');
    t.gemini.enqueue({ text: 'Yes.' }, { text: 'Yes.' }, { text: 'Yes.' }, { text: 'Yes.' }, { text: 'Yes.' });

    expect((await ask(quiet, 'q1')).json()).toMatchObject({ answer: 'Yes.', auto_response_generated: true });
    // The busy shop's share of 4 is 2: it gets them, while a slot of the 4 is still free for the quiet one.
    for (const customer of ['b1', 'b2']) {
      expect((await ask(busy, customer)).json()).toMatchObject({ answer: 'Yes.', auto_response_generated: true });
    }
    // Its third waits for a slot until the call's deadline, then goes to its people: no slot of the quiet one's.
    const refused = await ask(busy, 'b3');
    expect(refused.statusCode).toBe(502);
    expect(refused.json()).toMatchObject({ success: false, reason: 'ai_unavailable' });
    expect(modelCalls()).toBe(3);

    // The slot left free is the quiet shop's, at once.
    expect((await ask(quiet, 'q2')).json()).toMatchObject({ answer: 'Yes.', auto_response_generated: true });
    expect(modelCalls()).toBe(4);
  });
});
