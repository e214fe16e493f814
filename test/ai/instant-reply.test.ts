import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { setSuspended } from '../../src/ai/ai-settings.js';
import { aiConfigs, handovers, messages } from '../../src/db/schema/index.js';
import { createTelegramTestApp, telegramCustomers, type TelegramTestApp } from '../helpers/telegram.js';
import { until } from '../helpers/wait.js';

/**
 * A business with no reply wait: the reply starts as the message is stored, from what the
 * statement storing it read (the conversation so far, the channel, whether the business is
 * suspended) rather than reading it again.
 */
const BOT_TOKEN = '555000333:AAEinstantReplyBotTokenForTheTests';

let t: TelegramTestApp;
let chat = 9100;
const { say, sentTo, generateCalls, conversationOf } = telegramCustomers(() => t, BOT_TOKEN, 'Inês');
/** A model request's turns, as role: text. */
const turnsOf = (body: unknown) =>
  ((body as { contents?: { role: string; parts: { text?: string }[] }[] }).contents ?? []).map(
    (turn) => `${turn.role}: ${turn.parts.map((part) => part.text ?? '').join(' ')}`,
  );

beforeAll(async () => {
  t = await createTelegramTestApp({ token: BOT_TOKEN, id: 555000333, username: 'instant_bot' });
  await t.telegramBusiness('instant', { reply_debounce_ms: 0, handover_message: 'A person will answer you soon.' });
});
afterAll(() => t.close());
beforeEach(() => {
  t.gemini.reset();
  t.telegram.reset();
  chat++;
});

describe('a reply with no wait', () => {
  it('answers with the conversation so far, the new message last, through the business’s bot', async () => {
    t.gemini.enqueue({ text: 'Hello! How can I help?' }, { text: 'Yes, 9 to 13 on Sundays.' });
    await say(chat, 'hello');
    await until(() => (sentTo(chat).length > 0 ? true : undefined));
    await say(chat, 'Are you open on Sunday?');
    await until(() => (sentTo(chat).length > 1 ? true : undefined));

    expect(sentTo(chat).map((m) => m.text)).toEqual(['Hello! How can I help?', 'Yes, 9 to 13 on Sundays.']);
    const [first, second] = generateCalls();
    // The first message opened the conversation: nothing before it.
    expect(turnsOf(first?.body).filter((turn) => turn.includes('hello'))).toHaveLength(1);
    expect(turnsOf(second?.body).slice(-3)).toEqual([
      expect.stringMatching(/^user: .*hello$/),
      'model: Hello! How can I help?',
      expect.stringMatching(/^user: .*Are you open on Sunday\?$/),
    ]);
    const conversation = await conversationOf(chat);
    // The AI had it from the first message: it never passed through people's hands.
    expect(conversation).toMatchObject({
      status: 'active',
      waitingForAi: false,
      ownershipVersion: 0,
      answeredThroughSeq: 3,
      messageCount: 4,
    });
  });

  it('hands the message to people without calling the model once the business is suspended', async () => {
    t.gemini.enqueue({ text: 'Hi there.' }, { text: 'never sent' });
    await say(chat, 'hello');
    await until(() => (sentTo(chat).length > 0 ? true : undefined));
    const conversation = await conversationOf(chat);
    // What `ai_control suspend` does from another process: this one's cached settings do not know yet.
    await t.db.update(aiConfigs).set({ suspendedAt: new Date() }).where(eq(aiConfigs.userId, conversation.userId));
    try {
      await say(chat, 'still there?');
      const [handover] = await until(async () => {
        const rows = await t.db.select().from(handovers).where(eq(handovers.conversationId, conversation.id));
        return rows.length > 0 ? rows : undefined;
      });
      expect(handover).toMatchObject({ reason: 'suspended' });
      expect(generateCalls()).toHaveLength(1);
      await until(() => (sentTo(chat).length > 1 ? true : undefined));
      expect(sentTo(chat).map((m) => m.text)).toEqual(['Hi there.', 'A person will answer you soon.']);
      const stored = await t.db.select().from(messages).where(eq(messages.conversationId, conversation.id));
      const customers = stored.filter((m) => m.type === 'customer').sort((a, b) => a.seq - b.seq);
      expect(customers.map((m) => [m.text, m.aiSkippedReason])).toEqual([
        ['hello', null],
        ['still there?', 'suspended'],
      ]);
    } finally {
      await setSuspended(t.db, false, t.config.gemini.defaultModel, [conversation.userId]);
    }
  });
});
