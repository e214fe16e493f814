import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { setAutoResponse } from '../../src/ai/ai-settings.js';
import { findUser } from '../../src/auth/auth.service.js';
import { conversations, messages } from '../../src/db/schema/index.js';
import { telegramTextUpdate } from '../fakes/telegram.js';
import { createTelegramTestApp, type TelegramTestApp } from '../helpers/telegram.js';
import { until } from '../helpers/wait.js';

/**
 * A conversation that begins while the AI is unavailable goes to people for
 * that reason only. It waits for the AI: once the AI can answer, it follows
 * the business's default handler again, unless a person has touched it.
 */
const BOT_TOKEN = '555000222:AAEwaitingBotTokenForTheWaitingForAiTest';
const CHAT = 5151;

let t: TelegramTestApp;
let updateId = 1;

const statusOf = async (token: string, id: string) =>
  (await t.as(token, { method: 'GET', url: `/api/v1/ai/conversations/${id}/status/` })).json<Record<string, unknown>>();
const ask = async (token: string, customer: string, question = 'Are you open on Sunday?') =>
  (await t.as(token, { method: 'POST', url: '/api/v1/ai/ask/', payload: { question, customer_id: customer } })).json<{
    session_id: string;
    answer: string | null;
    reason?: string;
  }>();
/** A conversation's customer messages, each with why the model did not see it (null: it did). */
const whyNotAnswered = (id: string) =>
  t.db
    .select({ text: messages.text, reason: messages.aiSkippedReason })
    .from(messages)
    .where(and(eq(messages.conversationId, id), eq(messages.type, 'customer')))
    .orderBy(messages.seq);
const statusChanges = () =>
  t.published.filter((p) => p.event.type === 'conversation.status_changed').map((p) => p.event.data);
const switchAutoResponse = (token: string, on: boolean) =>
  t.as(token, { method: 'PUT', url: '/api/v1/ai/config/', payload: { auto_response_enabled: on } });

beforeAll(async () => {
  t = await createTelegramTestApp({ token: BOT_TOKEN, id: 555000222, username: 'waiting_bot' });
});
afterAll(() => t.close());
beforeEach(() => {
  t.gemini.reset();
  t.telegram.reset();
  t.published.length = 0;
});

describe('a conversation that began while auto-response was off', () => {
  it('waits for the AI, and goes back to it when auto-response is switched on', async () => {
    const token = await t.business('waits', { auto_response_enabled: false });
    const first = await ask(token, 'ana');
    expect(first).toMatchObject({ answer: null, reason: 'ai_disabled' });
    const id = first.session_id.slice(4);
    expect(await statusOf(token, id)).toEqual({
      conversation_id: id,
      status: 'support_active',
      ai_available: false,
      reason: 'ai_disabled',
      waiting_for_ai: true,
    });

    expect((await switchAutoResponse(token, true)).statusCode).toBe(200);
    expect(statusChanges()).toEqual([
      {
        conversation_id: id,
        status: 'active',
        previous: 'support_active',
        reason: 'ai_available',
        ownership_version: 1,
      },
    ]);
    expect(await statusOf(token, id)).toEqual({
      conversation_id: id,
      status: 'active',
      ai_available: true,
      reason: null,
      waiting_for_ai: false,
    });
    t.gemini.enqueue({ text: 'No, we are closed on Sundays.' });
    expect(await ask(token, 'ana')).toMatchObject({ answer: 'No, we are closed on Sundays.' });
  });

  it('stays with people once a person has replied or taken it over', async () => {
    const token = await t.business('touched', { auto_response_enabled: false });
    const replied = (await ask(token, 'ben')).session_id.slice(4);
    const taken = (await ask(token, 'cleo')).session_id.slice(4);
    const untouched = (await ask(token, 'dan')).session_id.slice(4);

    const reply = await t.as(token, {
      method: 'POST',
      url: `/api/v1/conversations/${replied}/messages/`,
      payload: { text: 'Hello Ben, Marta here.' },
    });
    expect(reply.statusCode).toBe(201);
    const takeover = await t.as(token, {
      method: 'PUT',
      url: `/api/v1/ai/conversations/${taken}/status/`,
      payload: { status: 'support_active' },
    });
    expect(takeover.json()).toMatchObject({ status: 'support_active', waiting_for_ai: false });
    expect(await statusOf(token, replied)).toMatchObject({ status: 'support_active', waiting_for_ai: false });
    expect(await statusOf(token, untouched)).toMatchObject({ status: 'support_active', waiting_for_ai: true });

    t.published.length = 0;
    await switchAutoResponse(token, true);
    expect(statusChanges()).toEqual([
      {
        conversation_id: untouched,
        status: 'active',
        previous: 'support_active',
        reason: 'ai_available',
        ownership_version: 1,
      },
    ]);
    expect(await statusOf(token, replied)).toMatchObject({ status: 'support_active', reason: 'manual_handling' });
    expect(await statusOf(token, taken)).toMatchObject({ status: 'support_active', reason: 'agent_takeover' });
  });

  it('does not wait when the business wants people first (default handler Manual)', async () => {
    const token = await t.business('manual', { auto_response_enabled: false });
    await t.as(token, {
      method: 'PUT',
      url: '/api/v1/ai/default-handler/',
      payload: { default_reply_handler: 'Manual' },
    });
    const id = (await ask(token, 'eve')).session_id.slice(4);
    expect(await statusOf(token, id)).toMatchObject({ status: 'support_active', waiting_for_ai: false });
    await switchAutoResponse(token, true);
    expect(statusChanges()).toEqual([]);
    expect(await statusOf(token, id)).toMatchObject({ status: 'support_active', reason: 'default_handler_manual' });
  });
});

describe('a waiting conversation on Telegram', () => {
  it('goes back to the AI with the next customer message once the AI can answer', async () => {
    const token = await t.telegramBusiness('bakery', { reply_debounce_ms: 100 });
    await switchAutoResponse(token, false);
    const say = (text: string) =>
      t.telegram.deliver(
        BOT_TOKEN,
        telegramTextUpdate({ updateId: updateId++, messageId: updateId * 10, chatId: CHAT, text, firstName: 'Ana' }),
      );
    expect(await say('Hello?')).toMatchObject({ status: 200 });
    // Still unavailable: the conversation goes on waiting, the message with it.
    expect(await say('Hello again?')).toMatchObject({ status: 200 });
    const listed = await t.as(token, { method: 'GET', url: '/api/v1/conversations/?channel=telegram' });
    const id = listed.json<{ results: { id: string }[] }>().results[0]!.id;
    expect(await statusOf(token, id)).toMatchObject({ status: 'support_active', waiting_for_ai: true });

    // Available without anything handing it back (as when a server restarts with a key): the
    // status says it waits, and the customer's next message settles it.
    const owner = await findUser(t.db, 'bakery');
    await setAutoResponse(t.db, true, t.config.gemini.defaultModel, [owner!.id]);
    expect(await statusOf(token, id)).toMatchObject({
      status: 'support_active',
      ai_available: true,
      reason: 'waiting_for_ai',
      waiting_for_ai: true,
    });
    t.gemini.enqueue({ text: 'Hello Ana! How can I help?' });
    expect(await say('Is anyone there?')).toMatchObject({ status: 200 });
    const sent = await until(() => {
      const messages = t.telegram.sent(BOT_TOKEN).filter((m) => String(m.chat_id) === String(CHAT));
      return messages.length > 0 ? messages : undefined;
    });
    expect(sent.map((m) => m.text)).toEqual(['Hello Ana! How can I help?']);
    // Why the model never saw the first message is stored with it, for the count of calls avoided;
    // the second went to the model.
    expect(await whyNotAnswered(id)).toEqual([
      { text: 'Hello?', reason: 'ai_disabled' },
      { text: 'Hello again?', reason: 'ai_disabled' },
      { text: 'Is anyone there?', reason: null },
    ]);
    expect(statusChanges()).toContainEqual(
      expect.objectContaining({ conversation_id: id, status: 'active', reason: 'ai_available' }),
    );
    expect(await statusOf(token, id)).toMatchObject({ status: 'active', waiting_for_ai: false });
  });

  it('stays with a person who took it while the customer’s message was being stored', async () => {
    // A bot of its own: the file's bot belongs to the bakery.
    const botToken = '555000223:AAEwaitingBotTokenForTheRaceOfTakeover';
    t.telegram.addBot(botToken, { id: 555000223, username: 'florist_bot' });
    const token = await t.business('florist', { reply_debounce_ms: 0 });
    const connected = await t.as(token, {
      method: 'POST',
      url: '/api/v1/channels/',
      payload: { type: 'telegram', bot_token: botToken },
    });
    expect(connected.statusCode).toBe(201);
    await switchAutoResponse(token, false);
    const chat = CHAT + 1;
    const say = (text: string) =>
      t.telegram.deliver(
        botToken,
        telegramTextUpdate({ updateId: updateId++, messageId: updateId * 10, chatId: chat, text, firstName: 'Bo' }),
      );
    expect(await say('Hello?')).toMatchObject({ status: 200 });
    const listed = await t.as(token, { method: 'GET', url: '/api/v1/conversations/?channel=telegram' });
    const id = listed.json<{ results: { id: string }[] }>().results[0]!.id;
    const owner = await findUser(t.db, 'florist');
    await setAutoResponse(t.db, true, t.config.gemini.defaultModel, [owner!.id]);

    // A person takes the conversation in the same instant the message is stored: after the statement
    // storing it read the conversation as waiting for the AI, before the AI could have it back.
    await t.db.execute(sql`
      create function took_it() returns trigger language plpgsql as $$
      begin
        update conversations set waiting_for_ai = false, ownership_version = ownership_version + 1
         where id = new.conversation_id;
        return null;
      end $$`);
    await t.db.execute(sql`
      create trigger took_it after insert on messages
      for each row when (new.text = 'Anyone there?') execute function took_it()`);
    try {
      t.gemini.enqueue({ text: 'Hello Bo!' });
      expect(await say('Anyone there?')).toMatchObject({ status: 200 });
      // Whatever the message set going settles before anything is read.
      await until(async () => {
        const reply = (await t.queue.counts()).reply;
        return !reply || reply.active + reply.waiting + reply.delayed === 0 ? true : undefined;
      });
    } finally {
      await t.db.execute(sql`drop trigger took_it on messages`);
      await t.db.execute(sql`drop function took_it()`);
    }

    // The person has it: the AI did not answer, and the message waits for the person's answer.
    expect(await statusOf(token, id)).toMatchObject({ status: 'support_active', waiting_for_ai: false });
    expect(t.gemini.requests).toHaveLength(0);
    expect(t.telegram.sent(botToken)).toEqual([]);
    expect(await whyNotAnswered(id)).toEqual([
      { text: 'Hello?', reason: 'ai_disabled' },
      { text: 'Anyone there?', reason: 'manual_handling' },
    ]);
    const [conversation] = await t.db
      .select({ answeredThroughSeq: conversations.answeredThroughSeq })
      .from(conversations)
      .where(eq(conversations.id, id));
    expect(conversation).toEqual({ answeredThroughSeq: 0 });
  });
});
