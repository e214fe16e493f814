import { NotFoundError } from '../kernel/errors.js';
import type { AuthUser } from '../auth/auth.service.js';
import {
  addMessageWithHistory,
  sessionId,
  findOrCreateConversation,
  getOwnConversation,
  openingStatus,
  type Conversation,
  type StoredMessage,
} from '../conversations/conversations.service.js';
import { conversationCreatedEvent, messageEvent } from '../conversations/conversation-events.js';
import { getAiSettings, type AiSettings } from './ai-settings.js';
import { generateAnswer, HISTORY_LIMIT, whyNoAi } from './answer.js';
import { suspendedRead } from './ai.repo.js';
import { aiAvailability } from './availability.js';
import { sendAwayMessageOnce } from './away-message.js';
import { resumeIfWaiting } from './handback.js';
import type { NoAnswerReason, ReplyDeps } from './reply-deps.js';

export interface ReplyOutcome {
  conversation: Conversation;
  question: StoredMessage;
  answer: string | null;
  autoResponseGenerated: boolean;
  reason?: NoAnswerReason;
  /** False only when the model failed after its retries. */
  success: boolean;
  responseTimeMs: number;
}

/** An outcome as `ask` answers it (contract §5). */
export function outcomeView(outcome: ReplyOutcome) {
  return {
    session_id: sessionId(outcome.conversation.id),
    customer_id: outcome.conversation.customerId,
    question: outcome.question.text,
    answer: outcome.answer,
    response_time_ms: outcome.responseTimeMs,
    success: outcome.success,
    auto_response_generated: outcome.autoResponseGenerated,
    ...(outcome.reason ? { reason: outcome.reason } : {}),
  };
}

/** `POST /ai/ask/`: a customer's question on the API channel. */
export async function askAsCustomer(
  deps: ReplyDeps,
  user: AuthUser,
  input: { customerId: string; question: string },
): Promise<ReplyOutcome> {
  const startedAt = performance.now();
  const settings = await getAiSettings(deps.db, user.id, deps.config.gemini.defaultModel);
  const { conversation, created } = await findOrCreateConversation(deps.db, {
    userId: user.id,
    channel: 'api',
    customerId: input.customerId,
    ...openingStatus(user.defaultReplyHandler, aiAvailability(deps.config, settings) === null),
  });
  if (created) {
    deps.events.publish(user.id, conversationCreatedEvent(conversation));
  }
  const current = await resumeIfWaiting(deps, user, conversation, settings);
  return replyToCustomer(deps, user, current, settings, input.question, startedAt);
}

/** `POST /ai/sessions/{id}/send/`: a customer message in an existing conversation. */
export async function sendToConversation(
  deps: ReplyDeps,
  user: AuthUser,
  conversationId: string,
  text: string,
): Promise<ReplyOutcome> {
  const startedAt = performance.now();
  const conversation = await getOwnConversation(deps.db, user.id, conversationId);
  if (!conversation) throw new NotFoundError('No such session.');
  const settings = await getAiSettings(deps.db, user.id, deps.config.gemini.defaultModel);
  const current = await resumeIfWaiting(deps, user, conversation, settings);
  return replyToCustomer(deps, user, current, settings, text, startedAt);
}

/** Answers a customer message in a known conversation (a test conversation too, see `whyNoAi`). */
export async function replyToCustomer(
  deps: ReplyDeps,
  user: AuthUser,
  conversation: Conversation,
  settings: AiSettings,
  text: string,
  startedAt: number,
): Promise<ReplyOutcome> {
  const { db } = deps;
  const now = deps.now?.() ?? new Date();
  const withoutAi = whyNoAi(deps, conversation, settings, now);
  // Stored before anything else can fail: a customer's message is never lost. The context the
  // model needs comes back with it, in the same round trip.
  const {
    message: question,
    history,
    alongside,
  } = await addMessageWithHistory(
    db,
    // Kept from the model: why, in the same insert, for the count of model calls avoided.
    {
      conversationId: conversation.id,
      type: 'customer',
      text,
      aiSkippedReason: withoutAi ?? (deps.model ? null : 'no_api_key'),
      // The model call below checks it: read here, it costs no round trip of its own.
      alongside: withoutAi ? undefined : suspendedRead(user.id),
    },
    withoutAi ? 0 : HISTORY_LIMIT - 1,
  );
  if (!question) throw new Error('customer message was not stored');
  deps.events.publish(user.id, messageEvent(conversation.id, question));
  const elapsed = () => Math.round(performance.now() - startedAt);
  const noAnswer = (reason: NoAnswerReason, answer: string | null = null, success = true): ReplyOutcome => ({
    conversation,
    question,
    answer,
    autoResponseGenerated: false,
    reason,
    success,
    responseTimeMs: elapsed(),
  });

  if (withoutAi === 'outside_business_hours') {
    const away = settings.awayMessage?.trim() || null;
    if (away) await sendAwayMessageOnce(deps, user.id, conversation.id, away, now);
    return noAnswer('outside_business_hours', away);
  }
  if (withoutAi || !deps.model) return noAnswer(withoutAi ?? 'no_api_key');

  const generated = await generateAnswer(deps, {
    userId: user.id,
    conversation,
    settings,
    history: [...history, question],
    now,
    startedAt,
    suspended: alongside === true,
  });
  return { ...generated, question, responseTimeMs: generated.responseTimeMs };
}
