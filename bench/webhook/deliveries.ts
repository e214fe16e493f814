/**
 * The Telegram updates bench:webhook posts: real-shaped private-chat text
 * messages spread over many chats, with re-deliveries, and the ledger of what
 * was sent and acknowledged that the storage check compares with the database.
 */
import { telegramTextUpdate } from '../../test/fakes/telegram.js';
import { config, LOAD_CHAT_BASE, RETRY_DISTANCE } from './config.js';

const TEXTS = [
  'Hi! Do you have pastéis de nata today?',
  'What time do you close on Saturday?',
  'Can I order a birthday cake for Friday?',
  'Is the gluten-free bread back?',
  'thanks!',
  'How much is a dozen croissants?',
  'Do you deliver to Alfama?',
  'ok see you at 5',
];
const NAMES = ['Ana', 'João', 'Marta', 'Pedro', 'Inês', 'Rui', 'Sofia', 'Tiago'];

/** Spreads deliveries over the chats unevenly and without a pattern, as customers write. */
export function chatOfLoad(update: number): number {
  let x = Math.imul(update ^ (update >>> 16), 0x45d9f3b);
  x = Math.imul(x ^ (x >>> 16), 0x45d9f3b);
  return LOAD_CHAT_BASE + (((x ^ (x >>> 16)) >>> 0) % config.chats);
}

export interface Ledger {
  /** `chat:message_id` of every distinct update posted, and of those answered 200. */
  sent: Set<string>;
  acked: Set<string>;
  /** When each load chat's newest delivery was acknowledged, to know when all of them have been answered. */
  lastAck: Map<string, number>;
  retries: number;
}

export const newLedger = (): Ledger => ({ sent: new Set(), acked: new Set(), lastAck: new Map(), retries: 0 });

/**
 * Delivery `index` of the load: an update of its own, or every `retryEvery`th a
 * re-delivery of one sent shortly before (same update_id, same body), which
 * must be stored once.
 */
export function loadDelivery(index: number): { update: number; retry: boolean } {
  const retry = config.retryEvery > 0 && index >= RETRY_DISTANCE && index % config.retryEvery === config.retryEvery - 1;
  return { update: retry ? index - RETRY_DISTANCE : index, retry };
}

/** The Bot API's update for update number `n`: the same bytes every time it is built. */
export function updateBody(n: number, chat: number, epoch: number, ref = false): string {
  return JSON.stringify(
    telegramTextUpdate({
      updateId: 500_000_000 + n,
      // Unique across the run, so unique in every chat, and rising as Telegram's are.
      messageId: n + 1,
      chatId: chat,
      firstName: NAMES[chat % NAMES.length],
      text: ref ? `${TEXTS[n % TEXTS.length]!} (ref R${n})` : TEXTS[n % TEXTS.length]!,
      date: epoch + Math.floor(n / 1000),
    }),
  );
}

export const keyOf = (chat: number, n: number) => `${chat}:${n + 1}`;

/** What Parley answers a delivery it has taken. */
export const acknowledged = (status: number, body: string) => status === 200 && body === '{"ok":true}';

/** One target's webhook as the deliveries reach it, and the ledger of what it was sent. */
export interface Webhook {
  port: number;
  path: string;
  /** Content type and `X-Telegram-Bot-Api-Secret-Token`. */
  headers: Record<string, string>;
  /** The updates' `date` counts from here (seconds). */
  epoch: number;
  ledger: Ledger;
}
