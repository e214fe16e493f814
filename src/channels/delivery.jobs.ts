import { and, eq, lt, sql } from 'drizzle-orm';
import type { Config } from '../kernel/config.js';
import type { SecretBox } from '../kernel/secret-box.js';
import type { Database } from '../db/client.js';
import { channels, conversations, messages } from '../db/schema/index.js';
import { DEFAULT_ATTEMPTS, jobType, PermanentJobError, type Queue } from '../infra/queue.js';
import {
  INSTAGRAM_LIMIT_BYTES,
  InstagramError,
  instagramClient,
  STANDARD_WINDOW_MS,
} from './instagram/instagram.client.js';
import { splitText, utf8Bytes } from './split.js';
import { TelegramError, telegramClient } from './telegram/telegram.client.js';

/**
 * The outbox: a message to a customer on a channel is stored `pending` and
 * delivered by this job, at most once to the platform per part it sent. The
 * job id is the message's, so enqueuing it again is harmless; a sweep
 * re-enqueues anything still pending, so nothing waits for ever.
 */
export const deliverMessage = jobType<{ messageId: string }>('deliver-message');
export const sweepOutbox = jobType<Record<string, never>>('sweep-outbox');

export interface DeliveryDeps {
  db: Database;
  config: Config;
  secrets: SecretBox;
}

const TELEGRAM_LIMIT = 4_096;
/** Waits Telegram asks for up to this long are waited out in the job; longer ones go back to the queue. */
const MAX_INLINE_WAIT_S = 30;
const SWEEP_AFTER_MS = 30_000;

export async function enqueueDelivery(queue: Queue, messageId: string): Promise<void> {
  await queue.add(deliverMessage, { messageId }, { jobId: `deliver-${messageId}` });
}

/** Enqueues every pending outbound message of a conversation (all conversations without one). */
export async function enqueuePending(
  db: Database,
  queue: Queue,
  conversationId?: string,
  olderThanMs = 0,
): Promise<number> {
  const rows = await db
    .select({ id: messages.id })
    .from(messages)
    .where(
      and(
        eq(messages.deliveryStatus, 'pending'),
        conversationId ? eq(messages.conversationId, conversationId) : undefined,
        olderThanMs > 0 ? lt(messages.createdAt, sql`now() - make_interval(secs => ${olderThanMs / 1000})`) : undefined,
      ),
    )
    .orderBy(messages.seq)
    .limit(1_000);
  for (const row of rows) await enqueueDelivery(queue, row.id);
  return rows.length;
}

async function finish(
  db: Database,
  messageId: string,
  outcome: { sent: true; channelMessageId: string } | { sent: false; error: string },
) {
  await db
    .update(messages)
    .set(
      outcome.sent
        ? {
            deliveryStatus: 'sent',
            deliveredAt: sql`now()`,
            channelMessageId: outcome.channelMessageId,
            deliveryError: null,
          }
        : { deliveryStatus: 'failed', deliveryError: outcome.error },
    )
    .where(eq(messages.id, messageId));
}

export function registerDeliveryJobs(queue: Queue, { db, config, secrets }: DeliveryDeps): void {
  queue.handle(
    deliverMessage,
    async (job) => {
      const [row] = await db
        .select({ message: messages, conversation: conversations, channel: channels })
        .from(messages)
        .innerJoin(conversations, eq(conversations.id, messages.conversationId))
        .leftJoin(channels, eq(channels.id, conversations.channelId))
        .where(eq(messages.id, job.data.messageId))
        .limit(1);
      if (!row || row.message.deliveryStatus !== 'pending') return;
      const { message, conversation, channel } = row;
      if (!channel) {
        await finish(db, message.id, { sent: false, error: 'the channel was disconnected' });
        return;
      }
      // Parts a failed try already delivered are not sent again: their ids are kept as they go out.
      const sentIds = message.channelMessageId ? message.channelMessageId.split(',') : [];
      const delivered = async (id: string, parts: number) => {
        sentIds.push(id);
        if (sentIds.length < parts) {
          await db
            .update(messages)
            .set({ channelMessageId: sentIds.join(',') })
            .where(eq(messages.id, message.id));
        }
      };
      try {
        if (channel.type === 'instagram') {
          const instagram = instagramClient(
            config.meta.graphBase,
            channel.externalId,
            secrets.open(channel.credentials),
          );
          const [lastCustomer] = await db
            .select({ at: sql<Date>`max(${messages.createdAt})` })
            .from(messages)
            .where(and(eq(messages.conversationId, conversation.id), eq(messages.type, 'customer')));
          const humanAgent =
            message.type === 'support' &&
            (!lastCustomer?.at || Date.now() - new Date(lastCustomer.at).getTime() > STANDARD_WINDOW_MS);
          const parts = splitText(message.text, INSTAGRAM_LIMIT_BYTES, utf8Bytes);
          for (const part of parts.slice(sentIds.length)) {
            await delivered(
              (await instagram.sendText(conversation.customerId, part, humanAgent)).message_id,
              parts.length,
            );
          }
          await finish(db, message.id, { sent: true, channelMessageId: sentIds.join(',') });
          return;
        }
        const telegram = telegramClient(config.telegramApiBase, secrets.open(channel.credentials));
        const parts = splitText(message.text, TELEGRAM_LIMIT);
        for (const part of parts.slice(sentIds.length)) {
          for (let tries = 0; ; tries++) {
            try {
              const sent = await telegram.sendMessage({ chat_id: conversation.customerId, text: part });
              await delivered(String(sent.message_id), parts.length);
              break;
            } catch (error) {
              const wait = error instanceof TelegramError ? error.retryAfter : undefined;
              if (wait === undefined || wait > MAX_INLINE_WAIT_S || tries >= 2) throw error;
              await new Promise((resolve) => setTimeout(resolve, wait * 1000));
            }
          }
        }
      } catch (error) {
        const permanent =
          (error instanceof TelegramError && (error.code === 400 || error.code === 403)) ||
          (error instanceof InstagramError && error.permanent);
        const lastTry = job.attempt >= DEFAULT_ATTEMPTS;
        if (permanent || lastTry) {
          const why =
            error instanceof TelegramError
              ? `Telegram ${error.code}: ${error.description}`
              : error instanceof InstagramError
                ? `Instagram ${error.code}: ${error.message}`
                : String(error);
          await finish(db, message.id, { sent: false, error: why });
          throw new PermanentJobError(why);
        }
        throw error;
      }
      await finish(db, message.id, { sent: true, channelMessageId: sentIds.join(',') });
    },
    { concurrency: 8 },
  );
  queue.handle(sweepOutbox, async () => {
    await enqueuePending(db, queue, undefined, SWEEP_AFTER_MS);
  });
}
