import { eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDate, addDays } from '../../src/kernel/periods.js';
import { aggregateAnalytics } from '../../src/jobs/scheduled.jobs.js';
import { addMessage } from '../../src/conversations/conversations.service.js';
import {
  conversations,
  dailyAnalytics,
  handovers,
  jobRuns,
  messages,
  usageRecords,
} from '../../src/db/schema/index.js';
import { recordUsage } from '../../src/usage/usage.service.js';
import { NO_USAGE } from '../../src/model/model-provider.js';
import { createAiTestApp, type AiTestApp } from '../helpers/ai.js';
import { until } from '../helpers/wait.js';

/** A shop owner's view of how the AI did: what was asked, answered, handed over, and how fast. */
let t: AiTestApp;
let rosa: string;
let rosaId: string;
let bruno: string;

interface Figures {
  conversations: number;
  customer_messages: number;
  ai_messages: number;
  support_messages: number;
  ai_response_rate: number | null;
  average_response_time_ms: number | null;
  p95_response_time_ms: number | null;
  handovers: number;
  handovers_by_reason: Record<string, number>;
  discarded_ai_replies: number;
  coalesced_bursts: number;
}
interface AnalyticsBody {
  period: { days: number; start: string; end: string; timezone: string };
  totals: Figures;
  daily: (Figures & { date: string })[];
}

const analytics = async (token: string, days = 7) => {
  const response = await t.as(token, { method: 'GET', url: `/api/v1/ai/analytics/?days=${days}` });
  expect(response.statusCode).toBe(200);
  return response.json<AnalyticsBody>();
};
const ask = (token: string, customer: string, question: string) =>
  t.as(token, { method: 'POST', url: '/api/v1/ai/ask/', payload: { customer_id: customer, question } });

beforeAll(async () => {
  t = await createAiTestApp();
  rosa = await t.business('rosa');
  bruno = await t.business('bruno');

  // Three customers: two answered, one of them twice; one handed over by the AI.
  t.gemini.enqueue({ text: 'We open at 7.' }, { text: 'Yes, on Sundays too.' }, { text: 'Croissants, yes.' });
  for (const [customer, question] of [
    ['ana', 'When do you open?'],
    ['ana', 'Sundays?'],
    ['rui', 'Croissants?'],
  ] as const) {
    expect((await ask(rosa, customer, question)).statusCode).toBe(200);
  }
  t.gemini.enqueue({ functionCall: { name: 'handover_to_human', args: { reason: 'complaint' } } });
  await ask(rosa, 'eva', 'My cake arrived broken!');
  const list = await t.as(rosa, { method: 'GET', url: '/api/v1/conversations/' });
  const all = list.json<{ results: { id: string; customer_id: string }[] }>().results;
  const ana = all.find((c) => c.customer_id === 'ana')!.id;
  const [owner] = await t.db
    .select({ userId: conversations.userId })
    .from(conversations)
    .where(eq(conversations.id, ana));
  rosaId = owner!.userId;
  // An agent takes Ana's conversation and answers her.
  await t.as(rosa, {
    method: 'POST',
    url: `/api/v1/conversations/${ana}/messages/`,
    payload: { text: 'Hi Ana, Rosa here.' },
  });
  // A reply that answered a burst of three messages, and one the AI wrote too late.
  await addMessage(t.db, {
    conversationId: ana,
    type: 'AI',
    text: 'All three: yes.',
    responseTimeMs: 900,
    answeredCount: 3,
  });
  await recordUsage(t.db, t.config.modelPrices, {
    userId: rosaId,
    conversationId: ana,
    model: 'gemini-2.5-flash',
    outcome: 'discarded',
    attempts: 1,
    usage: NO_USAGE,
    latencyMs: 10,
  });
});
afterAll(() => t.close());

describe('GET /api/v1/ai/analytics/', () => {
  it("counts today's conversations, messages, answers, handovers and response times, live", async () => {
    const body = await analytics(rosa);
    expect(body.period).toMatchObject({ days: 7, timezone: 'UTC', end: localDate(new Date(), 'UTC') });
    expect(body.daily).toHaveLength(7);
    expect(body.daily.at(-1)!.date).toBe(body.period.end);

    const stored = await t.db
      .select({ type: messages.type, responseTimeMs: messages.responseTimeMs, answeredCount: messages.answeredCount })
      .from(messages)
      .innerJoin(conversations, eq(conversations.id, messages.conversationId))
      .where(eq(conversations.userId, rosaId));
    const aiTimes = stored
      .filter((m) => m.type === 'AI' && m.responseTimeMs !== null)
      .map((m) => m.responseTimeMs!)
      .sort((a, b) => a - b);
    expect(aiTimes).toHaveLength(4);

    expect(body.totals).toMatchObject({
      conversations: 3,
      customer_messages: 4,
      ai_messages: 4,
      support_messages: 1,
      // 3 asks answered one message each, the burst answer three: capped at every message.
      ai_response_rate: 1,
      average_response_time_ms: Math.round(aiTimes.reduce((a, b) => a + b, 0) / aiTimes.length),
      p95_response_time_ms: aiTimes.at(-1),
      handovers: 2,
      handovers_by_reason: { complaint: 1, agent_takeover: 1 },
      discarded_ai_replies: 1,
      coalesced_bursts: 1,
    });
    expect(body.daily.at(-1)).toMatchObject({ customer_messages: 4, handovers: 2 });
    expect(body.daily.slice(0, -1).every((day) => day.customer_messages === 0 && day.conversations === 0)).toBe(true);
  });

  it("shows another business nothing of Rosa's", async () => {
    const body = await analytics(bruno);
    expect(body.totals).toMatchObject({
      conversations: 0,
      customer_messages: 0,
      ai_response_rate: null,
      p95_response_time_ms: null,
      handovers: 0,
    });
  });

  it('refuses days out of range or not a number, and callers without a token', async () => {
    for (const days of ['0', '366', 'abc', '2.5']) {
      const response = await t.as(rosa, { method: 'GET', url: `/api/v1/ai/analytics/?days=${days}` });
      expect(response.statusCode, days).toBe(400);
      expect(response.json()).toMatchObject({ errors: { days: [expect.any(String)] } });
    }
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/ai/analytics/' })).statusCode).toBe(401);
  });
});

describe('the nightly aggregation', () => {
  it("writes yesterday's rows, which the report then reads, and is idempotent", async () => {
    // Everything Rosa's customers did happened yesterday instead.
    const ids = (
      await t.db.select({ id: conversations.id }).from(conversations).where(eq(conversations.userId, rosaId))
    ).map((row) => row.id);
    const dayBack = sql`created_at - interval '1 day'`;
    await t.db.update(messages).set({ createdAt: dayBack }).where(inArray(messages.conversationId, ids));
    await t.db.update(conversations).set({ createdAt: dayBack }).where(inArray(conversations.id, ids));
    await t.db.update(handovers).set({ createdAt: dayBack }).where(eq(handovers.userId, rosaId));
    await t.db.update(usageRecords).set({ createdAt: dayBack }).where(eq(usageRecords.userId, rosaId));
    const live = await analytics(rosa);
    const yesterday = addDays(live.period.end, -1);

    for (let run = 1; run <= 2; run++) {
      await t.queue.add(aggregateAnalytics, {});
      await until(async () => {
        const [job] = await t.db.select().from(jobRuns).where(eq(jobRuns.name, 'aggregate-analytics'));
        return job?.runs === run && job.lastFinishedAt ? job : undefined;
      });
    }
    const [job] = await t.db.select().from(jobRuns).where(eq(jobRuns.name, 'aggregate-analytics'));
    expect(job).toMatchObject({ ok: true, runs: 2 });
    expect(job!.detail).toContain(yesterday);
    const rows = await t.db.select().from(dailyAnalytics).where(eq(dailyAnalytics.day, yesterday));
    // One row per business, idle ones included, however often the job ran.
    expect(rows).toHaveLength(2);
    expect(rows.find((row) => row.userId === rosaId)).toMatchObject({ customerMessages: 4, coalescedBursts: 1 });

    // The report now reads the stored day: it no longer changes with the raw messages.
    await t.db.delete(messages).where(inArray(messages.conversationId, ids));
    const after = await analytics(rosa);
    expect(after.daily.find((day) => day.date === yesterday)).toEqual(live.daily.find((day) => day.date === yesterday));
    expect(after.totals).toEqual(live.totals);
  });
});
