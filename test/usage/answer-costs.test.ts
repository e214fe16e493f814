import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asSession, signInSession } from '../helpers/sessions.js';
import { createAiTestApp, type AiTestApp } from '../helpers/ai.js';

/**
 * The cost of an answer in the usage report when some replies used a model
 * without a price, the owner tried the AI in "Try it", and the business went
 * over its cap: unknown costs stay unknown, tests are no customer's, and the
 * messages kept from the model are counted by reason.
 */
let t: AiTestApp;
let token: string;
let admin: string;
let body: { answer_costs: Record<string, unknown>; totals: { total_tokens: number; requests: number } };

const PRICED = 'gemini-flash-latest';
const UNPRICED = 'gemini-3-flash-preview';
const reply = (text: string, prompt: number, answer: number) => ({
  text,
  usage: { promptTokenCount: prompt, candidatesTokenCount: answer },
});
const ask = (customer: string, question: string) =>
  t.as(token, { method: 'POST', url: '/api/v1/ai/ask/', payload: { customer_id: customer, question } });
const modelCalls = () => t.gemini.requests.filter((r) => r.method.includes('enerateContent')).length;

beforeAll(async () => {
  t = await createAiTestApp({
    GEMINI_RETRIES: '0',
    PARLEY_ALLOWED_MODELS: UNPRICED,
    PARLEY_MODEL_PRICES: JSON.stringify({ [PRICED]: { input: 1, output: 10, cached: 0.1 } }),
  });
  admin = await t.signUp('operator', { isAdmin: true });
  token = await t.signUp('mixed', { password: 'mixed-password' });
  const on = await t.as(token, {
    method: 'PATCH',
    url: '/api/v1/ai/config/',
    payload: { auto_response_enabled: true },
  });
  expect(on.statusCode, on.body).toBe(200);

  // Ana: priced, 100 + 10 tokens = 200 µUSD. Ben: a model without a price, 300 + 30 tokens.
  t.gemini.enqueue(reply('We open at 7.', 100, 10));
  expect((await ask('ana', 'When do you open?')).json()).toMatchObject({ auto_response_generated: true });
  const unpriced = await t.as(token, { method: 'PATCH', url: '/api/v1/ai/config/', payload: { model_name: UNPRICED } });
  expect(unpriced.statusCode, unpriced.body).toBe(200);
  t.gemini.enqueue(reply('Yes, croissants.', 300, 30));
  expect((await ask('ben', 'Croissants?')).json()).toMatchObject({ auto_response_generated: true });

  // The owner tries the AI: a model call on the key, but no customer's answer.
  const session = await signInSession(t.app, 'mixed', 'mixed-password');
  t.gemini.enqueue(reply('A test answer.', 1000, 100));
  const tried = await asSession(t.app, session, {
    method: 'POST',
    url: '/api/v1/ai/try/',
    payload: { question: 'Hi' },
  });
  expect(tried.json()).toMatchObject({ auto_response_generated: true });

  // Over the cap, Cara's question goes to people; her next one finds a person in charge.
  const cap = await t.as(admin, {
    method: 'PUT',
    url: '/api/v1/ai/usage/quotas/mixed/',
    payload: { daily_tokens: 1000 },
  });
  expect(cap.statusCode, cap.body).toBe(200);
  expect((await ask('cara', 'Is there parking?')).json()).toMatchObject({ reason: 'quota_exceeded' });
  expect((await ask('cara', 'Hello?')).json()).toMatchObject({ reason: 'manual_handling' });

  const response = await t.as(token, { method: 'GET', url: '/api/v1/ai/usage/stats/' });
  expect(response.statusCode, response.body).toBe(200);
  body = response.json();
});
afterAll(() => t.close());

describe('the cost of an answer in the usage report', () => {
  it('leaves an unpriced reply out of the cost, counted as unpriced, never as 0', () => {
    const known = {
      count: 2,
      mean_tokens: 220,
      p95_tokens: 330,
      mean_cost_usd: 0.0002,
      p95_cost_usd: 0.0002,
      unpriced: 1,
    };
    expect(body.answer_costs).toMatchObject({ per_reply: known, per_ai_conversation: known });
  });

  it('counts the "Try it" call in the key’s usage but not among the answers', () => {
    expect(modelCalls()).toBe(3);
    expect(body.totals).toMatchObject({ requests: 3, total_tokens: 110 + 330 + 1100 });
  });

  it('counts the messages the cap and the handover kept from the model, by reason', () => {
    expect(body.answer_costs).toMatchObject({
      model_calls_avoided: {
        coalesced: 0,
        takeovers: 1,
        closed_hours: 0,
        total: 2,
        by_reason: { quota_exceeded: 1, manual_handling: 1 },
      },
    });
  });

  it('is null when every reply is unpriced', async () => {
    const other = await t.business('preview', { model_name: UNPRICED });
    t.gemini.enqueue(reply('Hi!', 50, 5));
    expect(
      (await t.as(other, { method: 'POST', url: '/api/v1/ai/ask/', payload: { customer_id: 'zoe', question: 'Hi' } }))
        .statusCode,
    ).toBe(200);
    const response = await t.as(other, { method: 'GET', url: '/api/v1/ai/usage/stats/' });
    expect(response.json<{ answer_costs: unknown }>().answer_costs).toMatchObject({
      per_reply: { count: 1, mean_tokens: 55, p95_tokens: 55, mean_cost_usd: null, p95_cost_usd: null, unpriced: 1 },
    });
  });
});
