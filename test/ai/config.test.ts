import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { invalidateAiSettings } from '../../src/ai/ai-settings.js';
import { aiConfigs, users } from '../../src/db/schema/index.js';
import { createAiTestApp, TEST_GEMINI_KEY, type AiTestApp } from '../helpers/ai.js';

let t: AiTestApp;

beforeAll(async () => {
  // The operator allows two more models; `house-model` is not in the price table.
  t = await createAiTestApp({ PARLEY_ALLOWED_MODELS: 'gemini-2.5-flash,house-model' });
});
afterAll(() => t.close());

const get = (token: string) => t.as(token, { method: 'GET', url: '/api/v1/ai/config/' });
const put = (token: string, payload: Record<string, unknown> | string, method: 'PUT' | 'PATCH' = 'PUT', headers = {}) =>
  t.as(token, { method, url: '/api/v1/ai/config/', payload, headers });

describe('/api/v1/ai/config/', () => {
  it('starts from the defaults, with auto-response off and the key never shown', async () => {
    const token = await t.signUp('fresh');
    const response = await get(token);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      model_name: 'gemini-flash-latest',
      temperature: 0.7,
      max_tokens: 1024,
      thinking_budget: null,
      thinking_budget_in_use: null,
      auto_response_enabled: false,
      business_hours_enabled: false,
      business_hours: null,
      away_message: null,
      handover_message: null,
      customer_limit_message: null,
      reply_debounce_ms: 2000,
      prompts: { manual_prompt: '', knowledge_source: '', product_service: '', question_answer: '' },
      api_key_configured: true,
      simulated: false,
      models: [
        {
          name: 'gemini-flash-latest',
          input_usd_per_million: 0.3,
          output_usd_per_million: 2.5,
          cached_input_usd_per_million: 0.03,
        },
        {
          name: 'gemini-2.5-flash',
          input_usd_per_million: 0.3,
          output_usd_per_million: 2.5,
          cached_input_usd_per_million: 0.03,
        },
        // Not in the price table: its cost is unknown, never priced as Flash.
        {
          name: 'house-model',
          input_usd_per_million: null,
          output_usd_per_million: null,
          cached_input_usd_per_million: null,
        },
      ],
      answering_now: { ai_answers: false, reason: 'ai_disabled' },
    });
    expect(response.body).not.toContain(TEST_GEMINI_KEY);
  });

  it('changes any subset with PUT or PATCH and keeps the rest', async () => {
    const token = await t.signUp('tweaker');
    await put(token, { temperature: 0.2, prompts: { manual_prompt: 'Be brief.' } });
    const patched = await put(token, { max_tokens: 300, prompts: { knowledge_source: 'Open 9-5.' } }, 'PATCH');
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({
      temperature: 0.2,
      max_tokens: 300,
      prompts: { manual_prompt: 'Be brief.', knowledge_source: 'Open 9-5.', product_service: '', question_answer: '' },
    });
    expect((await get(token)).json()).toEqual(patched.json());
  });

  it('accepts form bodies, with nested values as JSON text', async () => {
    const token = await t.signUp('formal');
    const response = await put(
      token,
      `temperature=0.4&auto_response_enabled=true&away_message=Back+soon&business_hours=${encodeURIComponent(
        JSON.stringify({ timezone: 'Asia/Tokyo', schedule: { mon: [['09:00', '17:00']] } }),
      )}&business_hours_enabled=true`,
      'PUT',
      { 'content-type': 'application/x-www-form-urlencoded' },
    );
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      temperature: 0.4,
      auto_response_enabled: true,
      away_message: 'Back soon',
      business_hours_enabled: true,
      business_hours: { timezone: 'Asia/Tokyo', schedule: { mon: [['09:00', '17:00']] } },
    });
  });

  it('refuses values out of range and changes nothing', async () => {
    const token = await t.signUp('careless');
    const cases: [Record<string, unknown>, string][] = [
      [{ temperature: 1.5 }, 'temperature'],
      [{ temperature: -0.1 }, 'temperature'],
      [{ temperature: 'hot' }, 'temperature'],
      [{ max_tokens: 0 }, 'max_tokens'],
      [{ max_tokens: 8193 }, 'max_tokens'],
      [{ max_tokens: 10.5 }, 'max_tokens'],
      [{ model_name: 'no spaces please' }, 'model_name'],
      [{ business_hours: { timezone: 'Mars/Olympus', schedule: {} } }, 'business_hours.timezone'],
      [{ business_hours: { timezone: 'UTC', schedule: { mon: [['9am', '5pm']] } } }, 'business_hours.schedule.mon.0.0'],
      [{ business_hours: { timezone: 'UTC', schedule: { someday: [] } } }, 'business_hours.schedule'],
      [{ business_hours_enabled: true }, 'business_hours'],
      [{ auto_response_enabled: 'sometimes' }, 'auto_response_enabled'],
      [{ away_message: 'x'.repeat(1_001) }, 'away_message'],
      [{ prompts: { manual_prompt: 'x'.repeat(20_001) } }, 'prompts.manual_prompt'],
    ];
    for (const [payload, field] of cases) {
      const response = await put(token, payload);
      expect(response.statusCode, JSON.stringify(payload).slice(0, 80)).toBe(400);
      expect(Object.keys(response.json<{ errors: object }>().errors), JSON.stringify(payload).slice(0, 80)).toContain(
        field,
      );
    }
    expect((await get(token)).json()).toMatchObject({ temperature: 0.7, max_tokens: 1024, business_hours: null });
  });

  it('ignores the read-only key flag and unknown fields, and says so', async () => {
    const token = await t.signUp('sneaky');
    const response = await put(token, { api_key_configured: false, api_key: 'mine', temperature: 0.1 });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ api_key_configured: true, temperature: 0.1 });
    expect(response.json<{ warnings: { field: string }[] }>().warnings.map((w) => w.field)).toEqual([
      'api_key_configured',
      'api_key',
    ]);
  });

  it('takes effect on the next answer', async () => {
    const token = await t.business('changer', { temperature: 0.9 });
    t.gemini.enqueue({ text: 'one' }, { text: 'two' });
    await t.as(token, { method: 'POST', url: '/api/v1/ai/ask/', payload: { question: 'a', customer_id: 'c' } });
    await put(token, { temperature: 0.1, model_name: 'gemini-2.5-flash' });
    await t.as(token, { method: 'POST', url: '/api/v1/ai/ask/', payload: { question: 'b', customer_id: 'c' } });
    const calls = t.gemini.requests.filter((request) => request.method === 'streamGenerateContent');
    expect(calls.map((call) => call.model)).toEqual(['gemini-flash-latest', 'gemini-2.5-flash']);
    expect(
      calls.map((call) => (call.body as { generationConfig: { temperature: number } }).generationConfig.temperature),
    ).toEqual([0.9, 0.1]);
  });

  it('refuses a model the operator has not allowed, naming the allowed ones, and changes nothing', async () => {
    const token = await t.signUp('shopper');
    for (const method of ['PUT', 'PATCH'] as const) {
      const response = await put(token, { model_name: 'gemini-3.5-flash', temperature: 0.3 }, method);
      expect(response.statusCode).toBe(400);
      const allowed =
        '"gemini-3.5-flash" is not a model this server allows; choose one of: gemini-flash-latest, gemini-2.5-flash, house-model.';
      expect(response.json()).toEqual({
        detail: `model_name: ${allowed}`,
        code: 'model_not_allowed',
        errors: { model_name: [allowed] },
      });
    }
    expect((await get(token)).json()).toMatchObject({ model_name: 'gemini-flash-latest', temperature: 0.7 });
    const allowed = await put(token, { model_name: 'house-model' });
    expect(allowed.statusCode).toBe(200);
    expect(allowed.json()).toMatchObject({ model_name: 'house-model' });
  });

  it("answers with the default model once the operator withdraws a business's stored model, and says so", async () => {
    const token = await t.business('narrowed', { prompts: { manual_prompt: 'Bikes.' } });
    const [owner] = await t.db.select({ id: users.id }).from(users).where(eq(users.username, 'narrowed'));
    // As if chosen before the operator narrowed PARLEY_ALLOWED_MODELS and restarted.
    await t.db.update(aiConfigs).set({ modelName: 'gemini-3.5-flash' }).where(eq(aiConfigs.userId, owner!.id));
    invalidateAiSettings(t.db, [owner!.id]);

    t.gemini.reset();
    t.gemini.enqueue({ text: 'We fix bikes.' });
    const asked = await t.as(token, {
      method: 'POST',
      url: '/api/v1/ai/ask/',
      payload: { question: 'hi', customer_id: 'c' },
    });
    expect(asked.statusCode).toBe(200);
    expect(asked.json()).toMatchObject({ answer: 'We fix bikes.' });
    const calls = t.gemini.requests.filter((request) => request.method === 'streamGenerateContent');
    expect(calls.map((call) => call.model)).toEqual(['gemini-flash-latest']);

    // The stored choice is shown as it is, and the setup findings say it is not used.
    expect((await get(token)).json()).toMatchObject({ model_name: 'gemini-3.5-flash' });
    const setup = await t.as(token, { method: 'GET', url: '/api/v1/ai/setup/' });
    expect(setup.json()).toMatchObject({
      status: 'unfinished',
      findings: [
        {
          code: 'model_not_allowed',
          severity: 'unfinished',
          message:
            'the model "gemini-3.5-flash" is no longer allowed on this server, so replies use gemini-flash-latest; choose one of: gemini-flash-latest, gemini-2.5-flash, house-model',
        },
      ],
    });
  });

  it('needs a token', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/ai/config/' })).statusCode).toBe(401);
  });
});
