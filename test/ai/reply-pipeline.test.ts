import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sweepUnanswered } from '../../src/ai/ai.repo.js';
import { sweepReplies } from '../../src/ai/reply.jobs.js';
import { addMessage } from '../../src/conversations/conversations.service.js';
import { aiConfigs, conversations, handovers, messages, usageRecords } from '../../src/db/schema/index.js';
import { setSuspended } from '../../src/ai/ai-settings.js';
import { createTelegramTestApp, telegramCustomers, type TelegramTestApp } from '../helpers/telegram.js';
import { until } from '../helpers/wait.js';
import type { TelegramFake } from '../fakes/telegram.js';

/** What happens to a Telegram customer's message when the model or the queue lets it down. */
const BOT_TOKEN = '555000222:AAEreplyPipelineBotTokenForTheTests';

let telegram: TelegramFake;
let t: TelegramTestApp;
let token: string;
let chat = 7000;
const { say, sentTo, generateCalls, conversationOf } = telegramCustomers(() => t, BOT_TOKEN, 'Rui');

beforeAll(async () => {
  // No quick retries inside the client: each failure below is one failed try of the reply job.
  t = await createTelegramTestApp(
    { token: BOT_TOKEN, id: 555000222, username: 'pipeline_bot' },
    { GEMINI_RETRIES: '0' },
  );
  telegram = t.telegram;
  token = await t.telegramBusiness('pipeline', {
    reply_debounce_ms: 50,
    handover_message: 'A person will answer you soon.',
  });
});
afterAll(() => t.close());
beforeEach(() => {
  t.gemini.reset();
  telegram.reset();
  chat++;
});

describe('the reply pipeline', () => {
  it('keeps a message waiting while the model is down, and answers it once the model is back', async () => {
    t.gemini.enqueue(
      { error: { status: 503 } },
      { error: { status: 503 } },
      { error: { status: 500 } },
      { text: 'Yes, we deliver on Saturdays.' },
    );
    await say(chat, 'Do you deliver on Saturdays?');
    const [reply] = await until(() => (sentTo(chat).length > 0 ? sentTo(chat) : undefined), 15_000);
    expect(reply?.text).toBe('Yes, we deliver on Saturdays.');
    expect(generateCalls()).toHaveLength(4);

    const conversation = await conversationOf(chat);
    expect(conversation.status).toBe('active');
    expect(await t.db.select().from(handovers).where(eq(handovers.conversationId, conversation.id))).toEqual([]);
    const usage = await t.db.select().from(usageRecords).where(eq(usageRecords.conversationId, conversation.id));
    expect(usage.map((row) => row.outcome).sort()).toEqual(['error', 'error', 'error', 'success']);
  });

  it('hands the conversation to people when the model stays down, and tells the customer', async () => {
    t.gemini.setResponder(() => ({ error: { status: 503 } }));
    await say(chat, 'Is anyone there?');
    const [notice] = await until(() => (sentTo(chat).length > 0 ? sentTo(chat) : undefined), 20_000);
    expect(notice?.text).toBe('A person will answer you soon.');
    const conversation = await conversationOf(chat);
    expect(conversation.status).toBe('support_active');
    const [handover] = await t.db.select().from(handovers).where(eq(handovers.conversationId, conversation.id));
    expect(handover).toMatchObject({ source: 'system', reason: 'ai_unavailable' });
    // Every try of the job called the model once, and the last one gave up.
    expect(generateCalls()).toHaveLength(6);
  });

  it('answers a message whose reply job was lost, when the sweep finds it', async () => {
    // A message from a chat the AI owns, stored but never enqueued: a crash between the two.
    t.gemini.enqueue({ text: 'Welcome back!' }, { text: 'Hello!' });
    await say(chat, 'hi');
    await until(() => (sentTo(chat).length > 0 ? true : undefined));
    const conversation = await conversationOf(chat);
    const lost = await addMessage(t.db, {
      conversationId: conversation.id,
      type: 'customer',
      text: 'are you open now?',
    });
    await t.db
      .update(messages)
      .set({ createdAt: sql`now() - interval '2 minutes'` })
      .where(eq(messages.id, lost!.id));
    expect((await sweepUnanswered(t.db)).map((row) => row.id)).toContain(conversation.id);

    await t.queue.add(sweepReplies, {});
    await until(() => (sentTo(chat).length > 1 ? true : undefined));
    expect(sentTo(chat).map((m) => m.text)).toEqual(['Welcome back!', 'Hello!']);
    expect((await sweepUnanswered(t.db)).map((row) => row.id)).not.toContain(conversation.id);
  });

  it('leaves a reply already queued to people when the operator suspends the business, without calling the model', async () => {
    t.gemini.enqueue({ text: 'Hi there.' }, { text: 'never sent' });
    await say(chat, 'hello');
    await until(() => (sentTo(chat).length > 0 ? true : undefined));
    const conversation = await conversationOf(chat);
    const pending = await addMessage(t.db, { conversationId: conversation.id, type: 'customer', text: 'still there?' });
    await t.db
      .update(messages)
      .set({ createdAt: sql`now() - interval '2 minutes'` })
      .where(eq(messages.id, pending!.id));
    // What `ai_control suspend` does from another process: this one's cached settings do not know yet.
    await t.db.update(aiConfigs).set({ suspendedAt: new Date() }).where(eq(aiConfigs.userId, conversation.userId));
    try {
      await t.queue.add(sweepReplies, {});
      const [handover] = await until(async () => {
        const rows = await t.db.select().from(handovers).where(eq(handovers.conversationId, conversation.id));
        return rows.length > 0 ? rows : undefined;
      });
      expect(handover).toMatchObject({ reason: 'suspended' });
      expect(generateCalls()).toHaveLength(1);
      const [row] = await t.db.select().from(conversations).where(eq(conversations.id, conversation.id));
      expect(row).toMatchObject({ status: 'support_active' });
      const stored = await t.db.select().from(messages).where(eq(messages.conversationId, conversation.id));
      expect(stored.filter((m) => m.type === 'customer').map((m) => m.text)).toEqual(['hello', 'still there?']);
      expect(stored.some((m) => m.type === 'AI' && m.text === 'never sent')).toBe(false);
      // The message kept from the model is counted, with why, among the model calls avoided.
      expect(stored.filter((m) => m.type === 'customer').map((m) => m.aiSkippedReason)).toEqual([null, 'suspended']);
    } finally {
      await setSuspended(t.db, false, t.config.gemini.defaultModel, [conversation.userId]);
    }
  });

  it('leaves messages the AI decided not to answer out of the sweep', async () => {
    t.gemini.enqueue({ text: 'Hi there.' });
    await say(chat, 'hello');
    await until(() => (sentTo(chat).length > 0 ? true : undefined));
    const conversation = await conversationOf(chat);
    await t.as(token, { method: 'PATCH', url: '/api/v1/ai/config/', payload: { auto_response_enabled: false } });
    try {
      await say(chat, 'and one more thing');
      const [latest] = await t.db
        .select({ seq: messages.seq })
        .from(messages)
        .where(eq(messages.conversationId, conversation.id))
        .orderBy(sql`${messages.seq} desc`)
        .limit(1);
      // The job ran, found the AI switched off, and marked the message as dealt with.
      await until(async () => {
        const [row] = await t.db.select().from(conversations).where(eq(conversations.id, conversation.id));
        return row && row.answeredThroughSeq >= latest!.seq ? row : undefined;
      });
      await t.db
        .update(messages)
        .set({ createdAt: sql`now() - interval '2 minutes'` })
        .where(and(eq(messages.conversationId, conversation.id), eq(messages.type, 'customer')));
      expect((await sweepUnanswered(t.db)).map((row) => row.id)).not.toContain(conversation.id);
      expect(generateCalls()).toHaveLength(1);
    } finally {
      await t.as(token, { method: 'PATCH', url: '/api/v1/ai/config/', payload: { auto_response_enabled: true } });
    }
  });
});
