import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findUser } from '../../src/auth/auth.service.js';
import { conversations, handovers, messages, usageRecords } from '../../src/db/schema/index.js';
import { telegramTextUpdate } from '../fakes/telegram.js';
import { createAiTestApp, type AiTestApp } from '../helpers/ai.js';
import { createTelegramTestApp, type TelegramTestApp } from '../helpers/telegram.js';
import { until } from '../helpers/wait.js';

/**
 * Caps that hold under concurrency (issue #15): a model call reserves its
 * worst case before it starts, so calls running together overshoot a cap by
 * at most one call; and the operator's default caps for businesses without
 * their own.
 */

const usage = (prompt: number, completion: number) => ({
  promptTokenCount: prompt,
  candidatesTokenCount: completion,
  totalTokenCount: prompt + completion,
});

interface AskAnswer {
  answer: string | null;
  auto_response_generated: boolean;
  reason?: string;
}

function helpers(t: AiTestApp, adminToken: () => string) {
  return {
    ask: async (token: string, customer: string, question = 'When do you open?') =>
      (
        await t.as(token, {
          method: 'POST',
          url: '/api/v1/ai/ask/',
          payload: { question, customer_id: customer },
        })
      ).json<AskAnswer>(),
    putQuota: (username: string, payload: Record<string, unknown>) =>
      t.as(adminToken(), { method: 'PUT', url: `/api/v1/ai/usage/quotas/${username}/`, payload }),
    quota: async (username: string) =>
      (await t.as(adminToken(), { method: 'GET', url: `/api/v1/ai/usage/quotas/${username}/` })).json<
        Record<string, unknown>
      >(),
    modelCalls: () =>
      t.gemini.requests.filter((r) => r.method === 'generateContent' || r.method === 'streamGenerateContent').length,
    userId: async (username: string) => (await findUser(t.db, username))!.id,
  };
}

describe('a cap under concurrent calls', () => {
  let t: AiTestApp;
  let admin = '';
  let h: ReturnType<typeof helpers>;

  beforeAll(async () => {
    // Twenty calls at once on a busy machine: room for the slowest, which a timeout would turn into a free failure.
    t = await createAiTestApp({ GEMINI_RETRIES: '0', GEMINI_TIMEOUT_MS: '10000' });
    admin = await t.signUp('operator', { isAdmin: true });
    h = helpers(t, () => admin);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('lets at most one call more than fits reach the model; the rest go to people, every message kept', async () => {
    const token = await t.business('crowded', { max_tokens: 100, handover_message: 'A person will answer soon.' });
    // Every call uses 200 tokens and takes a while, so all 20 are in flight together.
    t.gemini.setResponder(() => ({ text: 'We open at nine.', usage: usage(150, 50), delayMs: 300 }));
    expect((await h.putQuota('crowded', { daily_tokens: 1_000 })).statusCode).toBe(200);
    const before = h.modelCalls();

    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => h.ask(token, `walk-in-${i}`)));

    const called = h.modelCalls() - before;
    const answered = answers.filter((answer) => answer.auto_response_generated);
    const refused = answers.filter((answer) => answer.reason === 'quota_exceeded');
    expect(called).toBeGreaterThanOrEqual(1);
    expect(called).toBeLessThanOrEqual(6);
    expect(answered).toHaveLength(called);
    expect(refused).toHaveLength(20 - called);
    // Over the cap by at most the one call that started while room remained.
    expect(await h.quota('crowded')).toMatchObject({ used_today: called * 200 });
    expect(called * 200).toBeLessThanOrEqual(1_000 + 200);
    // Settled to their real use, the calls leave what they did not use to the next ones, until the cap is reached.
    for (let next = 0; called + next < 6 && (await h.quota('crowded')).exceeded === false; next++) {
      expect(await h.ask(token, `later-${next}`)).toMatchObject({ auto_response_generated: true });
    }
    expect(await h.quota('crowded')).toMatchObject({ exceeded: true, remaining: 0 });
    expect(await h.ask(token, 'too-late')).toMatchObject({ reason: 'quota_exceeded' });

    // Every customer's question is stored; each refused conversation is with people, saying why.
    const userId = await h.userId('crowded');
    const [stored] = await t.db
      .select({ count: sql<number>`count(*)::int` })
      .from(messages)
      .innerJoin(conversations, eq(messages.conversationId, conversations.id))
      .where(and(eq(conversations.userId, userId), eq(messages.type, 'customer')));
    expect(stored?.count).toBe(20 + (h.modelCalls() - before - called) + 1);
    const reasons = await t.db
      .select({ reason: handovers.reason })
      .from(handovers)
      .innerJoin(conversations, eq(handovers.conversationId, conversations.id))
      .where(eq(conversations.userId, userId));
    expect(reasons).toHaveLength(20 - called + 1);
    expect(new Set(reasons.map((row) => row.reason))).toEqual(new Set(['quota_exceeded']));
    t.gemini.reset();
  });

  it('holds a call’s worst case while it runs and gives it back after a failure', async () => {
    // The longest answer alone is over the cap: one call at a time fits, never two.
    const token = await t.business('fragile', { max_tokens: 8192 });
    await h.putQuota('fragile', { daily_tokens: 5_000 });

    t.gemini.enqueue({ text: 'Slowly, yes.', usage: usage(40, 10), delayMs: 400 });
    const [first, second] = await Promise.all([
      h.ask(token, 'early'),
      new Promise((resolve) => setTimeout(resolve, 100)).then(() => h.ask(token, 'close-behind')),
    ]);
    expect(first).toMatchObject({ answer: 'Slowly, yes.', auto_response_generated: true });
    expect(second).toMatchObject({ answer: null, reason: 'quota_exceeded' });

    // A failed call: its usage (none) is stored and its reservation released, so the next call starts.
    const calls = h.modelCalls();
    t.gemini.enqueue({ error: { status: 500, message: 'Internal error' } });
    expect(await h.ask(token, 'unlucky')).toMatchObject({ reason: 'ai_unavailable' });
    t.gemini.enqueue({ text: 'Back again.', usage: usage(40, 10) });
    expect(await h.ask(token, 'next')).toMatchObject({ answer: 'Back again.', auto_response_generated: true });
    expect(h.modelCalls()).toBe(calls + 2);

    // A model's handover releases it too.
    t.gemini.enqueue({ functionCall: { name: 'handover_to_human', args: { reason: 'complaint' } } });
    expect(await h.ask(token, 'angry')).toMatchObject({ reason: 'handed_over' });
    t.gemini.enqueue({ text: 'Still here.', usage: usage(40, 10) });
    expect(await h.ask(token, 'calm')).toMatchObject({ answer: 'Still here.' });
    const records = await t.db
      .select({ outcome: usageRecords.outcome })
      .from(usageRecords)
      .where(eq(usageRecords.userId, await h.userId('fragile')));
    expect(records.map((record) => record.outcome).sort()).toEqual([
      'error',
      'success',
      'success',
      'success',
      'success',
    ]);
  });
});

describe('default caps', () => {
  let t: AiTestApp;
  let admin = '';
  let h: ReturnType<typeof helpers>;

  beforeAll(async () => {
    t = await createAiTestApp({ GEMINI_RETRIES: '0', PARLEY_DEFAULT_DAILY_TOKENS: '150' });
    admin = await t.signUp('operator', { isAdmin: true });
    h = helpers(t, () => admin);
    t.gemini.setResponder(() => ({ text: 'Open till six.', usage: usage(160, 40) }));
  });
  afterAll(async () => {
    await t?.close();
  });

  it('apply to a business without its own cap', async () => {
    const token = await t.business('plain');
    expect(await h.quota('plain')).toMatchObject({
      daily_tokens: 150,
      daily_tokens_source: 'default',
      monthly_tokens: null,
      monthly_tokens_source: 'default',
    });
    expect(await h.ask(token, 'c1')).toMatchObject({ auto_response_generated: true });
    expect(await h.ask(token, 'c2')).toMatchObject({ answer: null, reason: 'quota_exceeded' });
    expect(await h.quota('plain')).toMatchObject({ used_today: 200, remaining: 0, exceeded: true });
  });

  it('give way to a business’s own cap, and to its own "no cap"; null goes back to the default', async () => {
    const roomy = await t.business('roomy');
    expect((await h.putQuota('roomy', { daily_tokens: 10_000 })).json()).toMatchObject({
      daily_tokens: 10_000,
      daily_tokens_source: 'own',
    });
    const free = await t.business('free');
    expect((await h.putQuota('free', { daily_tokens: 0 })).json()).toMatchObject({
      daily_tokens: null,
      daily_tokens_source: 'own',
      remaining: null,
    });
    for (const customer of ['c1', 'c2', 'c3']) {
      expect(await h.ask(roomy, customer)).toMatchObject({ auto_response_generated: true });
      expect(await h.ask(free, customer)).toMatchObject({ auto_response_generated: true });
    }

    const back = await h.putQuota('free', { daily_tokens: null });
    expect(back.statusCode).toBe(200);
    expect(back.json()).toMatchObject({ daily_tokens: 150, daily_tokens_source: 'default', exceeded: true });
    expect(await h.ask(free, 'c4')).toMatchObject({ reason: 'quota_exceeded' });
    // The business's own view says the same.
    const stats = await t.as(free, { method: 'GET', url: '/api/v1/ai/usage/stats/' });
    expect(stats.json()).toMatchObject({
      quota: { daily_tokens: 150, daily_tokens_source: 'default', exceeded: true },
    });
  });
});

describe('a cap on a channel reply that is retried', () => {
  const BOT_TOKEN = '555000444:AAEcapsRetryBotTokenForTheTests';
  let t: TelegramTestApp;

  beforeAll(async () => {
    t = await createTelegramTestApp({ token: BOT_TOKEN, id: 555000444, username: 'caps_bot' }, { GEMINI_RETRIES: '0' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('gives the reservation back each time the job fails and tries again, so the retry is not refused', async () => {
    // One call at a time fits: a reservation left behind by a failed try would refuse the next.
    await t.telegramBusiness('retried', { max_tokens: 8192, reply_debounce_ms: 50 });
    const admin = await t.signUp('operator', { isAdmin: true });
    await t.as(admin, { method: 'PUT', url: '/api/v1/ai/usage/quotas/retried/', payload: { daily_tokens: 5_000 } });
    t.gemini.enqueue({ error: { status: 503 } }, { error: { status: 503 } }, { text: 'Yes, on Saturdays too.' });
    await t.telegram.deliver(
      BOT_TOKEN,
      telegramTextUpdate({ updateId: 1, messageId: 10, chatId: 77, text: 'Open on Saturday?', firstName: 'Rui' }),
    );
    const sent = await until(() => {
      const messages = t.telegram.sent(BOT_TOKEN).filter((message) => String(message.chat_id) === '77');
      return messages.length > 0 ? messages : undefined;
    }, 15_000);
    expect(sent.map((message) => message.text)).toEqual(['Yes, on Saturdays too.']);
    const records = await t.db
      .select({ outcome: usageRecords.outcome })
      .from(usageRecords)
      .innerJoin(conversations, eq(usageRecords.conversationId, conversations.id))
      .where(eq(conversations.customerId, '77'));
    expect(records.map((record) => record.outcome).sort()).toEqual(['error', 'error', 'success']);
  });
});
