import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';

/**
 * `curl -d '{"question": …}'` labels JSON as a form. Read as a form, the text
 * is one key and every field looks missing; the answer says what to do instead.
 */
let t: TestApp;
let token: string;

beforeAll(async () => {
  t = await createTestApp();
  token = await t.signUp('rosa', { password: 'correct horse battery' });
});
afterAll(() => t.close());

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const refusal = {
  detail:
    "The body looks like JSON but was sent as a form (application/x-www-form-urlencoded, curl's default for -d). " +
    "Send it with the header content-type: application/json (curl: -H 'content-type: application/json').",
  code: 'json_needs_content_type',
};

const sessionCount = async () =>
  (await t.as(token, { method: 'GET', url: '/api/v1/ai/sessions/' })).json<{ count: number }>().count;

describe('JSON sent as a form', () => {
  it('is refused with 400 saying to send content-type: application/json, and nothing is stored', async () => {
    const response = await t.as(token, {
      method: 'POST',
      url: '/api/v1/ai/ask/',
      headers: FORM,
      payload: '{"question":"hi","customer_id":"a"}',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual(refusal);
    expect(await sessionCount()).toBe(0);

    // The same text with the right header is an ordinary question.
    const json = await t.as(token, {
      method: 'POST',
      url: '/api/v1/ai/ask/',
      headers: { 'content-type': 'application/json' },
      payload: '{"question":"hi","customer_id":"a"}',
    });
    expect(json.statusCode).toBe(200);
    expect(json.json()).toMatchObject({ customer_id: 'a', question: 'hi' });
    expect(await sessionCount()).toBe(1);
  });

  it('is recognised however the JSON is written: a list, with spaces or percent-encoded, with & or = inside', async () => {
    for (const payload of [
      '[{"question":"hi"}]',
      '  \n{"question": "hi", "customer_id": "a"}',
      encodeURIComponent('{"question":"hi","customer_id":"a"}'),
      '{"question":"fish & chips = lunch?","customer_id":"a"}',
    ]) {
      const response = await t.as(token, { method: 'POST', url: '/api/v1/ai/ask/', headers: FORM, payload });
      expect(response.statusCode, payload).toBe(400);
      expect(response.json()).toEqual(refusal);
    }
    expect(await sessionCount()).toBe(1);
  });

  it('is refused on every route that reads a body, signed in or not', async () => {
    const before = (await t.as(token, { method: 'GET', url: '/api/v1/ai/config/' })).json();
    const config = await t.as(token, {
      method: 'PUT',
      url: '/api/v1/ai/config/',
      headers: FORM,
      payload: '{"temperature": 0.2}',
    });
    expect(config.statusCode).toBe(400);
    expect(config.json()).toEqual(refusal);
    expect((await t.as(token, { method: 'GET', url: '/api/v1/ai/config/' })).json()).toEqual(before);

    const signIn = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/token/',
      headers: FORM,
      payload: '{"username":"rosa","password":"correct horse battery"}',
    });
    expect(signIn.statusCode).toBe(400);
    expect(signIn.json()).toEqual(refusal);
  });

  it('leaves ordinary forms alone, JSON text in a value included', async () => {
    const response = await t.as(token, {
      method: 'PUT',
      url: '/api/v1/ai/config/',
      headers: FORM,
      payload: `temperature=0.2&business_hours=${encodeURIComponent('{"timezone":"UTC","schedule":{"mon":[["09:00","17:00"]]}}')}`,
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      temperature: 0.2,
      business_hours: { timezone: 'UTC', schedule: { mon: [['09:00', '17:00']] } },
    });

    const signIn = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/token/',
      headers: FORM,
      payload: 'username=rosa&password=correct+horse+battery',
    });
    expect(signIn.statusCode).toBe(200);
  });
});
