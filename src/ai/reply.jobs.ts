import {
  findWithOwnerAndChannel,
  markSkipped,
  type Conversation,
  type StoredMessage,
} from '../conversations/conversations.service.js';
import type { ReadAlongside } from '../conversations/customer-messages.repo.js';
import { SENDING_LEASE_MS, type ClaimedMessage, type OutboundDelivery } from '../conversations/outbox.js';
import { jobType, type Queue } from '../infra/queue.js';
import { getAiSettings } from './ai-settings.js';
import type { ModelErrorClass } from '../model/model-provider.js';
import { conversationOwnerSuspendedRead, replyContextFromJson, replyContextRead, sweepUnanswered } from './ai.repo.js';
import { generateAnswer, HISTORY_LIMIT, whyNoAi } from './answer.js';
import { sendAwayMessageOnce } from './away-message.js';
import type { ReplyDeps } from './reply-deps.js';

/**
 * Answers a channel conversation's newest customer messages. Enqueued with a
 * debounce per conversation, so a burst becomes one turn and one model call;
 * everything it needs is read when it runs (a first try that runs at once: with
 * the message, its `ReplyContext`), so status, hours and ownership are those of
 * that moment; the answer's insert checks the ownership again.
 */
export const replyToConversation = jobType<{ conversationId: string }, ReplyContext>('reply');
/** Finds replies a crash or a lost job left unsent (see `sweepUnanswered`). */
export const sweepReplies = jobType<Record<string, never>>('sweep-replies');

/**
 * Tries of a reply job. While the model is down the messages wait: a failed
 * call is retried (1 s, 2 s … 16 s apart, on top of the client's own quick
 * retries); only the last try hands the conversation to people.
 */
export const REPLY_ATTEMPTS = 6;
const REPLY_CONCURRENCY = 128;
const WAITABLE_FAILURES = new Set<ModelErrorClass>([
  'timeout',
  'rate_limited',
  'server_error',
  'network',
  'deadline_exceeded',
]);

/** What a reply reads before it decides anything: the conversation as it is, its history, its channel. */
export interface ReplyContext {
  conversation: Conversation;
  owner: { id: string };
  /** Null once the channel was disconnected. */
  channel: ClaimedMessage['channel'];
  /** Its latest messages, oldest first. */
  history: StoredMessage[];
  suspended: boolean;
}

async function readReplyContext(db: ReplyJobDeps['db'], conversationId: string): Promise<ReplyContext | undefined> {
  // One read: the conversation, its history, and whether the business is suspended (the model call checks it).
  const row = await findWithOwnerAndChannel(db, conversationId, {
    historyLimit: HISTORY_LIMIT,
    alongside: conversationOwnerSuspendedRead(),
  });
  if (!row) return undefined;
  const { conversation, owner, channel, history } = row;
  return { conversation, owner, channel, history, suspended: row.alongside === true };
}

/** What the statement storing a customer's message reads too, so that a reply starting at once need not. */
export function replyContextReading(userId: string, channelId: string): ReadAlongside {
  return { historyLimit: HISTORY_LIMIT - 1, alongside: replyContextRead(userId, channelId) };
}

/** The context `replyContextReading` read, with the stored message and the conversation as it is now. */
export function replyContextOf(
  conversation: Conversation,
  read: { history: StoredMessage[]; alongside: unknown },
  message: StoredMessage,
): ReplyContext {
  const { suspended, channel } = replyContextFromJson(read.alongside);
  const history = [...read.history, message];
  return { conversation, owner: { id: conversation.userId }, channel, history, suspended };
}

/**
 * Enqueues a conversation's reply; a burst of adds within `debounceMs` becomes one job. With no
 * wait at all the job is not delayed: a delayed job waits for the queue's timer (with Redis,
 * Redis checks blocking timeouts only `hz` times a second). Its first try runs at once in this
 * process when it runs replies, without the queue's round trips, and from `context` when given;
 * the sweep finds the messages again if the process stops meanwhile. Jobs that overlap then
 * answer each message once all the same (`answered_through_seq`).
 */
export async function enqueueReply(
  queue: Queue,
  conversationId: string,
  debounceMs: number,
  context?: ReplyContext,
): Promise<void> {
  if (debounceMs > 0) {
    const debounce = { id: `reply-${conversationId}`, ms: debounceMs };
    await queue.add(replyToConversation, { conversationId }, { debounce, attempts: REPLY_ATTEMPTS });
    return;
  }
  const read = context ? { alreadyRead: context } : {};
  await queue.add(replyToConversation, { conversationId }, { here: true, attempts: REPLY_ATTEMPTS, ...read });
}

export interface ReplyJobDeps extends ReplyDeps {
  queue: Queue;
  /** "typing…" to the customer while the model writes, where the channel has it, until the function it returns is called. */
  showTyping?: (channel: OutboundDelivery['channel'], customerId: string) => () => void;
  /**
   * Sends the conversation's pending messages to its channel (the outbox's `sendPendingNow`),
   * `claimed` first: an answer stored already claimed.
   */
  sendPending: (conversationId: string, claimed?: ClaimedMessage) => Promise<void>;
}

export function registerReplyJobs(queue: Queue, deps: ReplyJobDeps): void {
  const { db } = deps;
  queue.handle(
    replyToConversation,
    async (job) => {
      const startedAt = performance.now();
      const context = job.alreadyRead ?? (await readReplyContext(db, job.data.conversationId));
      if (!context) return;
      const { conversation, owner, channel, history, suspended } = context;
      const latest = history.filter((message) => message.type === 'customer').at(-1);
      if (!latest || latest.seq <= conversation.answeredThroughSeq) return;

      const settings = await getAiSettings(db, owner.id, deps.config.gemini.defaultModel);
      const now = deps.now?.() ?? new Date();
      const why = whyNoAi(deps, conversation, settings, now);
      if (why) {
        // Handled without the AI (away message, manual handling …): these messages are not
        // waiting for an answer any more, so the sweep leaves them alone; the same statement
        // records why, for the count of model calls avoided.
        await markSkipped(db, conversation.id, {
          after: conversation.answeredThroughSeq,
          through: latest.seq,
          reason: why,
          answered: true,
        });
      }
      if (why === 'outside_business_hours' && settings.awayMessage?.trim()) {
        await sendAwayMessageOnce(deps, owner.id, conversation.id, settings.awayMessage.trim(), now);
      }
      let claimed: ClaimedMessage | undefined;
      if (!why) {
        const stopTyping = channel ? deps.showTyping?.(channel, conversation.customerId) : undefined;
        const lastTry = job.attempt >= REPLY_ATTEMPTS;
        const { message } = await generateAnswer(
          { ...deps, retryLater: (error) => !lastTry && WAITABLE_FAILURES.has(error.errorClass) },
          {
            userId: owner.id,
            conversation,
            settings,
            history,
            now,
            startedAt,
            answers: latest.seq,
            suspended,
            // Sent just below: stored claimed, it needs no claim of its own, one round trip less.
            claimForMs: channel ? SENDING_LEASE_MS : undefined,
          },
        ).finally(stopTyping);
        if (message?.claimed) {
          claimed = {
            message: { id: message.id, type: message.type, text: message.text, channelMessageId: null },
            conversation: { id: conversation.id, userId: owner.id, customerId: conversation.customerId },
            channel,
          };
        }
      }
      // The answer, an away message or a handover message: whatever is now waiting goes out.
      await deps.sendPending(conversation.id, claimed);
    },
    // Mostly waiting on the model: many at once per process, the shared key's rate limit the bound.
    { concurrency: REPLY_CONCURRENCY },
  );
  queue.handle(sweepReplies, async () => {
    for (const { id, debounceMs } of await sweepUnanswered(db)) await enqueueReply(queue, id, debounceMs);
  });
}
