import { eq, sql } from 'drizzle-orm';
import { recentMessages } from '../conversations/conversations.service.js';
import { enqueuePending, type OutboundDelivery } from '../conversations/outbox.js';
import type { Database } from '../db/client.js';
import { rowsOf } from '../db/client.js';
import { aiConfigs, channels, conversations, messages, users } from '../db/schema/index.js';
import { jobType, type Queue } from '../infra/queue.js';
import { getAiSettings } from './ai-settings.js';
import type { ModelErrorClass } from '../model/model-provider.js';
import { generateAnswer, sendAwayMessageOnce, whyNoAi, HISTORY_LIMIT, type ReplyDeps } from './reply.service.js';

/**
 * Answers a channel conversation's newest customer messages. Enqueued with a
 * debounce per conversation, so a burst becomes one turn and one model call;
 * everything it needs is re-read when it runs, so status, hours and ownership
 * are those of that moment.
 */
export const replyToConversation = jobType<{ conversationId: string }>('reply');
/** Finds replies a crash or a lost job left unsent (see `sweepUnanswered`). */
export const sweepReplies = jobType<Record<string, never>>('sweep-replies');

/**
 * Tries of a reply job. While the model is down the messages wait: a failed
 * call is retried (1 s, 2 s … 16 s apart, on top of the client's own quick
 * retries); only the last try hands the conversation to people.
 */
export const REPLY_ATTEMPTS = 6;
const REPLY_CONCURRENCY = 32;
const WAITABLE_FAILURES = new Set<ModelErrorClass>([
  'timeout',
  'rate_limited',
  'server_error',
  'network',
  'deadline_exceeded',
]);

/** Enqueues a conversation's reply; a burst of adds within `debounceMs` becomes one job. */
export async function enqueueReply(queue: Queue, conversationId: string, debounceMs: number): Promise<void> {
  await queue.add(
    replyToConversation,
    { conversationId },
    { debounce: { id: `reply-${conversationId}`, ms: Math.max(debounceMs, 1) }, attempts: REPLY_ATTEMPTS },
  );
}

export interface ReplyJobDeps extends ReplyDeps {
  queue: Queue;
  /** "typing…" to the customer while the model writes, where the channel has it. */
  showTyping?: (channel: OutboundDelivery['channel'], customerId: string) => void;
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
      if (why) {
        // Handled without the AI (away message, manual handling …): these messages are not
        // waiting for an answer any more, so the sweep leaves them alone.
        await db
          .update(conversations)
          .set({ answeredThroughSeq: sql`greatest(${conversations.answeredThroughSeq}, ${latest.seq})` })
          .where(eq(conversations.id, conversation.id));
      }
      if (why === 'outside_business_hours' && settings.awayMessage?.trim()) {
        await sendAwayMessageOnce(deps, owner.id, conversation.id, settings.awayMessage.trim(), now);
      }
      if (!why) {
        if (channel) deps.showTyping?.(channel, conversation.customerId);
        const lastTry = job.attempt >= REPLY_ATTEMPTS;
        await generateAnswer(
          { ...deps, retryLater: (error) => !lastTry && WAITABLE_FAILURES.has(error.errorClass) },
          owner.id,
          conversation,
          settings,
          history,
          now,
          startedAt,
          latest.seq,
        );
      }
      // The answer, an away message or a handover message: whatever is now waiting goes out.
      await enqueuePending(db, deps.queue, conversation.id);
    },
    // Mostly waiting on the model: many at once per process, the shared key's rate limit the bound.
    { concurrency: REPLY_CONCURRENCY },
  );
  queue.handle(sweepReplies, async () => {
    for (const { id, debounceMs } of await sweepUnanswered(db)) await enqueueReply(queue, id, debounceMs);
  });
}

/**
 * Channel conversations the AI still owns whose newest customer message has
 * waited over a minute with no answer and no decision: their reply job was lost
 * (the embedded queue lives in memory; a crash between storing and enqueuing).
 * Enqueuing again is safe: a reply is stored only if it moves the answered mark.
 */
export async function sweepUnanswered(db: Database): Promise<{ id: string; debounceMs: number }[]> {
  const rows = await db.execute(sql`
    select c.id, coalesce(a.reply_debounce_ms, 0) as debounce_ms
      from ${conversations} c
      left join ${aiConfigs} a on a.user_id = c.user_id
     where c.status = 'active' and c.channel_id is not null
       and c.last_message_at > now() - interval '1 day'
       and exists (select 1 from ${messages} m
                    where m.conversation_id = c.id and m.type = 'customer'
                      and m.seq > c.answered_through_seq
                      and m.created_at < now() - interval '1 minute')
     limit 500`);
  return rowsOf<{ id: string; debounce_ms: number | string }>(rows).map((row) => ({
    id: row.id,
    debounceMs: Number(row.debounce_ms),
  }));
}
