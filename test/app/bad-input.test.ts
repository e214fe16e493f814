import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conversations, messages } from '../../src/db/schema/index.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

/**
 * Text with NUL, other control characters or unpaired surrogates is refused
 * at the edge with a 400 naming the field, wherever it comes: path, query or
 * body, JSON or form. PostgreSQL cannot store NUL, so before this each of
 * these requests was a 500.
 */
let t: TestApp;
let token: string;

beforeAll(async () => {
  t = await createTestApp();
  token = await t.signUp('rosa');
});
afterAll(() => t.close());

const refusal = (field: string) => ({
  detail: expect.stringContaining(`${field}: Control characters`),
  code: 'validation_error',
  errors: { [field]: [expect.stringContaining('not accepted')] },
});

async function stored() {
  return { conversations: await t.db.select().from(conversations), messages: await t.db.select().from(messages) };
}

describe('control characters in a request', () => {
  it('are refused in an API field, as JSON or as a form, and nothing is stored', async () => {
    const before = await stored();
    const json = await t.as(token, {
      method: 'POST',
      url: '/api/v1/ai/ask/',
      payload: { question: 'open\u0000 today?', customer_id: 'ana' },
    });
    expect(json.statusCode).toBe(400);
    expect(json.json()).toEqual(refusal('question'));

    const form = await t.as(token, {
      method: 'POST',
      url: '/api/v1/ai/ask/',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'question=open%00today&customer_id=ana',
    });
    expect(form.statusCode).toBe(400);
    expect(form.json()).toEqual(refusal('question'));

    const customer = await t.as(token, {
      method: 'POST',
      url: '/api/v1/ai/ask/',
      payload: { question: 'open today?', customer_id: 'ana\u0007' },
    });
    expect(customer.json()).toEqual(refusal('customer_id'));
    expect(await stored()).toEqual(before);
  });

  it('are refused in path ids with 400, on every route that takes one', async () => {
    for (const [method, url, field] of [
      ['GET', '/api/v1/ai/conversations/%00/status/', 'conversation_id'],
      ['GET', '/api/v1/conversations/%00/', 'conversation_id'],
      ['GET', '/api/v1/conversations/%00/messages/', 'conversation_id'],
      ['GET', '/api/v1/ai/sessions/msg_%00/', 'session_id'],
      ['DELETE', '/api/v1/channels/%00/', 'channel_id'],
    ] as const) {
      const response = await t.as(token, { method, url });
      expect(response.statusCode, url).toBe(400);
      expect(response.json()).toEqual(refusal(field));
    }
    // Telegram's webhook is addressed by the channel id too: no token, still a 400 and not a 500.
    const webhook = await t.app.inject({ method: 'POST', url: '/webhooks/telegram/%00/', payload: { update_id: 1 } });
    expect(webhook.statusCode).toBe(400);
    expect(webhook.json()).toEqual(refusal('channel_id'));
  });

  it('are refused in query parameters and nested fields', async () => {
    const search = await t.as(token, { method: 'GET', url: '/api/v1/conversations/?search=ana%00' });
    expect(search.json()).toEqual(refusal('search'));

    const prompt = await t.as(token, {
      method: 'PATCH',
      url: '/api/v1/ai/config/',
      payload: { prompts: { manual_prompt: 'We bake.\u001b[2J' } },
    });
    expect(prompt.statusCode).toBe(400);
    expect(prompt.json()).toEqual(refusal('prompts.manual_prompt'));
    const config = await t.as(token, { method: 'GET', url: '/api/v1/ai/config/' });
    expect(config.json<{ prompts: { manual_prompt: string } }>().prompts.manual_prompt).not.toContain('\u001b');

    // Unknown fields are ignored, as the contract says, whatever they hold: they go nowhere.
    const unknown = await t.as(token, { method: 'GET', url: '/api/v1/conversations/?%00=1&colour=%00' });
    expect(unknown.statusCode).toBe(200);
  });

  it('refuses unpaired surrogates, but keeps emoji, tabs and line breaks', async () => {
    const lone = await t.as(token, {
      method: 'POST',
      url: '/api/v1/ai/ask/',
      headers: { 'content-type': 'application/json' },
      payload: '{"question": "half an emoji \\ud83d", "customer_id": "ana"}',
    });
    expect(lone.statusCode).toBe(400);
    expect(lone.json()).toEqual(refusal('question'));

    const fine = await t.as(token, {
      method: 'POST',
      url: '/api/v1/ai/ask/',
      payload: { question: 'Two cakes 🎂\tplease,\r\nfor Sunday', customer_id: 'ana' },
    });
    expect(fine.statusCode).toBe(200);
    expect(fine.json()).toMatchObject({ question: 'Two cakes 🎂\tplease,\r\nfor Sunday' });
  });
});

describe('pages', () => {
  it('stop at page 10000: a larger page is a 400, not a scan of the table', async () => {
    for (const url of [
      '/api/v1/conversations/?page=10001',
      '/api/v1/ai/sessions/?page=99999999999999999999',
      '/api/v1/conversations/abc/messages/?page=1e9',
    ]) {
      const response = await t.as(token, { method: 'GET', url });
      expect(response.statusCode, url).toBe(400);
      expect(response.json()).toEqual({
        detail: 'page: At most page 10000; narrow the search instead.',
        code: 'validation_error',
        errors: { page: ['At most page 10000; narrow the search instead.'] },
      });
    }
    const last = await t.as(token, { method: 'GET', url: '/api/v1/conversations/?page=10000' });
    expect(last.statusCode).toBe(200);
    expect(last.json()).toMatchObject({ results: [] });
  });
});
