import { eq } from 'drizzle-orm';
import { conversations } from '../../src/db/schema/index.js';
import { TelegramFake, telegramTextUpdate } from '../fakes/telegram.js';
import { createAiTestApp, type AiTestApp } from './ai.js';
import { freePort, until } from './wait.js';

export interface TelegramBot {
  token: string;
  id: number;
  username: string;
}

export interface TelegramTestApp extends AiTestApp {
  /** The Telegram API the app talks to, with the bot already known to it. */
  telegram: TelegramFake;
  /** A business with AI switched on and the given settings, its Telegram channel the bot; returns its token. */
  telegramBusiness(username: string, settings?: Record<string, unknown>): Promise<string>;
}

/**
 * An AI test app listening on loopback (Telegram calls its webhooks there),
 * whose Telegram API is a TelegramFake that knows `bot`.
 */
export async function createTelegramTestApp(
  bot: TelegramBot,
  env: Record<string, string> = {},
): Promise<TelegramTestApp> {
  const telegram = await TelegramFake.start();
  telegram.addBot(bot.token, { id: bot.id, username: bot.username });
  let t: AiTestApp;
  try {
    const port = await freePort();
    t = await createAiTestApp({ TELEGRAM_API_BASE: telegram.url, PUBLIC_URL: `http://127.0.0.1:${port}`, ...env });
    await t.app.listen({ port, host: '127.0.0.1' }).catch(async (error: unknown) => {
      await t.close();
      throw error;
    });
  } catch (error) {
    await telegram.close();
    throw error;
  }
  return {
    ...t,
    telegram,
    async telegramBusiness(username, settings) {
      const token = await t.business(username, settings);
      const channel = await t.as(token, {
        method: 'POST',
        url: '/api/v1/channels/',
        payload: { type: 'telegram', bot_token: bot.token },
      });
      if (channel.statusCode !== 201) throw new Error(`connecting the bot failed: ${channel.body}`);
      return token;
    },
    async close() {
      await t.close();
      await telegram.close();
    },
  };
}

/**
 * Customers writing to a test app's bot, each chat a customer: what they say, what the bot sent
 * them, the model calls made, and their conversation once it is stored.
 */
export function telegramCustomers(app: () => TelegramTestApp, botToken: string, firstName: string) {
  let updateId = 5000;
  return {
    say: (chatId: number, text: string) =>
      app().telegram.deliver(
        botToken,
        telegramTextUpdate({ updateId: updateId++, messageId: updateId * 10, chatId, text, firstName }),
      ),
    sentTo: (chatId: number) =>
      app()
        .telegram.sent(botToken)
        .filter((m) => String(m.chat_id) === String(chatId)),
    // Model calls, streamed or not.
    generateCalls: () => app().gemini.requests.filter((request) => /generatecontent$/i.test(request.method)),
    conversationOf: async (chatId: number) =>
      until(async () => {
        const [row] = await app()
          .db.select()
          .from(conversations)
          .where(eq(conversations.customerId, String(chatId)));
        return row;
      }),
  };
}
