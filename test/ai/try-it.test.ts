import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { setSuspended } from '../../src/ai/ai-settings.js';
import { users } from '../../src/db/schema/index.js';
import { createAiTestApp, type AiTestApp } from '../helpers/ai.js';
import { testDatabaseKind } from '../helpers/database.js';

/**
 * The dashboard's "Try it" (issue #14): the owner asks as a customer would, in
 * a test conversation that the inbox, the sessions list and the analytics
 * leave out, while its model calls count in usage. The dashboard uses it
 * with its session cookie; the business's API token may too.
 */
let t: AiTestApp;
let adminToken: string;

interface Owner {
  token: string;
  cookie: string;
  csrf: string;
}

interface GenerateBody {
  systemInstruction: { parts: { text: string }[] };
  contents: { role: string; parts: { text: string }[] }[];
}

/** A business that can sign in to the dashboard, with the AI settings given (auto-response off unless said). */
async function owner(username: string, settings: Record<string, unknown> = {}): Promise<Owner> {
  const token = await t.signUp(username, { password: `${username}-password` });
  const configured = await t.as(token, { method: 'PATCH', url: '/api/v1/ai/config/', payload: settings });
  expect(configured.statusCode).toBe(200);
  const signIn = await t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/session/',
    payload: { username, password: `${username}-password` },
  });
  expect(signIn.statusCode).toBe(200);
  return {
    token,
    cookie: String(signIn.headers['set-cookie']).split(';')[0]!,
    csrf: signIn.json<{ csrf_token: string }>().csrf_token,
  };
}

/** A request from the dashboard: the cookie, and the CSRF token on writes. */
const dashboard = (who: Owner, request: InjectOptions) =>
  t.app.inject({ ...request, headers: { cookie: who.cookie, 'x-csrf-token': who.csrf, ...request.headers } });

const tryIt = (who: Owner, question: string) =>
  dashboard(who, { method: 'POST', url: '/api/v1/ai/try/', payload: { question } });

const generateCalls = () => t.gemini.requests.filter((request) => request.method === 'streamGenerateContent');
const lastCall = () => generateCalls().at(-1)?.body as GenerateBody;

const getJson = async <T>(token: string, url: string): Promise<T> => {
  const response = await t.as(token, { method: 'GET', url });
  expect(response.statusCode, url).toBe(200);
  return response.json<T>();
};

beforeAll(async () => {
  t = await createAiTestApp();
  adminToken = await t.signUp('operator', { isAdmin: true });
});
afterAll(() => t.close());

describe(`Try it (${testDatabaseKind})`, () => {
  it('answers with the prompts while auto-response is off, and says real customers would not be answered', async () => {
    const rosa = await owner('rosa', { prompts: { manual_prompt: 'You are the assistant of Rosa Bakery.' } });
    const before = await dashboard(rosa, { method: 'GET', url: '/api/v1/ai/try/' });
    expect(before.statusCode).toBe(200);
    expect(before.json()).toEqual({
      session_id: null,
      status: null,
      messages: [],
      answering_now: { ai_answers: false, reason: 'ai_disabled' },
    });

    t.gemini.enqueue({ text: 'We open at 8.' });
    const response = await tryIt(rosa, 'When do you open?');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      session_id: expect.stringMatching(/^msg_/),
      customer_id: expect.stringMatching(/^try-it-/),
      question: 'When do you open?',
      answer: 'We open at 8.',
      response_time_ms: expect.any(Number),
      success: true,
      auto_response_generated: true,
      answering_now: { ai_answers: false, reason: 'ai_disabled' },
    });
    expect(lastCall().systemInstruction.parts[0]?.text).toContain('You are the assistant of Rosa Bakery.');

    // A follow-up is answered with the test conversation so far.
    t.gemini.enqueue({ text: 'Until 19:00.' });
    expect((await tryIt(rosa, 'And until when?')).json()).toMatchObject({ answer: 'Until 19:00.' });
    expect(lastCall().contents.map((turn) => turn.parts[0]?.text)).toEqual([
      'When do you open?',
      'We open at 8.',
      'And until when?',
    ]);
    const after = await dashboard(rosa, { method: 'GET', url: '/api/v1/ai/try/' });
    expect(after.json()).toMatchObject({
      session_id: response.json<{ session_id: string }>().session_id,
      status: 'active',
      messages: [
        { type: 'customer', text: 'When do you open?' },
        { type: 'AI', text: 'We open at 8.' },
        { type: 'customer', text: 'And until when?' },
        { type: 'AI', text: 'Until 19:00.' },
      ],
    });
  });

  it('is left out of the inbox, its counts, the sessions and the analytics, but counts in usage', async () => {
    const ines = await owner('ines', { auto_response_enabled: true });
    t.gemini.enqueue({ text: 'Hello Ana.', usage: { promptTokenCount: 40, candidatesTokenCount: 10 } });
    const real = await t.as(ines.token, {
      method: 'POST',
      url: '/api/v1/ai/ask/',
      payload: { question: 'Hi', customer_id: 'ana' },
    });
    expect(real.statusCode).toBe(200);
    t.gemini.enqueue({ text: 'Hello you.', usage: { promptTokenCount: 30, candidatesTokenCount: 5 } });
    t.gemini.enqueue({
      functionCall: { name: 'handover_to_human', args: { reason: 'customer_request' } },
      usage: { promptTokenCount: 20, candidatesTokenCount: 2 },
    });
    expect((await tryIt(ines, 'Hi')).json()).toMatchObject({ auto_response_generated: true });
    expect((await tryIt(ines, 'A person, please')).json()).toMatchObject({
      reason: 'handed_over',
      auto_response_generated: false,
    });

    const inbox = await getJson<{ count: number; results: { customer_id: string }[] }>(
      ines.token,
      '/api/v1/conversations/',
    );
    expect(inbox.count).toBe(1);
    expect(inbox.results.map((row) => row.customer_id)).toEqual(['ana']);
    // The test's handover does not ask for a person in the inbox.
    expect((await getJson<{ count: number }>(ines.token, '/api/v1/conversations/?needs_person=true')).count).toBe(0);
    const sessions = await getJson<{ results: { customer_id: string }[] }>(ines.token, '/api/v1/ai/sessions/');
    expect(sessions.results.map((row) => row.customer_id)).toEqual(['ana']);
    const sync = await getJson<{ messages: { conversation_id: string }[]; conversations: { customer_id: string }[] }>(
      ines.token,
      '/api/v1/conversations/sync/?after_seq=0',
    );
    expect(sync.conversations.map((row) => row.customer_id)).toEqual(['ana']);
    expect(sync.messages).toHaveLength(2);

    const analytics = await getJson<{ totals: Record<string, unknown> }>(ines.token, '/api/v1/ai/analytics/?days=7');
    expect(analytics.totals).toMatchObject({
      conversations: 1,
      customer_messages: 1,
      ai_messages: 1,
      handovers: 0,
      handovers_by_reason: {},
    });
    const usage = await getJson<{ totals: { requests: number; total_tokens: number } }>(
      ines.token,
      '/api/v1/ai/usage/stats/?days=7',
    );
    expect(usage.totals).toMatchObject({ requests: 3, total_tokens: 50 + 35 + 22 });

    // Handed over inside the test, the test stays with people, as a real conversation would.
    const calls = generateCalls().length;
    expect((await tryIt(ines, 'Hello?')).json()).toMatchObject({ reason: 'manual_handling', answer: null });
    expect(generateCalls()).toHaveLength(calls);

    // Start over: the test conversation goes, its usage stays.
    expect((await dashboard(ines, { method: 'DELETE', url: '/api/v1/ai/try/' })).statusCode).toBe(204);
    expect((await dashboard(ines, { method: 'GET', url: '/api/v1/ai/try/' })).json()).toMatchObject({
      session_id: null,
      messages: [],
    });
    const usageAfter = await getJson<{ totals: { requests: number } }>(ines.token, '/api/v1/ai/usage/stats/?days=7');
    expect(usageAfter.totals.requests).toBe(3);
    t.gemini.enqueue({ text: 'Fresh start.' });
    expect((await tryIt(ines, 'Hi again')).json()).toMatchObject({ answer: 'Fresh start.' });
  });

  it('shows each business only its own test conversation', async () => {
    const ana = await owner('ana-shop');
    const ben = await owner('ben-shop');
    t.gemini.enqueue({ text: 'Ana answers.' });
    const asked = (await tryIt(ana, 'Secret question')).json<{ session_id: string }>();
    const benView = await dashboard(ben, { method: 'GET', url: '/api/v1/ai/try/' });
    expect(benView.json()).toMatchObject({ session_id: null, messages: [] });
    // Another business's test session is as absent as a missing one.
    const foreign = await t.as(ben.token, { method: 'GET', url: `/api/v1/ai/sessions/${asked.session_id}/` });
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json()).toEqual({ detail: expect.any(String), code: 'not_found' });
    // With the business's API token, the same test conversation.
    const viaToken = await t.as(ana.token, { method: 'GET', url: '/api/v1/ai/try/' });
    expect(viaToken.json()).toMatchObject({ session_id: asked.session_id });
    // Ben starting over leaves Ana's test alone.
    expect((await dashboard(ben, { method: 'DELETE', url: '/api/v1/ai/try/' })).statusCode).toBe(204);
    const anaView = await dashboard(ana, { method: 'GET', url: '/api/v1/ai/try/' });
    expect(anaView.json()).toMatchObject({ session_id: asked.session_id, messages: [{ text: 'Secret question' }, {}] });
  });

  it('refuses bad questions, and dashboard writes without the CSRF token, in the error shape', async () => {
    const cara = await owner('cara');
    for (const question of ['', '   ', 'x'.repeat(4_001)]) {
      const response = await tryIt(cara, question);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ code: 'validation_error', errors: { question: [expect.any(String)] } });
    }
    const missing = await dashboard(cara, { method: 'POST', url: '/api/v1/ai/try/', payload: {} });
    expect(missing.statusCode).toBe(400);

    expect((await t.app.inject({ method: 'GET', url: '/api/v1/ai/try/' })).statusCode).toBe(401);
    const noCsrf = await t.app.inject({
      method: 'DELETE',
      url: '/api/v1/ai/try/',
      headers: { cookie: cara.cookie },
    });
    expect(noCsrf.statusCode).toBe(403);
    expect(noCsrf.json()).toMatchObject({ code: 'csrf_failed' });
    // Nothing above reached the model or started a test.
    expect((await dashboard(cara, { method: 'GET', url: '/api/v1/ai/try/' })).json()).toMatchObject({ messages: [] });
  });
});

describe(`what new customers get now (${testDatabaseKind})`, () => {
  const answering = async (token: string) =>
    (await getJson<{ answering_now: unknown }>(token, '/api/v1/ai/config/')).answering_now;

  it('follows auto-response, the default handler, the business hours and the quota, in that order', async () => {
    const dora = await owner('dora');
    expect(await answering(dora.token)).toEqual({ ai_answers: false, reason: 'ai_disabled' });
    await t.as(dora.token, { method: 'PATCH', url: '/api/v1/ai/config/', payload: { auto_response_enabled: true } });
    expect(await answering(dora.token)).toEqual({ ai_answers: true, reason: null });

    const manual = await t.as(dora.token, {
      method: 'PUT',
      url: '/api/v1/ai/default-handler/',
      payload: { default_reply_handler: 'Manual' },
    });
    expect(manual.statusCode).toBe(200);
    expect(await answering(dora.token)).toEqual({ ai_answers: false, reason: 'default_handler_manual' });
    await t.as(dora.token, {
      method: 'PUT',
      url: '/api/v1/ai/default-handler/',
      payload: { default_reply_handler: 'AI' },
    });

    // Open only on a day that is not today, in the business's own zone.
    const today = new Intl.DateTimeFormat('en-US', { weekday: 'short', timeZone: 'Pacific/Kiritimati' })
      .format(new Date())
      .toLowerCase();
    const otherDay = today === 'mon' ? 'tue' : 'mon';
    const closed = await t.as(dora.token, {
      method: 'PATCH',
      url: '/api/v1/ai/config/',
      payload: {
        business_hours_enabled: true,
        business_hours: { timezone: 'Pacific/Kiritimati', schedule: { [otherDay]: [['09:00', '17:00']] } },
      },
    });
    expect(closed.json()).toMatchObject({ answering_now: { ai_answers: false, reason: 'outside_business_hours' } });
    await t.as(dora.token, { method: 'PATCH', url: '/api/v1/ai/config/', payload: { business_hours_enabled: false } });

    t.gemini.enqueue({ text: 'Hi.', usage: { promptTokenCount: 50, candidatesTokenCount: 50 } });
    await t.as(dora.token, {
      method: 'POST',
      url: '/api/v1/ai/ask/',
      payload: { question: 'Hi', customer_id: 'eve' },
    });
    const quota = await t.as(adminToken, {
      method: 'PUT',
      url: '/api/v1/ai/usage/quotas/dora/',
      payload: { daily_tokens: 100 },
    });
    expect(quota.statusCode).toBe(200);
    expect(await answering(dora.token)).toEqual({ ai_answers: false, reason: 'quota_exceeded' });
    // Over the quota, a test is not answered either: it would use the shared key.
    const tried = await tryIt(dora, 'Still there?');
    expect(tried.json()).toMatchObject({
      reason: 'quota_exceeded',
      answering_now: { ai_answers: false, reason: 'quota_exceeded' },
    });
  });

  it("is not limited like a customer: the owner may try more than a customer's replies an hour", async () => {
    const fay = await owner('fay', { customer_limit_message: 'A person will answer you.' });
    t.gemini.setResponder(() => ({ text: 'We open at nine.' }));
    const calls = generateCalls().length;
    for (let i = 0; i <= t.config.customerRepliesPerHour; i++) {
      const tried = await tryIt(fay, `Question ${i}?`);
      expect(tried.json()).toMatchObject({ answer: 'We open at nine.', auto_response_generated: true });
    }
    expect(generateCalls()).toHaveLength(calls + t.config.customerRepliesPerHour + 1);
  });

  it("is not answered while the operator has suspended the business, even with the business's AI on", async () => {
    const erin = await owner('erin', { auto_response_enabled: true });
    const [row] = await t.db.select({ id: users.id }).from(users).where(eq(users.username, 'erin'));
    await setSuspended(t.db, true, t.config.gemini.defaultModel, [row!.id]);
    const calls = generateCalls().length;
    const tried = await tryIt(erin, 'Hello?');
    expect(tried.statusCode).toBe(200);
    expect(tried.json()).toMatchObject({
      answer: null,
      reason: 'suspended',
      answering_now: { ai_answers: false, reason: 'suspended' },
    });
    expect(generateCalls()).toHaveLength(calls);
    // The business's own switch is untouched, and counts again once resumed.
    expect(await getJson(erin.token, '/api/v1/ai/config/')).toMatchObject({ auto_response_enabled: true });
    await setSuspended(t.db, false, t.config.gemini.defaultModel, [row!.id]);
    expect(await answering(erin.token)).toEqual({ ai_answers: true, reason: null });
  });
});
