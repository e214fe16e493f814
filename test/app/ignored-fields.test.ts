import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { TelegramFake } from '../fakes/telegram.js';

/**
 * Unknown fields are still accepted (the contract), but no longer in silence:
 * a write's answer lists each in `warnings`, with the likely mistake.
 */
let t: TestApp;
let telegram: TelegramFake;
let token: string;

const BOT_TOKEN = '123456789:AAEfakeTokenForTheBakeryBot_0123456789';

beforeAll(async () => {
  telegram = await TelegramFake.start();
  telegram.addBot(BOT_TOKEN, { id: 123456789, username: 'rosa_bakery_bot', first_name: 'Rosa' });
  t = await createTestApp({ env: { TELEGRAM_API_BASE: telegram.url, PUBLIC_URL: 'https://chat.example.com' } });
  token = await t.signUp('rosa');
});
afterAll(async () => {
  await t.close();
  await telegram.close();
});

const config = async () =>
  (await t.as(token, { method: 'GET', url: '/api/v1/ai/config/' })).json<Record<string, unknown>>();
const putConfig = (payload: Record<string, unknown>) =>
  t.as(token, { method: 'PUT', url: '/api/v1/ai/config/', payload });
const warning = (field: string, why: string) => ({
  code: 'ignored_field',
  field,
  message: `${field} was ignored: ${why}`,
});

describe('AI configuration', () => {
  it('names a prompt sent outside "prompts", and changes nothing', async () => {
    const before = await config();
    const response = await putConfig({ manual_prompt: 'We bake bread.' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      ...before,
      warnings: [warning('manual_prompt', 'it goes inside "prompts", as {"prompts": {"manual_prompt": …}}.')],
    });
    expect(await config()).toEqual(before);
  });

  it('lists every ignored field, nested ones by their dotted path, and applies the rest', async () => {
    const response = await putConfig({
      prompts: { manual_promt: 'We bake.', knowledge_source: 'Open 8 to 6.' },
      temprature: 0.3,
      max_tokens: 512,
      timezone: 'Europe/Lisbon',
      business_hours: { timezone: 'UTC', schedule: { mon: [['09:00', '17:00']] }, tz: 'UTC' },
      api_key_configured: true,
      colour: 'red',
    });
    expect(response.statusCode).toBe(200);
    const body = response.json<{ warnings: unknown[]; max_tokens: number; prompts: Record<string, string> }>();
    expect(body.warnings).toEqual([
      warning('prompts.manual_promt', 'there is no such field; did you mean "prompts.manual_prompt"?'),
      warning('temprature', 'there is no such field; did you mean "temperature"?'),
      warning('timezone', 'it goes inside "business_hours", as {"business_hours": {"timezone": …}}.'),
      warning('business_hours.tz', 'there is no such field in this request.'),
      warning('api_key_configured', 'it is read-only.'),
      warning('colour', 'there is no such field in this request.'),
    ]);
    expect(body.max_tokens).toBe(512);
    expect(body.prompts).toMatchObject({ manual_prompt: '', knowledge_source: 'Open 8 to 6.' });
    expect(await config()).toMatchObject({ temperature: 0.7, max_tokens: 512, business_hours: { timezone: 'UTC' } });
  });

  it('warns about form fields too', async () => {
    const response = await t.as(token, {
      method: 'PATCH',
      url: '/api/v1/ai/config/',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'temperature=0.4&question_answer=Q%3A+open%3F',
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      temperature: 0.4,
      prompts: { question_answer: '' },
      warnings: [warning('question_answer', 'it goes inside "prompts", as {"prompts": {"question_answer": …}}.')],
    });
  });

  it('leaves warnings out when nothing was ignored, and out of errors', async () => {
    const clean = await putConfig({ temperature: 0.5, prompts: { product_service: 'Bread' } });
    expect(clean.statusCode).toBe(200);
    expect(clean.json()).not.toHaveProperty('warnings');

    const refused = await putConfig({ temperature: 5, colour: 'red' });
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toEqual({
      detail: 'temperature: Between 0.0 and 1.0.',
      code: 'validation_error',
      errors: { temperature: ['Between 0.0 and 1.0.'] },
    });
    expect(await config()).toMatchObject({ temperature: 0.5 });
  });

  it('lists at most 50, however many there were', async () => {
    const payload = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`extra_${i}`, i]));
    const response = await putConfig({ ...payload, max_tokens: 256 });
    expect(response.statusCode).toBe(200);
    const body = response.json<{ max_tokens: number; warnings: { field: string }[] }>();
    expect(body.max_tokens).toBe(256);
    expect(body.warnings).toHaveLength(50);
    expect(body.warnings[49]).toEqual(warning('extra_49', 'there is no such field in this request.'));
  });
});

describe('other writes', () => {
  it('the default handler, a status change and an agent’s reply', async () => {
    const handler = await t.as(token, {
      method: 'PUT',
      url: '/api/v1/ai/default-handler/',
      payload: { default_reply_handler: 'Manual', default_handler: 'AI' },
    });
    expect(handler.json()).toEqual({
      default_reply_handler: 'Manual',
      warnings: [warning('default_handler', 'there is no such field; did you mean "default_reply_handler"?')],
    });

    const asked = await t.as(token, {
      method: 'POST',
      url: '/api/v1/ai/ask/',
      payload: { question: 'open?', customer_id: 'ana', customer_name: 'Ana' },
    });
    expect(asked.statusCode).toBe(200);
    expect(asked.json()).toMatchObject({
      customer_id: 'ana',
      warnings: [warning('customer_name', 'there is no such field in this request.')],
    });
    const conversation = asked.json<{ session_id: string }>().session_id;

    const status = await t.as(token, {
      method: 'PUT',
      url: `/api/v1/ai/conversations/${conversation}/status/`,
      payload: { status: 'support_active', reason: 'busy' },
    });
    expect(status.json()).toMatchObject({
      status: 'support_active',
      reason: 'no_api_key',
      warnings: [warning('reason', 'it is read-only.')],
    });

    const reply = await t.as(token, {
      method: 'POST',
      url: `/api/v1/conversations/${conversation}/messages/`,
      payload: { text: 'Yes, until six.', keepAi: true },
    });
    expect(reply.statusCode).toBe(201);
    expect(reply.json()).toMatchObject({
      message: { text: 'Yes, until six.' },
      warnings: [warning('keepAi', 'there is no such field; did you mean "keep_ai"?')],
    });
  });

  it('connecting a channel', async () => {
    const response = await t.as(token, {
      method: 'POST',
      url: '/api/v1/channels/',
      payload: { type: 'telegram', bot_token: BOT_TOKEN, name: 'Rosa’s bakery', token: 'x' },
    });
    expect(response.statusCode).toBe(201);
    expect(response.json()).toMatchObject({
      name: '@rosa_bakery_bot',
      warnings: [
        warning('name', 'it is read-only.'),
        warning('token', 'there is no such field; did you mean "bot_token"?'),
      ],
    });
  });
});

describe('OpenAPI', () => {
  it('documents warnings as an optional field of the writes’ answers', async () => {
    const document = (await t.app.inject({ method: 'GET', url: '/api/openapi.json' })).json<{
      paths: Record<
        string,
        Record<string, { responses: Record<string, { content: Record<string, { schema: unknown }> }> }>
      >;
      components: { schemas: Record<string, unknown> };
    }>();
    const answer = (path: string, method: string, status: string) =>
      JSON.stringify(document.paths[path]?.[method]?.responses[status]?.content['application/json']?.schema);
    for (const [path, method, status] of [
      ['/api/v1/ai/config/', 'put', '200'],
      ['/api/v1/ai/config/', 'patch', '200'],
      ['/api/v1/channels/', 'post', '201'],
      ['/api/v1/ai/default-handler/', 'put', '200'],
      ['/api/v1/ai/conversations/{conversation_id}/status/', 'put', '200'],
    ] as const) {
      expect(answer(path, method, status), `${method} ${path}`).toContain('"warnings"');
    }
    expect(answer('/api/v1/ai/config/', 'get', '200')).not.toContain('"warnings"');
    expect(document.components.schemas).toHaveProperty('Warning');
    expect(document.components.schemas).toHaveProperty('AiConfig');
    expect(document.components.schemas).toHaveProperty('Channel');
  });
});
