import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedKeyModel } from '../../src/model/shared-key.js';
import { rowsOf } from '../../src/db/client.js';
import { conversations } from '../../src/db/schema/index.js';
import { createLocalQueue } from '../../src/infra/local-queue.js';
import type { Queue } from '../../src/infra/queue.js';
import {
  cleanupSessions,
  lastRun,
  modelHealthCheck,
  registerScheduledJobs,
  syncConversations,
} from '../../src/jobs/scheduled.jobs.js';
import { createAiTestApp, type AiTestApp } from '../helpers/ai.js';

let t: AiTestApp;
let queue: Queue;
let token: string;

const METRICS_TOKEN = 'scheduled-jobs-metrics-token-0123';
/** /readyz as an operator sees it: the model's health shows only with the metrics token. */
const readyz = () =>
  t.app.inject({ method: 'GET', url: '/readyz', headers: { authorization: `Bearer ${METRICS_TOKEN}` } });

beforeAll(async () => {
  t = await createAiTestApp({ PARLEY_METRICS_TOKEN: METRICS_TOKEN });
  queue = createLocalQueue({ backoffMs: 10 });
  registerScheduledJobs(queue, { db: t.db, config: t.config, model: sharedKeyModel(t.config) });
  await queue.start();
  token = await t.business('bakery');
});
afterAll(async () => {
  await queue.close();
  await t.close();
});

async function finished(name: string, runs: number) {
  for (let i = 0; i < 200; i++) {
    const run = await lastRun(t.db, name);
    if (run && run.runs >= runs && run.lastFinishedAt && run.lastFinishedAt >= run.lastStartedAt) return run;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${name} did not finish`);
}

async function ask(customer: string) {
  t.gemini.enqueue({ text: 'hello' });
  const response = await t.as(token, {
    method: 'POST',
    url: '/api/v1/ai/ask/',
    payload: { question: 'hi', customer_id: customer },
  });
  return response.json<{ session_id: string }>().session_id.slice(4);
}

describe('scheduled jobs', () => {
  it('cleanup marks sessions idle too long inactive, and a new message wakes them', async () => {
    const stale = await ask('old@example.com');
    await ask('recent@example.com');
    await t.db
      .update(conversations)
      .set({ lastMessageAt: sql`now() - interval '31 days'` })
      .where(eq(conversations.id, stale));

    await queue.add(cleanupSessions, {});
    const run = await finished(cleanupSessions.name, 1);
    expect(run).toMatchObject({
      ok: true,
      detail:
        '1 sessions idle over 30 days marked inactive, 0 expired dashboard sign-ins and 0 spent sign-in links deleted',
    });
    const inactive = await t.as(token, { method: 'GET', url: '/api/v1/ai/sessions/?is_active=false' });
    expect(inactive.json<{ results: { conversation_id: string }[] }>().results.map((s) => s.conversation_id)).toEqual([
      stale,
    ]);

    // Running it again changes nothing.
    await queue.add(cleanupSessions, {});
    expect(await finished(cleanupSessions.name, 2)).toMatchObject({
      detail:
        '0 sessions idle over 30 days marked inactive, 0 expired dashboard sign-ins and 0 spent sign-in links deleted',
    });

    await ask('old@example.com');
    const active = await t.as(token, { method: 'GET', url: '/api/v1/ai/sessions/?is_active=false' });
    expect(active.json<{ count: number }>().count).toBe(0);
  });

  it('cleanup deletes expired dashboard sign-ins and keeps live ones', async () => {
    await t.signUp('cashier', { password: 'cashier-password' });
    const signIn = async () => {
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/session/',
        payload: { username: 'cashier', password: 'cashier-password' },
      });
      return String(response.headers['set-cookie']).split(';')[0]!;
    };
    const expired = await signIn();
    const tooOld = await signIn();
    const live = await signIn();
    const row = (cookie: string) => sql`encode(sha256(convert_to(${cookie.split('=')[1]!}, 'UTF8')), 'hex')`;
    await t.db.execute(sql`update dashboard_sessions set expires_at = now() - interval '1 hour'
      where token_hash = ${row(expired)}`);
    // Used recently, but signed in longer ago than PARLEY_DASHBOARD_MAX_DAYS (30) allows.
    await t.db.execute(sql`update dashboard_sessions set created_at = now() - interval '31 days'
      where token_hash = ${row(tooOld)}`);

    await queue.add(cleanupSessions, {});
    expect(await finished(cleanupSessions.name, 3)).toMatchObject({
      ok: true,
      detail:
        '0 sessions idle over 30 days marked inactive, 2 expired dashboard sign-ins and 0 spent sign-in links deleted',
    });
    const left = rowsOf<{ count: number }>(
      await t.db.execute(sql`select count(*)::int as count from dashboard_sessions`),
    );
    expect(Number(left[0]!.count)).toBe(1);
    const me = (cookie: string) => t.app.inject({ method: 'GET', url: '/api/v1/auth/me/', headers: { cookie } });
    expect((await me(live)).statusCode).toBe(200);
    expect((await me(expired)).statusCode).toBe(401);
    expect((await me(tooOld)).statusCode).toBe(401);
  });

  it('sync repairs drifted counters', async () => {
    const id = await ask('drift@example.com');
    await t.db.update(conversations).set({ messageCount: 99 }).where(eq(conversations.id, id));
    await queue.add(syncConversations, {});
    const run = await finished(syncConversations.name, 1);
    expect(run.detail).toMatch(/^checked \d+ conversations, updated 1$/);
    const [fixed] = await t.db.select().from(conversations).where(eq(conversations.id, id));
    expect(fixed?.messageCount).toBe(2);
  });

  it('the model health check records its result, and /readyz shows it without failing readiness', async () => {
    expect((await readyz()).json()).toMatchObject({ model_health: null });

    t.gemini.enqueue({ text: 'pong' });
    await queue.add(modelHealthCheck, {});
    await finished(modelHealthCheck.name, 1);
    const healthy = await readyz();
    expect(healthy.json()).toMatchObject({
      status: 'ready',
      model_health: {
        ok: true,
        checked_at: expect.any(String),
        detail: expect.stringMatching(/^gemini-flash-latest answered in \d+ ms$/),
      },
    });

    t.gemini.enqueue({ error: { status: 503 } }, { error: { status: 503 } }, { error: { status: 503 } });
    await queue.add(modelHealthCheck, {});
    await finished(modelHealthCheck.name, 2);
    const sick = await readyz();
    expect(sick.statusCode).toBe(200);
    expect(sick.json()).toMatchObject({
      status: 'ready',
      model_health: { ok: false, detail: expect.stringContaining('server_error') },
    });
    // Anyone else sees only that Parley is ready.
    const anyone = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(anyone.json()).toEqual({ status: 'ready', checks: { database: { ok: true } } });
  });
});
