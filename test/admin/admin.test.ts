import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { jobType, PermanentJobError } from '../../src/infra/queue.js';
import { lastRun, modelHealthCheck } from '../../src/jobs/scheduled.jobs.js';
import { until } from '../helpers/wait.js';
import { createAiTestApp, type AiTestApp } from '../helpers/ai.js';

/** The operator's admin API: every business, creating one, and the machinery's state. */
interface Business {
  id: string;
  username: string;
  email: string;
  is_admin: boolean;
  ai_enabled: boolean;
  suspended: boolean;
  default_reply_handler: string;
  conversations: { total: number; ai: number; people: number };
  usage_this_month: { requests: number; total_tokens: number; estimated_cost_usd: number };
  quota: Record<string, unknown>;
}

let t: AiTestApp;
let admin: string;
let bakery: string;
let florist: string;

const get = (token: string, url: string) => t.as(token, { method: 'GET', url });
const list = async () => {
  const response = await get(admin, '/api/v1/admin/businesses/');
  expect(response.statusCode, response.body).toBe(200);
  return response.json<{ count: number; results: Business[] }>();
};
const named = async (username: string) => (await list()).results.find((row) => row.username === username)!;
const create = (token: string, payload: unknown) =>
  t.as(token, { method: 'POST', url: '/api/v1/admin/businesses/', payload: payload as object });
const usage = (prompt: number, completion: number) => ({
  promptTokenCount: prompt,
  candidatesTokenCount: completion,
  totalTokenCount: prompt + completion,
});

beforeAll(async () => {
  t = await createAiTestApp({ GEMINI_RETRIES: '0' });
  admin = await t.signUp('operator', { isAdmin: true });
  bakery = await t.business('bakery');
  florist = await t.signUp('Florist', { email: 'flo@example.com' });
  const manual = await t.as(florist, {
    method: 'PUT',
    url: '/api/v1/ai/default-handler/',
    payload: { default_reply_handler: 'Manual' },
  });
  expect(manual.statusCode).toBe(200);
});
afterAll(() => t.close());
beforeEach(() => t.gemini.reset());

describe('GET /api/v1/admin/businesses/', () => {
  it('lists every business with its AI switch, default handler, conversations, usage this month and caps', async () => {
    t.gemini.enqueue({ text: 'We open at nine.', usage: usage(100, 20) }, { text: 'Yes.', usage: usage(110, 20) });
    const sessions: string[] = [];
    for (const customer of ['ana', 'ben']) {
      const asked = await t.as(bakery, {
        method: 'POST',
        url: '/api/v1/ai/ask/',
        payload: { question: 'Open today?', customer_id: customer },
      });
      expect(asked.statusCode, asked.body).toBe(200);
      sessions.push(asked.json<{ session_id: string }>().session_id);
    }
    // People take Ben's conversation over.
    const takeover = await t.as(bakery, {
      method: 'PUT',
      url: `/api/v1/ai/conversations/${sessions[1]!.slice('msg_'.length)}/status/`,
      payload: { status: 'support_active' },
    });
    expect(takeover.statusCode, takeover.body).toBe(200);
    const capped = await t.as(admin, {
      method: 'PUT',
      url: '/api/v1/ai/usage/quotas/bakery/',
      payload: { daily_tokens: 1000 },
    });
    expect(capped.statusCode).toBe(200);

    // The owner's "Try it" question: it used the key, but it is not a customer's conversation.
    t.gemini.enqueue({ text: 'Yes, nine.', usage: usage(50, 10) });
    const tried = await t.as(bakery, { method: 'POST', url: '/api/v1/ai/try/', payload: { question: 'Open today?' } });
    expect(tried.statusCode, tried.body).toBe(200);

    const { count, results } = await list();
    // By username, whatever its case.
    expect(results.map((row) => row.username)).toEqual(['bakery', 'Florist', 'operator']);
    expect(count).toBe(3);
    const [shop, flowers, operator] = results;
    expect(shop).toMatchObject({
      is_admin: false,
      ai_enabled: true,
      suspended: false,
      default_reply_handler: 'AI',
      conversations: { total: 2, ai: 1, people: 1 },
      usage_this_month: { requests: 3, total_tokens: 310 },
      quota: {
        daily_tokens: 1000,
        daily_tokens_source: 'own',
        monthly_tokens: null,
        monthly_tokens_source: 'default',
        used_today: 310,
        used_this_month: 310,
        remaining: 690,
        exceeded: false,
      },
    });
    expect(shop!.usage_this_month.estimated_cost_usd).toBeGreaterThan(0);
    // The same caps and use as the quota endpoint says.
    const quota = await get(admin, '/api/v1/ai/usage/quotas/bakery/');
    expect({ username: 'bakery', ...shop!.quota }).toEqual(quota.json());
    expect(flowers).toMatchObject({
      email: 'flo@example.com',
      ai_enabled: false,
      suspended: false,
      default_reply_handler: 'Manual',
      conversations: { total: 0, ai: 0, people: 0 },
      usage_this_month: { requests: 0, total_tokens: 0, estimated_cost_usd: 0 },
      quota: { daily_tokens: null, monthly_tokens: null, remaining: null, exceeded: false },
    });
    expect(operator).toMatchObject({ is_admin: true });

    // A monthly cap below what was used: the business is over it.
    await t.as(admin, { method: 'PUT', url: '/api/v1/ai/usage/quotas/bakery/', payload: { monthly_tokens: 200 } });
    expect((await named('bakery')).quota).toMatchObject({ monthly_tokens: 200, remaining: 0, exceeded: true });
    await t.as(admin, {
      method: 'PUT',
      url: '/api/v1/ai/usage/quotas/bakery/',
      payload: { daily_tokens: 0, monthly_tokens: 0 },
    });
  });

  it('answers 401 without a token, and 403 to a business that is not an administrator', async () => {
    const id = (await named('bakery')).id;
    const routes = [
      ['GET', '/api/v1/admin/businesses/'],
      ['POST', '/api/v1/admin/businesses/'],
      ['GET', `/api/v1/admin/businesses/${id}/`],
      ['GET', '/api/v1/admin/system/'],
    ] as const;
    for (const [method, url] of routes) {
      const payload = method === 'POST' ? { username: 'sneaky' } : undefined;
      const anonymous = await t.app.inject({ method, url, ...(payload ? { payload } : {}) });
      expect(anonymous.statusCode, `${method} ${url}`).toBe(401);
      const business = await t.as(bakery, { method, url, ...(payload ? { payload } : {}) });
      expect(business.statusCode, `${method} ${url}`).toBe(403);
      expect(business.json()).toMatchObject({ code: 'permission_denied' });
      // Even with a malformed body, a business learns nothing about what the route expects.
      if (method === 'POST') expect((await create(bakery, { username: 42 })).statusCode).toBe(403);
    }
    expect((await list()).results.map((row) => row.username)).not.toContain('sneaky');
  });
});

describe('GET /api/v1/admin/businesses/{business_id}/', () => {
  it('shows one business as the list does, and an unknown id is 404', async () => {
    const listed = await named('Florist');
    const one = await get(admin, `/api/v1/admin/businesses/${listed.id}/`);
    expect(one.statusCode).toBe(200);
    expect(one.json()).toEqual(listed);
    const unknown = await get(admin, '/api/v1/admin/businesses/nobody1234567890/');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ code: 'not_found', detail: 'No such business.' });
  });
});

describe('POST /api/v1/admin/businesses/', () => {
  it('creates a business with a one-time password that signs in, shown once and never cached', async () => {
    const response = await create(admin, { username: 'newshop', email: 'owner@newshop.example' });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.headers['cache-control']).toBe('no-store');
    const { business, password } = response.json<{ business: Business; password: string }>();
    expect(business).toMatchObject({
      username: 'newshop',
      email: 'owner@newshop.example',
      is_admin: false,
      ai_enabled: false,
      suspended: false,
      default_reply_handler: 'AI',
      conversations: { total: 0 },
    });
    expect(password).toMatch(/^[A-Za-z0-9]{5}(-[A-Za-z0-9]{5}){3}$/);
    expect((await named('newshop')).id).toBe(business.id);

    const signIn = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/token/',
      payload: { username: 'newshop', password },
    });
    expect(signIn.statusCode).toBe(200);
    const token = signIn.json<{ token: string }>().token;
    expect((await get(token, '/api/v1/auth/me/')).json()).toMatchObject({ username: 'newshop', is_admin: false });
    expect((await get(token, '/api/v1/admin/businesses/')).statusCode).toBe(403);

    // Each business gets its own password.
    const other = await create(admin, { username: 'secondshop' });
    expect(other.json<{ password: string }>().password).not.toBe(password);
  });

  it('creates an administrator when asked', async () => {
    const response = await create(admin, { username: 'deputy', is_admin: true });
    expect(response.statusCode).toBe(201);
    const signIn = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/token/',
      payload: { username: 'deputy', password: response.json<{ password: string }>().password },
    });
    expect((await get(signIn.json<{ token: string }>().token, '/api/v1/admin/system/')).statusCode).toBe(200);
  });

  it('refuses what `parley createuser` refuses, naming the field, and creates nothing', async () => {
    const before = (await list()).count;
    const taken = await create(admin, { username: 'BAKERY' });
    expect(taken.statusCode).toBe(409);
    expect(taken.json()).toMatchObject({ code: 'user_exists', detail: expect.stringContaining('"bakery"') });

    const cases: [unknown, string][] = [
      [{ username: 'bad name!' }, 'username'],
      [{ username: '' }, 'username'],
      [{ username: 'x'.repeat(151) }, 'username'],
      [{}, 'username'],
      [{ username: 'okname', email: 'not-an-email' }, 'email'],
      [{ username: 'okname', is_admin: 'maybe' }, 'is_admin'],
    ];
    for (const [payload, field] of cases) {
      const response = await create(admin, payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.json<{ errors: Record<string, string[]> }>().errors).toHaveProperty([field]);
    }
    expect((await list()).count).toBe(before);
  });
});

describe('GET /api/v1/admin/system/', () => {
  it("shows the model's last health check, the queue's depth and failed jobs, and each scheduled task's last run", async () => {
    const before = await get(admin, '/api/v1/admin/system/');
    expect(before.statusCode).toBe(200);
    expect(before.json()).toMatchObject({
      model: { kind: 'gemini', default_model: 'gemini-flash-latest', health: null },
      queue: { kind: 'local', error: null, failed_jobs: [] },
    });
    const names = before.json<{ scheduled_jobs: { name: string; runs: number }[] }>().scheduled_jobs;
    expect(names.map((job) => job.name)).toEqual([
      'aggregate-analytics',
      'cleanup-sessions',
      'sync-conversations',
      'model-health-check',
    ]);

    t.gemini.enqueue({ text: 'pong' });
    await t.queue.add(modelHealthCheck, {});
    await until(async () => ((await lastRun(t.db, modelHealthCheck.name))?.lastFinishedAt ? true : undefined));
    // A job that fails for good, as a delivery to a bot the customer blocked does.
    const broken = jobType<{ chat: number }>('admin-test-broken');
    t.queue.handle(broken, async () => {
      throw new PermanentJobError('Forbidden: bot was blocked by the user');
    });
    await t.queue.add(broken, { chat: 7 });
    await until(async () => ((await t.queue.failed()).length > 0 ? true : undefined));

    const after = (await get(admin, '/api/v1/admin/system/')).json<{
      model: { health: unknown };
      queue: { jobs: { name: string }[]; failed_jobs: unknown[] };
      scheduled_jobs: { name: string; runs: number; ok: boolean | null; detail: string | null }[];
    }>();
    expect(after.model.health).toMatchObject({
      ok: true,
      checked_at: expect.any(String),
      detail: expect.stringMatching(/^gemini-flash-latest answered in \d+ ms$/),
    });
    expect(after.scheduled_jobs.find((job) => job.name === 'model-health-check')).toMatchObject({
      runs: 1,
      ok: true,
      last_started_at: expect.any(String),
      last_finished_at: expect.any(String),
    });
    expect(after.scheduled_jobs.find((job) => job.name === 'cleanup-sessions')).toMatchObject({
      runs: 0,
      ok: null,
      last_started_at: null,
    });
    expect(after.queue.jobs).toEqual(
      expect.arrayContaining([
        { name: 'admin-test-broken', waiting: 0, active: 0, delayed: 0, failed: 1 },
        expect.objectContaining({ name: 'model-health-check', failed: 0 }),
      ]),
    );
    expect(after.queue.failed_jobs).toEqual([
      {
        id: expect.any(String),
        name: 'admin-test-broken',
        attempts: 1,
        error: 'Forbidden: bot was blocked by the user',
        failed_at: expect.any(String),
      },
    ]);
  });
});
