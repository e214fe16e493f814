import { eq } from 'drizzle-orm';
import type { SecretBox } from '../app/secrets.js';
import { enqueuePending } from '../channels/delivery.jobs.js';
import { telegramClient } from '../channels/telegram/telegram.client.js';
import { recentMessages } from '../conversations/conversations.service.js';
import { channels, conversations, users } from '../db/schema/index.js';
import { jobType, type Queue } from '../infra/queue.js';
import { getAiSettings } from './ai-settings.js';
import { generateAnswer, sendAwayMessageOnce, whyNoAi, HISTORY_LIMIT, type ReplyDeps } from './reply.service.js';

/**
 * Answers a channel conversation's newest customer messages. Enqueued with a
 * debounce per conversation, so a burst becomes one turn and one model call;
 * everything it needs is re-read when it runs, so status, hours and ownership
 * are those of that moment.
 */
export const replyToConversation = jobType<{ conversationId: string }>('reply');

export interface ReplyJobDeps extends ReplyDeps {
  queue: Queue;
  secrets: SecretBox;
}

export function registerReplyJobs(queue: Queue, deps: ReplyJobDeps): void {
  const { db } = deps;
  queue.handle(
    replyToConversation,
    async (job) => {
      const startedAt = performance.now();
      const [row] = await db
        .select({ conversation: conversations, owner: { id: users.id }, channel: channels })
        .from(conversations)
        .innerJoin(users, eq(users.id, conversations.userId))
        .leftJoin(channels, eq(channels.id, conversations.channelId))
        .where(eq(conversations.id, job.data.conversationId))
        .limit(1);
      if (!row) return;
      const { conversation, owner, channel } = row;
      const history = await recentMessages(db, conversation.id, HISTORY_LIMIT);
      const latest = history.filter((message) => message.type === 'customer').at(-1);
      if (!latest || latest.seq <= conversation.answeredThroughSeq) return;

      const settings = await getAiSettings(db, owner.id, deps.config.gemini.defaultModel);
      const now = deps.now?.() ?? new Date();
      const why = whyNoAi(deps, conversation, settings, now);
      if (why === 'outside_business_hours' && settings.awayMessage?.trim()) {
        await sendAwayMessageOnce(deps, owner.id, conversation.id, settings.awayMessage.trim(), now);
      }
      if (!why) {
        if (channel?.type === 'telegram') {
          // "typing…" while the model writes; it is a courtesy, so its failure is ignored.
          void telegramClient(deps.config.telegramApiBase, deps.secrets.open(channel.credentials))
            .sendChatAction({ chat_id: conversation.customerId, action: 'typing' })
            .catch(() => undefined);
        }
        await generateAnswer(deps, owner.id, conversation, settings, history, now, startedAt, latest.seq);
      }
      // The answer, an away message or a handover message: whatever is now waiting goes out.
      await enqueuePending(db, deps.queue, conversation.id);
    },
    { concurrency: 4 },
  );
}
