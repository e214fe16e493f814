import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createUser, findUser } from '../../src/auth/auth.service.js';
import { handovers, usageRecords } from '../../src/db/schema/index.js';
import type { ModelUsage } from '../../src/model/model-provider.js';
import { quotaExceeded, quotaStatus, setQuotaLimits } from '../../src/usage/quota.service.js';
import { usageStats } from '../../src/usage/stats.service.js';
import { estimateCostUsd } from '../../src/usage/usage.service.js';
import { createAiTestApp, type AiTestApp } from '../helpers/ai.js';

interface Totals {
  requests: number;
  successful: number;
  failed: number;
  outcomes: Record<string, number>;
  prompt_tokens: number;
  completion_tokens: number;
  thought_tokens: number;
  total_tokens: number;
  estimated_cost_usd: number;
  average_response_time_ms: number | null;
}

interface Quota {
  daily_tokens: number | null;
  monthly_tokens: number | null;
  weight: number;
  used_today: number;
  used_this_month: number;
  remaining: number | null;
  exceeded: boolean;
}

interface Stats {
  period: { days: number; start: string; end: string; timezone: string };
  totals: Totals;
  by_model: (Totals & { model: string })[];
  daily: (Totals & { date: string })[];
  quota: Quota;
}

interface GlobalStats extends Omit<Stats, 'quota'> {
  users: (Totals & { id: string; username: string })[];
}

let t: AiTestApp;
let adminToken: string;

beforeAll(async () => {
  t = await createAiTestApp({ GEMINI_RETRIES: '0', PARLEY_ALLOWED_MODELS: 'gemini-2.5-flash' });
  adminToken = await t.signUp('operator', { isAdmin: true });
});
afterAll(() => t.close());
beforeEach(() => t.gemini.reset());

const modelCalls = () =>
  t.gemini.requests.filter((r) => r.method === 'generateContent' || r.method === 'streamGenerateContent').length;

const ask = (token: string, customer: string, question = 'hello?') =>
  t.as(token, { method: 'POST', url: '/api/v1/ai/ask/', payload: { question, customer_id: customer } });

async function stats(token: string, query = '') {
  const response = await t.as(token, { method: 'GET', url: `/api/v1/ai/usage/stats/${query}` });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<Stats>();
}

const putQuota = (token: string, username: string, payload: unknown) =>
  t.as(token, { method: 'PUT', url: `/api/v1/ai/usage/quotas/${username}/`, payload: payload as object });

const usage = (prompt: number, completion: number, thoughts = 0) => ({
  promptTokenCount: prompt,
  candidatesTokenCount: completion,
  thoughtsTokenCount: thoughts,
  totalTokenCount: prompt + completion + thoughts,
});

const today = () => new Date().toISOString().slice(0, 10);

async function userId(username: string) {
  const user = await findUser(t.db, username);
  if (!user) throw new Error(`no user ${username}`);
  return user.id;
}

describe('GET /api/v1/ai/usage/stats/', () => {
  it("equals the sums of the model's usageMetadata, failed calls included", async () => {
    const token = await t.business('ledger');
    // What the emulator reports for each call, and the model it was made with.
    const calls: { model: string; usage: ModelUsage }[] = [];
    const expectCall = (model: string, meta: ReturnType<typeof usage> | undefined) =>
      calls.push({
        model,
        usage: {
          promptTokens: meta?.promptTokenCount ?? 0,
          completionTokens: meta?.candidatesTokenCount ?? 0,
          thoughtTokens: meta?.thoughtsTokenCount ?? 0,
          totalTokens: meta?.totalTokenCount ?? 0,
          cachedTokens: 0,
        },
      });

    const first = usage(120, 8, 4);
    const second = usage(300, 41);
    t.gemini.enqueue({ text: 'We open at nine.', usage: first }, { text: 'Until six.', usage: second });
    expect((await ask(token, 'ana', 'When do you open?')).statusCode).toBe(200);
    expect((await ask(token, 'ana', 'And close?')).statusCode).toBe(200);
    expectCall('gemini-flash-latest', first);
    expectCall('gemini-flash-latest', second);

    // A blocked prompt still used its prompt tokens.
    const blocked = { promptTokenCount: 30, totalTokenCount: 30 };
    t.gemini.enqueue({ blockReason: 'SAFETY', usage: blocked });
    expect((await ask(token, 'ben', 'something awful')).json()).toMatchObject({ reason: 'safety_blocked' });
    calls.push({
      model: 'gemini-flash-latest',
      usage: { promptTokens: 30, completionTokens: 0, thoughtTokens: 0, totalTokens: 30, cachedTokens: 0 },
    });

    // A failed call is a request with no tokens.
    t.gemini.enqueue({ error: { status: 400, message: 'Invalid JSON payload' } });
    const failed = await ask(token, 'cleo');
    expect(failed.statusCode).toBe(502);
    expectCall('gemini-flash-latest', undefined);

    await t.as(token, { method: 'PATCH', url: '/api/v1/ai/config/', payload: { model_name: 'gemini-2.5-flash' } });
    const third = usage(210, 19, 7);
    t.gemini.enqueue({ text: 'Yes, we bake on Sundays.', usage: third });
    expect((await ask(token, 'dan')).statusCode).toBe(200);
    expectCall('gemini-2.5-flash', third);
    expect(modelCalls()).toBe(5);

    const body = await stats(token, '?days=7');
    const sum = (pick: (u: ModelUsage) => number, model?: string) =>
      calls.filter((c) => model === undefined || c.model === model).reduce((n, c) => n + pick(c.usage), 0);
    const cost = (model?: string) =>
      calls
        .filter((c) => model === undefined || c.model === model)
        .reduce((n, c) => n + (estimateCostUsd(t.config.modelPrices, c.model, c.usage) ?? Number.NaN), 0);
    const latencies = (
      await t.db
        .select()
        .from(usageRecords)
        .where(eq(usageRecords.userId, await userId('ledger')))
    )
      .map((row) => row.latencyMs)
      .sort((a, b) => a - b);

    expect(body.period).toEqual({ days: 7, start: expect.any(String), end: today(), timezone: 'UTC' });
    expect(body.totals).toEqual({
      requests: 5,
      successful: 3,
      failed: 2,
      outcomes: { success: 3, discarded: 0, blocked: 1, empty: 0, error: 1 },
      prompt_tokens: sum((u) => u.promptTokens),
      completion_tokens: sum((u) => u.completionTokens),
      thought_tokens: sum((u) => u.thoughtTokens),
      total_tokens: sum((u) => u.totalTokens),
      cached_tokens: 0,
      estimated_cost_usd: expect.closeTo(cost(), 9),
      cache_saving_usd: 0,
      unpriced_requests: 0,
      average_response_time_ms: Math.round(latencies.reduce((a, b) => a + b, 0) / latencies.length),
    });
    expect(body.totals.total_tokens).toBe(132 + 341 + 30 + 0 + 236);

    expect(body.by_model.map((row) => [row.model, row.requests, row.total_tokens])).toEqual([
      ['gemini-flash-latest', 4, sum((u) => u.totalTokens, 'gemini-flash-latest')],
      ['gemini-2.5-flash', 1, 236],
    ]);
    expect(body.by_model[1]).toMatchObject({
      successful: 1,
      failed: 0,
      prompt_tokens: 210,
      completion_tokens: 19,
      thought_tokens: 7,
      estimated_cost_usd: expect.closeTo(cost('gemini-2.5-flash'), 9),
    });

    // A row for every day of the period, the empty ones too; all of it happened today.
    expect(body.daily).toHaveLength(7);
    expect(body.daily[0]?.date).toBe(body.period.start);
    expect(body.daily.at(-1)).toMatchObject({ date: today(), requests: 5, total_tokens: body.totals.total_tokens });
    for (const day of body.daily.slice(0, 6)) {
      expect(day).toMatchObject({
        requests: 0,
        total_tokens: 0,
        estimated_cost_usd: 0,
        average_response_time_ms: null,
      });
    }
    const dates = body.daily.map((row) => Date.parse(row.date));
    expect(dates.slice(1).map((date, i) => date - dates[i]!)).toEqual(Array(6).fill(86_400_000));

    expect(body.quota).toEqual({
      daily_tokens: null,
      daily_tokens_source: 'default',
      monthly_tokens: null,
      monthly_tokens_source: 'default',
      weight: 1,
      used_today: body.totals.total_tokens,
      used_this_month: body.totals.total_tokens,
      remaining: null,
      exceeded: false,
    });
  });

  it("shows only this business's use, and 30 days by default", async () => {
    const mine = await t.business('solo');
    const theirs = await t.business('neighbour');
    t.gemini.enqueue({ text: 'hi', usage: usage(1_000, 500) }, { text: 'hi', usage: usage(10, 5) });
    await ask(theirs, 'x');
    await ask(mine, 'y');

    const body = await stats(mine);
    expect(body.period.days).toBe(30);
    expect(body.daily).toHaveLength(30);
    expect(body.totals).toMatchObject({ requests: 1, prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 });
    expect((await stats(theirs)).totals).toMatchObject({ requests: 1, total_tokens: 1_500 });
  });

  it('starts empty for a business that has not used the key', async () => {
    const body = await stats(await t.business('newcomer'), '?days=1');
    expect(body.daily).toEqual([expect.objectContaining({ date: today(), requests: 0 })]);
    expect(body.totals).toMatchObject({ requests: 0, successful: 0, failed: 0, total_tokens: 0 });
    expect(body.by_model).toEqual([]);
    expect(body.totals.average_response_time_ms).toBeNull();
  });

  it('refuses days outside 1–365 or not a whole number with 400', async () => {
    const token = await t.business('picky');
    for (const days of ['0', '366', 'abc', '1.5', '-3', '']) {
      const response = await t.as(token, { method: 'GET', url: `/api/v1/ai/usage/stats/?days=${days}` });
      expect(response.statusCode, `days=${days}`).toBe(400);
      expect(response.json()).toMatchObject({ code: 'validation_error', errors: { days: [expect.any(String)] } });
    }
    expect((await t.as(token, { method: 'GET', url: '/api/v1/ai/usage/stats/?days=365' })).statusCode).toBe(200);
  });

  it('needs a token', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/v1/ai/usage/stats/' });
    expect(response.statusCode).toBe(401);
  });
});

describe('GET /api/v1/ai/usage/global/', () => {
  it("gives admins everyone's totals and a row per business", async () => {
    const a = await t.business('global-a');
    const b = await t.business('global-b');
    t.gemini.enqueue({ text: 'hi', usage: usage(100, 20) }, { text: 'hi', usage: usage(40, 2) });
    await ask(a, 'c1');
    await ask(b, 'c1');

    const response = await t.as(adminToken, { method: 'GET', url: '/api/v1/ai/usage/global/?days=3' });
    expect(response.statusCode).toBe(200);
    const body = response.json<GlobalStats>();
    expect(body.daily).toHaveLength(3);
    const row = (name: string) => body.users.find((user) => user.username === name);
    expect(row('global-a')).toMatchObject({ id: await userId('global-a'), requests: 1, total_tokens: 120 });
    expect(row('global-b')).toMatchObject({ requests: 1, total_tokens: 42 });
    expect(row('operator')).toMatchObject({ requests: 0, total_tokens: 0 });

    // The totals are the sum of every business's row, and of every model's, exactly.
    const everything = (await t.db.select().from(usageRecords)).filter(
      (record) => record.createdAt.getTime() > Date.now() - 86_400_000,
    );
    expect(body.totals.requests).toBe(everything.length);
    expect(body.totals.total_tokens).toBe(everything.reduce((n, r) => n + r.totalTokens, 0));
    expect(body.users.reduce((n, u) => n + u.total_tokens, 0)).toBe(body.totals.total_tokens);
    expect(body.users.reduce((n, u) => n + u.requests, 0)).toBe(body.totals.requests);
    expect(body.by_model.reduce((n, m) => n + m.prompt_tokens, 0)).toBe(body.totals.prompt_tokens);
    const tokens = body.users.map((user) => user.total_tokens);
    expect(tokens).toEqual([...tokens].sort((x, y) => y - x));
  });

  it('is refused to a business that is not an admin', async () => {
    const token = await t.business('curious');
    const response = await t.as(token, { method: 'GET', url: '/api/v1/ai/usage/global/' });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toEqual({ detail: expect.any(String), code: 'permission_denied' });
    const bad = await t.as(adminToken, { method: 'GET', url: '/api/v1/ai/usage/global/?days=400' });
    expect(bad.statusCode).toBe(400);
  });
});

describe('quotas', () => {
  it('stop the next model call once a cap is used up, and hand the conversation to people', async () => {
    const token = await t.business('capped', { handover_message: 'A colleague will answer you shortly.' });
    t.gemini.enqueue({ text: 'First answer.', usage: usage(80, 20) });
    expect((await ask(token, 'eva')).json()).toMatchObject({ auto_response_generated: true });

    const set = await putQuota(adminToken, 'capped', { daily_tokens: 150 });
    expect(set.statusCode).toBe(200);
    expect(set.json()).toEqual({
      username: 'capped',
      daily_tokens: 150,
      daily_tokens_source: 'own',
      monthly_tokens: null,
      monthly_tokens_source: 'default',
      weight: 1,
      used_today: 100,
      used_this_month: 100,
      remaining: 50,
      exceeded: false,
    });

    // Under the cap when it starts, so this call is made (and takes the business over it).
    t.gemini.enqueue({ text: 'Second answer.', usage: usage(60, 20) });
    expect((await ask(token, 'eva')).json()).toMatchObject({ answer: 'Second answer.' });
    expect(modelCalls()).toBe(2);

    const refused = await ask(token, 'eva', 'Are you still there?');
    expect(refused.statusCode).toBe(200);
    const body = refused.json<{ session_id: string }>();
    expect(body).toMatchObject({
      question: 'Are you still there?',
      answer: null,
      success: true,
      auto_response_generated: false,
      reason: 'quota_exceeded',
    });
    expect(modelCalls()).toBe(2);

    const conversationId = body.session_id.slice(4);
    const session = await t.as(token, { method: 'GET', url: `/api/v1/ai/sessions/${body.session_id}/` });
    expect(session.json()).toMatchObject({ status: 'support_active' });
    expect(
      session
        .json<{ messages: { type: string; text: string }[] }>()
        .messages.slice(-3)
        .map((m) => [m.type, m.text]),
    ).toEqual([
      ['customer', 'Are you still there?'],
      ['system', 'Handed to people (quota_exceeded).'],
      ['AI', 'A colleague will answer you shortly.'],
    ]);
    const handover = await t.db
      .select()
      .from(handovers)
      .where(and(eq(handovers.conversationId, conversationId), eq(handovers.reason, 'quota_exceeded')));
    expect(handover).toEqual([expect.objectContaining({ source: 'system' })]);
    expect(t.published.map((p) => p.event)).toContainEqual({
      type: 'ai.reply.failed',
      data: { conversation_id: conversationId, reason: 'quota_exceeded' },
    });
    // The refused question still reached the business's people, live.
    expect(t.published.map((p) => p.event)).toContainEqual({
      type: 'message.created',
      data: expect.objectContaining({
        conversation_id: conversationId,
        message: expect.objectContaining({ type: 'customer', text: 'Are you still there?' }),
      }),
    });
    const status = await t.as(token, { method: 'GET', url: `/api/v1/ai/conversations/${conversationId}/status/` });
    expect(status.json()).toMatchObject({ status: 'support_active', reason: 'quota_exceeded' });

    // Other customers are not answered by the model either, and the stats say why.
    expect((await ask(token, 'finn')).json()).toMatchObject({ reason: 'quota_exceeded' });
    expect(modelCalls()).toBe(2);
    expect((await stats(token)).quota).toEqual({
      daily_tokens: 150,
      daily_tokens_source: 'own',
      monthly_tokens: null,
      monthly_tokens_source: 'default',
      weight: 1,
      used_today: 180,
      used_this_month: 180,
      remaining: 0,
      exceeded: true,
    });

    // A monthly cap alone counts too; removing the caps lets the AI answer again.
    const monthly = await putQuota(adminToken, 'capped', { daily_tokens: 0, monthly_tokens: 1_000 });
    expect(monthly.json()).toMatchObject({
      daily_tokens: null,
      daily_tokens_source: 'own',
      monthly_tokens: 1_000,
      remaining: 820,
      exceeded: false,
    });
    t.gemini.enqueue({ text: 'Back again.' });
    expect((await ask(token, 'gus')).json()).toMatchObject({ answer: 'Back again.' });
    expect(modelCalls()).toBe(3);
    await putQuota(adminToken, 'capped', { monthly_tokens: 150 });
    expect((await ask(token, 'hal')).json()).toMatchObject({ reason: 'quota_exceeded' });
    expect(modelCalls()).toBe(3);
  });

  it('are read and set by admins only, for users that exist', async () => {
    const token = await t.business('quoted');
    const read = await t.as(adminToken, { method: 'GET', url: '/api/v1/ai/usage/quotas/quoted/' });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual({
      username: 'quoted',
      daily_tokens: null,
      daily_tokens_source: 'default',
      monthly_tokens: null,
      monthly_tokens_source: 'default',
      weight: 1,
      used_today: 0,
      used_this_month: 0,
      remaining: null,
      exceeded: false,
    });

    // Form bodies, as the seed's Python examples send them, work too.
    const form = await t.as(adminToken, {
      method: 'PUT',
      url: '/api/v1/ai/usage/quotas/quoted/',
      payload: 'monthly_tokens=5000',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.json()).toMatchObject({ daily_tokens: null, monthly_tokens: 5_000, remaining: 5_000 });
    expect((await putQuota(adminToken, 'quoted', { daily_tokens: 700 })).json()).toMatchObject({
      daily_tokens: 700,
      monthly_tokens: 5_000,
      remaining: 700,
    });

    expect((await putQuota(token, 'quoted', { daily_tokens: 0 })).statusCode).toBe(403);
    expect((await t.as(token, { method: 'GET', url: '/api/v1/ai/usage/quotas/quoted/' })).statusCode).toBe(403);
    const ghost = await putQuota(adminToken, 'ghost', { daily_tokens: 1 });
    expect(ghost.statusCode).toBe(404);
    expect(ghost.json()).toMatchObject({ code: 'not_found' });
    expect((await t.as(adminToken, { method: 'GET', url: '/api/v1/ai/usage/quotas/ghost/' })).statusCode).toBe(404);
  });

  it('refuse negative, fractional, absurd or missing caps with 400', async () => {
    await t.business('guarded');
    const cases: [unknown, string][] = [
      [{ daily_tokens: -1 }, 'daily_tokens'],
      [{ monthly_tokens: 2.5 }, 'monthly_tokens'],
      [{ daily_tokens: 1e13 }, 'daily_tokens'],
      [{ monthly_tokens: '1000' }, 'monthly_tokens'],
      [{ daily_tokens: 'default' }, 'daily_tokens'],
      [{}, 'non_field_errors'],
    ];
    for (const [payload, field] of cases) {
      const response = await putQuota(adminToken, 'guarded', payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.json()).toMatchObject({ code: 'validation_error', errors: { [field]: [expect.any(String)] } });
    }
    const read = await t.as(adminToken, { method: 'GET', url: '/api/v1/ai/usage/quotas/guarded/' });
    expect(read.json()).toMatchObject({ daily_tokens: null, monthly_tokens: null });
  });

  it("set a business's fair-share weight beside its caps, from 0.1 to 100, shown wherever the caps are", async () => {
    await t.business('weighty');
    const set = await putQuota(adminToken, 'weighty', { weight: 2.5, daily_tokens: 800 });
    expect(set.statusCode).toBe(200);
    expect(set.json()).toMatchObject({ username: 'weighty', weight: 2.5, daily_tokens: 800 });
    // Changing a cap keeps the weight, and the other way round.
    expect((await putQuota(adminToken, 'weighty', { monthly_tokens: 9000 })).json()).toMatchObject({ weight: 2.5 });
    expect((await putQuota(adminToken, 'weighty', { weight: 0.1 })).json()).toMatchObject({
      weight: 0.1,
      daily_tokens: 800,
      monthly_tokens: 9000,
    });
    const businesses = await t.as(adminToken, { method: 'GET', url: '/api/v1/admin/businesses/' });
    const listed = businesses.json<{ results: { username: string; quota: { weight: number } }[] }>().results;
    expect(listed.find((row) => row.username === 'weighty')?.quota.weight).toBe(0.1);
    expect(listed.find((row) => row.username === 'operator')?.quota.weight).toBe(1);

    for (const weight of [0, 0.05, 100.5, -1, '2', null]) {
      const response = await putQuota(adminToken, 'weighty', { weight });
      expect(response.statusCode, JSON.stringify(weight)).toBe(400);
      expect(response.json()).toMatchObject({ code: 'validation_error', errors: { weight: [expect.any(String)] } });
    }
    const read = await t.as(adminToken, { method: 'GET', url: '/api/v1/ai/usage/quotas/weighty/' });
    expect(read.json()).toMatchObject({ weight: 0.1 });
  });
});

describe('calendar periods in PARLEY_TIMEZONE', () => {
  it('count days and months where the business is, not in UTC', async () => {
    const user = await createUser(t.db, { username: 'new-york' });
    const zone = 'America/New_York';
    // Noon UTC on the day New York moves its clocks forward.
    const now = new Date('2024-03-10T12:00:00Z');
    const at = async (iso: string, totalTokens: number) =>
      t.db.insert(usageRecords).values({
        id: `rec${iso.replace(/\D/g, '')}`,
        userId: user.id,
        model: 'gemini-flash-latest',
        outcome: 'success',
        totalTokens,
        latencyMs: 10,
        createdAt: new Date(iso),
      });
    await at('2024-02-29T23:00:00Z', 1); // Feb 29 in New York: last month, outside the period
    await at('2024-03-01T05:00:00Z', 10); // Mar 1, 00:00 EST
    await at('2024-03-10T04:30:00Z', 100); // Mar 9, 23:30 EST
    await at('2024-03-10T05:30:00Z', 1_000); // Mar 10, 00:30 EST

    const inZone = { timezone: zone, defaultQuota: { dailyTokens: undefined, monthlyTokens: undefined } };
    const body = await usageStats(t.db, user.id, inZone, 10, now);
    expect(body.period).toEqual({ days: 10, start: '2024-03-01', end: '2024-03-10', timezone: zone });
    expect(body.totals.totalTokens).toBe(1_110);
    const byDate = Object.fromEntries(body.daily.map((day) => [day.date, day.totalTokens]));
    expect(byDate).toMatchObject({ '2024-03-01': 10, '2024-03-09': 100, '2024-03-10': 1_000 });
    expect(body.daily).toHaveLength(10);
    expect(body.quota).toMatchObject({ usedToday: 1_000, usedThisMonth: 1_110 });
    // In UTC the same rows fall on other days.
    expect((await usageStats(t.db, user.id, { ...inZone, timezone: 'UTC' }, 10, now)).daily.at(-1)?.totalTokens).toBe(
      1_100,
    );

    await setQuotaLimits(t.db, user.id, { dailyTokens: 1_001 });
    expect(await quotaExceeded(t.db, inZone, user.id, now)).toBe(false);
    await setQuotaLimits(t.db, user.id, { dailyTokens: 1_000 });
    expect(await quotaExceeded(t.db, inZone, user.id, now)).toBe(true);
    // The next local day starts afresh.
    expect(await quotaExceeded(t.db, inZone, user.id, new Date('2024-03-11T04:00:00Z'))).toBe(false);
    await setQuotaLimits(t.db, user.id, { dailyTokens: 0, monthlyTokens: 1_110 });
    expect(await quotaStatus(t.db, inZone, user.id, now)).toMatchObject({ remaining: 0, exceeded: true });
    // From April, March's tokens no longer count.
    expect(await quotaExceeded(t.db, inZone, user.id, new Date('2024-04-01T04:30:00Z'))).toBe(false);
  });
});

describe('OpenAPI', () => {
  it('describes the usage routes', async () => {
    const document = (await t.app.inject({ method: 'GET', url: '/api/openapi.json' })).json<{
      paths: Record<string, Record<string, unknown>>;
    }>();
    expect(Object.keys(document.paths['/api/v1/ai/usage/stats/'] ?? {})).toEqual(['get']);
    expect(Object.keys(document.paths['/api/v1/ai/usage/global/'] ?? {})).toEqual(['get']);
    expect(Object.keys(document.paths['/api/v1/ai/usage/quotas/{username}/'] ?? {}).sort()).toEqual(['get', 'put']);
  });
});
