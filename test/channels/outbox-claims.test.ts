import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepOutbox } from '../../src/conversations/outbox.js';
import { addMessage } from '../../src/conversations/conversations.service.js';
import { conversations, messages } from '../../src/db/schema/index.js';
import { createTelegramTestApp, type TelegramTestApp } from '../helpers/telegram.js';
import { until } from '../helpers/wait.js';
import { telegramTextUpdate, type TelegramFake } from '../fakes/telegram.js';

/** The outbox's claims: a message is sent by one sender only, and never twice after a crash mid-send. */
const BOT_TOKEN = '555000222:AAEoutboxClaimsBotTokenForTheTest';
const CHAT = 5353;

let telegram: TelegramFake;
let t: TelegramTestApp;
let updateId = 5000;
let messageId = 0;

const say = (text: string) =>
  telegram.deliver(
    BOT_TOKEN,
    telegramTextUpdate({ updateId: updateId++, messageId: (messageId += 1000), chatId: CHAT, text, firstName: 'Ana' }),
  );
const sendCalls = () => telegram.calls.filter((call) => call.method === 'sendMessage').length;

async function answered(question: string, answer: string) {
  t.gemini.enqueue({ text: answer });
  await say(question);
  return until(async () => {
    const [row] = await t.db
      .select()
      .from(messages)
      .where(and(eq(messages.text, answer), eq(messages.deliveryStatus, 'sent')));
    return row;
  });
}

beforeAll(async () => {
  t = await createTelegramTestApp({ token: BOT_TOKEN, id: 555000222, username: 'claims_bot' });
  telegram = t.telegram;
  // No reply wait: each message's reply job is queued at once, not delayed.
  await t.telegramBusiness('claims', { reply_debounce_ms: 0 });
});
afterAll(() => t.close());

describe('messages on their way to a customer', () => {
  it('are sent once by the reply job itself, with the dashboard told', async () => {
    const reply = await answered('Open today?', 'Until six.');
    expect(telegram.sent(BOT_TOKEN).map((message) => message.text)).toEqual(['Until six.']);
    expect(sendCalls()).toBe(1);
    expect(t.published.map(({ event }) => event)).toContainEqual(
      expect.objectContaining({
        type: 'message.delivery_changed',
        data: expect.objectContaining({ message_id: reply.id, delivery_status: 'sent' }),
      }),
    );
  });

  it('that wait behind one Telegram failed for now go to the delivery job with it, each sent once', async () => {
    await answered('Cakes?', 'Every day.');
    // That reply's job looks once more for something to send after its answer went: let it finish
    // first, or it would send the person's reply below before Telegram is made to fail.
    await until(async () => ((await t.queue.counts()).reply?.active === 0 ? true : undefined));
    const conversation = await t.db.query.conversations.findFirst({
      where: eq(conversations.customerId, String(CHAT)),
    });
    // A person's reply stored and not yet sent when the next answer is written: both wait in the outbox.
    const person = await addMessage(t.db, {
      conversationId: conversation!.id,
      type: 'support',
      text: 'Hi, Rosa here.',
    });
    expect(person).toBeDefined();
    const before = sendCalls();
    telegram.failNext('sendMessage', { error_code: 502, description: 'Bad Gateway' });

    const reply = await answered('Custom orders?', 'Two days ahead.');
    const stored = await until(async () => {
      const [row] = await t.db.select().from(messages).where(eq(messages.id, person!.id));
      return row?.deliveryStatus === 'sent' ? row : undefined;
    });
    expect(stored).toMatchObject({ sendingUntil: null, deliveryError: null });
    expect(reply).toMatchObject({ sendingUntil: null });
    // The failed try, then one send each: none lost, none twice.
    expect(sendCalls()).toBe(before + 3);
    const texts = telegram.sent(BOT_TOKEN).map((message) => message.text);
    expect(texts.filter((text) => text === 'Hi, Rosa here.')).toHaveLength(1);
    expect(texts.filter((text) => text === 'Two days ahead.')).toHaveLength(1);
  });

  it("go out in the order they were written: an answer never overtakes a person's reply still waiting", async () => {
    await answered('Coffee?', 'From eight.');
    await until(async () => ((await t.queue.counts()).reply?.active === 0 ? true : undefined));
    const conversation = await t.db.query.conversations.findFirst({
      where: eq(conversations.customerId, String(CHAT)),
    });
    // Stored, not yet sent (as when its own send has not started): the answer written after it goes after it.
    const person = await addMessage(t.db, { conversationId: conversation!.id, type: 'support', text: 'Rosa again.' });
    expect(person).toBeDefined();
    const before = telegram.sent(BOT_TOKEN).length;

    await answered('And tea?', 'Green and black.');
    await until(async () => {
      const [row] = await t.db.select().from(messages).where(eq(messages.id, person!.id));
      return row?.deliveryStatus === 'sent' ? row : undefined;
    });
    expect(
      telegram
        .sent(BOT_TOKEN)
        .slice(before)
        .map((message) => message.text),
    ).toEqual(['Rosa again.', 'Green and black.']);
  });

  it('are marked sent even when the platform gave one the id a customer’s message already has', async () => {
    const reply = await answered('Sourdough?', 'Fridays.');
    // A platform numbering its own messages apart from the customer's: the id the next one sent
    // will get (the fake counts on from the last in the chat) is already a customer message's.
    const clashing = String(Number(reply.channelMessageId) + 1);
    await t.db
      .update(messages)
      .set({ channelMessageId: clashing })
      .where(and(eq(messages.conversationId, reply.conversationId), eq(messages.text, 'Sourdough?')));
    const person = await addMessage(t.db, { conversationId: reply.conversationId, type: 'support', text: 'Rye too.' });
    await t.db
      .update(messages)
      .set({ createdAt: new Date(Date.now() - 60_000) })
      .where(eq(messages.id, person!.id));

    await t.queue.add(sweepOutbox, {});
    const sent = await until(async () => {
      const [row] = await t.db.select().from(messages).where(eq(messages.id, person!.id));
      return row?.deliveryStatus === 'pending' ? undefined : row;
    });
    expect(sent).toMatchObject({ deliveryStatus: 'sent', channelMessageId: clashing, sendingUntil: null });
    expect(telegram.sent(BOT_TOKEN).at(-1)).toMatchObject({ text: 'Rye too.', message_id: Number(clashing) });
  });

  it('are marked failed, not sent again, when their sender stopped mid-send; a live claim is left to its sender', async () => {
    const lapsed = await answered('Croissants?', 'Yes, plain and almond.');
    const claimed = await answered('Gluten free?', 'One loaf a day.');
    const waiting = await answered('Parking?', 'Behind the shop.');
    const before = sendCalls();
    // As a process leaves them when it dies after the platform took the message but before it recorded that …
    await t.db
      .update(messages)
      .set({ deliveryStatus: 'pending', channelMessageId: null, sendingUntil: new Date(Date.now() - 1_000) })
      .where(eq(messages.id, lapsed.id));
    // … while another sender is still at it …
    await t.db
      .update(messages)
      .set({ deliveryStatus: 'pending', channelMessageId: null, sendingUntil: new Date(Date.now() + 60_000) })
      .where(eq(messages.id, claimed.id));
    // … and one stored before a crash, never claimed, which the sweep must still send.
    await t.db
      .update(messages)
      .set({ deliveryStatus: 'pending', channelMessageId: null, createdAt: new Date(Date.now() - 60_000) })
      .where(eq(messages.id, waiting.id));

    await t.queue.add(sweepOutbox, {});
    // Once the sweep has sent the unclaimed one, it has done all it will do.
    const rows = await until(async () => {
      const all = new Map((await t.db.select().from(messages)).map((row) => [row.id, row]));
      return all.get(waiting.id)?.deliveryStatus === 'sent' ? all : undefined;
    });
    expect(rows.get(lapsed.id)).toMatchObject({
      deliveryStatus: 'failed',
      deliveryError: expect.stringMatching(/^Parley stopped while sending this message, so it may not have reached/),
      sendingUntil: null,
    });
    expect(rows.get(claimed.id)).toMatchObject({ deliveryStatus: 'pending' });
    expect(rows.get(waiting.id)).toMatchObject({ deliveryStatus: 'sent', sendingUntil: null });
    expect(sendCalls()).toBe(before + 1);
    expect(telegram.sent(BOT_TOKEN).at(-1)?.text).toBe('Behind the shop.');
    expect(t.published.map(({ event }) => event)).toContainEqual(
      expect.objectContaining({
        type: 'message.delivery_changed',
        data: expect.objectContaining({ message_id: lapsed.id, delivery_status: 'failed' }),
      }),
    );
  });
});
