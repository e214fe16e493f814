import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { testDatabaseKind } from '../helpers/database.js';
import { createTelegramTestApp, type TelegramTestApp } from '../helpers/telegram.js';

/**
 * GET /api/v1/ai/setup/ (issue #14): the first-run checklist's steps, and the findings of
 * `parley ai_control validate` for the business asking, in the same words.
 */
const BOT = { token: '555000444:AAEsetupChecklistBotTokenForTests', id: 555000444, username: 'setup_bot' };
let t: TelegramTestApp;

beforeAll(async () => {
  // The operator allows a model the key cannot use: the setup check is what finds it.
  t = await createTelegramTestApp(BOT, { PARLEY_ALLOWED_MODELS: 'gemini-1.5-flash' });
});
afterAll(() => t.close());

interface Setup {
  status: string;
  complete: boolean;
  steps: Record<string, boolean>;
  findings: { code: string; severity: string; message: string }[];
}

async function setupOf(token: string): Promise<Setup> {
  const response = await t.as(token, { method: 'GET', url: '/api/v1/ai/setup/' });
  expect(response.statusCode).toBe(200);
  return response.json<Setup>();
}

const configure = async (token: string, payload: Record<string, unknown>) => {
  const response = await t.as(token, { method: 'PUT', url: '/api/v1/ai/config/', payload });
  expect(response.statusCode).toBe(200);
};

describe(`a business's setup (${testDatabaseKind})`, () => {
  it('starts with nothing done: the AI off and no prompts, not finished rather than broken', async () => {
    const token = await t.signUp('new_shop');
    expect(await setupOf(token)).toEqual({
      status: 'unfinished',
      complete: false,
      steps: { prompts: false, ai_on: false, tried: false, channel: false },
      findings: [
        {
          code: 'ai_off',
          severity: 'unfinished',
          message: 'AI auto-response is off, so people answer every conversation',
        },
        {
          code: 'no_prompts',
          severity: 'unfinished',
          message: 'no prompts are set, so the AI knows nothing about the business',
        },
      ],
    });
  });

  it('ticks each step as it is done, and is complete once all four are', async () => {
    const token = await t.signUp('step_shop');
    await configure(token, { prompts: { knowledge_source: 'Open 9 to 5.' } });
    expect(await setupOf(token)).toMatchObject({
      steps: { prompts: true, ai_on: false, tried: false, channel: false },
      findings: [{ code: 'ai_off' }],
    });

    await configure(token, { auto_response_enabled: true });
    expect(await setupOf(token)).toMatchObject({
      status: 'ready',
      complete: false,
      steps: { prompts: true, ai_on: true, tried: false, channel: false },
      findings: [],
    });

    t.gemini.enqueue({ text: 'We open at 9.' });
    const asked = await t.as(token, {
      method: 'POST',
      url: '/api/v1/ai/ask/',
      payload: { question: 'When do you open?', customer_id: 'ana@example.com' },
    });
    expect(asked.statusCode).toBe(200);
    expect((await setupOf(token)).steps).toEqual({ prompts: true, ai_on: true, tried: true, channel: false });

    const channel = await t.as(token, {
      method: 'POST',
      url: '/api/v1/channels/',
      payload: { type: 'telegram', bot_token: BOT.token },
    });
    expect(channel.statusCode).toBe(201);
    expect(await setupOf(token)).toEqual({
      status: 'ready',
      complete: true,
      steps: { prompts: true, ai_on: true, tried: true, channel: true },
      findings: [],
    });
  });

  it('is broken when the AI is on and cannot answer: a model the key cannot use, hours that never open', async () => {
    const token = await t.business('broken_shop', { prompts: { manual_prompt: 'Bikes.' } });
    await configure(token, {
      model_name: 'gemini-1.5-flash',
      business_hours_enabled: true,
      business_hours: { timezone: 'UTC', schedule: {} },
    });
    const broken = await setupOf(token);
    expect(broken).toMatchObject({ status: 'broken', complete: false, steps: { prompts: true, ai_on: true } });
    expect(broken.findings).toEqual([
      {
        code: 'no_opening_hours',
        severity: 'broken',
        message: 'business hours are on but no day has opening hours, so the AI never answers',
      },
      {
        code: 'model_unavailable',
        severity: 'broken',
        message: 'the model "gemini-1.5-flash" does not exist or this key cannot use it',
      },
    ]);

    // With the AI off the same settings stop nothing: not finished, not broken.
    await configure(token, { auto_response_enabled: false });
    const off = await setupOf(token);
    expect(off.status).toBe('unfinished');
    expect(off.findings.map((finding) => [finding.code, finding.severity])).toEqual([
      ['ai_off', 'unfinished'],
      ['no_opening_hours', 'unfinished'],
      ['model_unavailable', 'unfinished'],
    ]);
  });

  it("shows only the asking business's setup", async () => {
    const ready = await t.business('ready_shop', { prompts: { manual_prompt: 'Cakes.' } });
    const other = await t.signUp('other_shop');
    expect((await setupOf(ready)).status).toBe('ready');
    expect((await setupOf(other)).status).toBe('unfinished');
    const anonymous = await t.app.inject({ method: 'GET', url: '/api/v1/ai/setup/' });
    expect(anonymous.statusCode).toBe(401);
  });
});

describe('a server without a Gemini key', () => {
  let keyless: TestApp;
  beforeAll(async () => {
    keyless = await createTestApp();
  });
  afterAll(() => keyless.close());

  it('is broken for a business that has the AI on, and says so in words', async () => {
    const token = await keyless.signUp('keyless_shop');
    const put = await keyless.as(token, {
      method: 'PUT',
      url: '/api/v1/ai/config/',
      payload: { auto_response_enabled: true, prompts: { manual_prompt: 'Tea.' } },
    });
    expect(put.statusCode).toBe(200);
    const response = await keyless.as(token, { method: 'GET', url: '/api/v1/ai/setup/' });
    expect(response.json()).toMatchObject({
      status: 'broken',
      findings: [
        {
          code: 'no_key',
          severity: 'broken',
          message: 'the server has no Gemini API key (GEMINI_API_KEY), so the AI cannot answer anyone',
        },
      ],
    });
  });
});
