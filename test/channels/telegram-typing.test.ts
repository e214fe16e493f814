import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TYPING_AFTER_MS, TYPING_EVERY_MS } from '../../src/channels/adapters.js';
import { createTelegramTestApp, type TelegramTestApp } from '../helpers/telegram.js';
import { until } from '../helpers/wait.js';
import { telegramTextUpdate } from '../fakes/telegram.js';

/**
 * "typing…" on Telegram: shown once the answer takes a noticeable time, as the Bot API asks, kept
 * up while the model works (Telegram drops it after 5 s), and gone once the answer is out.
 */
const BOT_TOKEN = '555000222:AAEbakeryBotTokenForTheTelegramTypingTest';
let t: TelegramTestApp;
let updateId = 1;

beforeAll(async () => {
  // A model call may take its time here: the default test app gives up on one after a second.
  t = await createTelegramTestApp(
    { token: BOT_TOKEN, id: 555000222, username: 'rosa_typing_bot' },
    { GEMINI_TIMEOUT_MS: '15000' },
  );
  await t.telegramBusiness('rosa', { reply_debounce_ms: 0 });
});
afterAll(() => t.close());

const say = (text: string, chat: number) =>
  t.telegram.deliver(
    BOT_TOKEN,
    telegramTextUpdate({ updateId: updateId, messageId: updateId++, chatId: chat, text, firstName: 'Ana' }),
  );
const sent = (chat: number) => t.telegram.sent(BOT_TOKEN).filter((m) => String(m.chat_id) === String(chat));
const callsTo = (chat: number) => t.telegram.calls.filter((call) => String(call.body.chat_id) === String(chat));
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('"typing…" on Telegram', () => {
  it('shows while a slow answer is written, again before Telegram drops it, and not after it', async () => {
    const chat = 4343;
    // Long enough for the first "typing…" and one more before the answer.
    t.gemini.enqueue({ text: 'Let me look… yes, fresh at 8.', delayMs: TYPING_AFTER_MS + TYPING_EVERY_MS + 500 });
    await say('Fresh bread tomorrow?', chat);
    const [reply] = await until(() => (sent(chat).length > 0 ? sent(chat) : undefined), 15_000);
    expect(reply?.text).toBe('Let me look… yes, fresh at 8.');
    // Past when the next one would have gone out, had it not been stopped.
    await pause(TYPING_EVERY_MS + 500);
    expect(callsTo(chat).map((call) => call.method)).toEqual(['sendChatAction', 'sendChatAction', 'sendMessage']);
    expect(callsTo(chat)[0]?.body.action).toBe('typing');
  });

  it('is not shown after an answer that was ready at once', async () => {
    const chat = 4344;
    t.gemini.enqueue({ text: 'Yes, until 7.' });
    await say('Open tonight?', chat);
    const [reply] = await until(() => (sent(chat).length > 0 ? sent(chat) : undefined));
    expect(reply?.text).toBe('Yes, until 7.');
    // Past the moment "typing…" goes out for an answer still being written.
    await pause(TYPING_AFTER_MS + 300);
    expect(callsTo(chat).at(-1)?.method).toBe('sendMessage');
  });
});
