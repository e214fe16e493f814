import type { Config } from '../kernel/config.js';
import { NotFoundError } from '../kernel/errors.js';
import type { AuthUser } from '../auth/auth.service.js';
import { sql } from 'drizzle-orm';
import {
  addMessage,
  addMessageWithHistory,
  findOrCreateConversation,
  getOwnConversation,
  initialStatus,
  recentMessages,
  type Conversation,
  type StoredMessage,
} from '../conversations/conversations.service.js';
import { conversationCreatedEvent, messageEvent } from '../conversations/conversation-events.js';
import { AI_HANDOVER_REASONS, handOver, type AiHandoverReason, type Handover } from '../conversations/handover.js';
import type { EventBus } from '../events/events.js';
import type { Watchers } from '../events/watchers.js';
import type { Database } from '../db/client.js';
import { quotaExceeded } from '../usage/quota.service.js';
import { recordUsage, usageInsert } from '../usage/usage.service.js';
import { getAiSettings, type AiSettings } from './ai-settings.js';
import { aiAvailability } from './availability.js';
import { isOpen } from './business-hours.js';
import { buildContents } from './context.js';
import { ModelError, NO_USAGE, type ModelProvider, type ModelResult, type ToolDeclaration } from '../model/model-provider.js';
import { buildSystemInstruction } from './prompt.js';

export interface ReplyDeps {
  db: Database;
  config: Config;
  /** Undefined when no global key is configured: the AI is unavailable to everyone. */
  model: ModelProvider | undefined;
  events: EventBus;
  now?: () => Date;
  /**
   * For a failed model call: true to leave the conversation with the AI and
   * rethrow, so a queued reply is tried again, instead of handing it to people.
   */
  retryLater?: (error: ModelError) => boolean;
  /** Who watches live: answers stream only to watched businesses. Without it, every answer streams. */
  watchers?: Watchers;
}

/** Why no AI answer was generated, the first that applies (contract §5). */
export type NoAnswerReason =
  | 'ai_disabled'
  | 'manual_handling'
  | 'outside_business_hours'
  | 'quota_exceeded'
  | 'safety_blocked'
  | 'handed_over'
  | 'ai_unavailable';

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

/** The tool the model calls to pass a conversation to the business's people. */
export const HANDOVER_TOOL: ToolDeclaration = {
  name: 'handover_to_human',
  description:
    'Hand this conversation to a person from the business. Use it when the customer asks for a person, when the answer is not in the business information, for complaints, and for sensitive matters (health, legal, payment disputes, personal data).',
  parameters: {
    type: 'object',
    properties: {
      reason: { type: 'string', enum: [...AI_HANDOVER_REASONS], description: 'Why a person should take over.' },
      note: { type: 'string', description: 'One short sentence for the person taking over.' },
    },
    required: ['reason'],
  },
};

/** Messages of history read for the context window; the token budget trims further. */
export const HISTORY_LIMIT = 60;
/** An away message is not repeated to a customer who writes again within this time. */
const AWAY_MESSAGE_REPEAT_MS = 12 * 60 * 60 * 1000;

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
    status: initialStatus(user.defaultReplyHandler, aiAvailability(deps.config, settings) === null),
  });
  if (created) {
    deps.events.publish(user.id, conversationCreatedEvent(conversation));
  }
  return replyToCustomer(deps, user, conversation, settings, input.question, startedAt);
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
  return replyToCustomer(deps, user, conversation, settings, text, startedAt);
}

/** Why the AI will not answer this conversation now, if it will not. */
export function whyNoAi(
  deps: ReplyDeps,
  conversation: Conversation,
  settings: AiSettings,
  now: Date,
): NoAnswerReason | undefined {
  if (aiAvailability(deps.config, settings)) return 'ai_disabled';
  if (conversation.status === 'support_active') return 'manual_handling';
  if (settings.businessHoursEnabled && settings.businessHours && !isOpen(settings.businessHours, now)) {
    return 'outside_business_hours';
  }
  return undefined;
}

async function replyToCustomer(
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
  const { message: question, history } = await addMessageWithHistory(
    db,
    { conversationId: conversation.id, type: 'customer', text },
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
  if (withoutAi || !deps.model) return noAnswer(withoutAi ?? 'ai_disabled');

  const generated = await generateAnswer(deps, user.id, conversation, settings, [...history, question], now, startedAt);
  return { ...generated, question, responseTimeMs: generated.responseTimeMs };
}

export interface GeneratedAnswer {
  conversation: Conversation;
  answer: string | null;
  /** The stored AI message, when one was stored. */
  message?: StoredMessage;
  autoResponseGenerated: boolean;
  reason?: NoAnswerReason;
  success: boolean;
  responseTimeMs: number;
}

/**
 * Calls the model for a conversation whose latest customer messages are at
 * the end of `history`, and stores its answer under the ownership check (and,
 * with `answers`, only if nothing answered that far yet). Failures, blocks and
 * the model's own handovers go to people.
 */
export async function generateAnswer(
  deps: ReplyDeps,
  userId: string,
  conversation: Conversation,
  settings: AiSettings,
  history: StoredMessage[],
  now: Date,
  startedAt: number,
  answers?: number,
): Promise<GeneratedAnswer> {
  const { db } = deps;
  const model = deps.model;
  const elapsed = () => Math.round(performance.now() - startedAt);
  const noAnswer = (reason: NoAnswerReason, answer: string | null = null, success = true): GeneratedAnswer => ({
    conversation,
    answer,
    autoResponseGenerated: false,
    reason,
    success,
    responseTimeMs: elapsed(),
  });
  if (!model) return noAnswer('ai_disabled');
  const handToPeople = (handover: Handover) =>
    handOver(db, deps.events, conversation, { customerMessage: settings.handoverMessage, ...handover });
  const replyFailed = (reason: string) =>
    deps.events.publish(userId, { type: 'ai.reply.failed', data: { conversation_id: conversation.id, reason } });
  // Over its cap on the shared key, the business's customers go to its people instead of the model.
  if (await quotaExceeded(db, userId, deps.config.timezone, now)) {
    await handToPeople({ source: 'system', reason: 'quota_exceeded' });
    replyFailed('quota_exceeded');
    return noAnswer('quota_exceeded');
  }
  const request = {
    model: settings.modelName,
    systemInstruction: buildSystemInstruction({
      prompts: settings.prompts,
      timezone: settings.businessHours?.timezone ?? deps.config.timezone,
      now,
    }),
    contents: buildContents(history),
    temperature: settings.temperature,
    maxOutputTokens: settings.maxTokens,
    tools: [HANDOVER_TOOL],
  };
  deps.events.publish(userId, { type: 'ai.reply.started', data: { conversation_id: conversation.id } });
  const callStarted = performance.now();
  const usageBase = { userId, conversationId: conversation.id, model: settings.modelName };
  let result: ModelResult;
  try {
    // Watchers see the answer as it is written (it is stored, or discarded, only once complete);
    // with nobody watching, the whole answer at once costs the model client much less.
    const live = deps.watchers ? await deps.watchers.isWatched(userId) : true;
    result = live
      ? await model.stream(request, (text) =>
          deps.events.publish(userId, { type: 'ai.reply.delta', data: { conversation_id: conversation.id, text } }),
        )
      : await model.generate(request);
  } catch (error) {
    if (!(error instanceof ModelError)) throw error;
    const failedCall = recordUsage(db, deps.config.modelPrices, {
      ...usageBase,
      outcome: 'error',
      errorClass: error.errorClass,
      attempts: error.attempts,
      usage: NO_USAGE,
      latencyMs: performance.now() - callStarted,
    });
    if (deps.retryLater?.(error)) {
      // The customer's messages stay unanswered and the queue tries again later.
      await failedCall;
      replyFailed('ai_unavailable');
      throw error;
    }
    await Promise.all([
      failedCall,
      handToPeople({ source: 'system', reason: 'ai_unavailable', detail: error.errorClass }),
    ]);
    replyFailed('ai_unavailable');
    return noAnswer('ai_unavailable', null, false);
  }
  const usage = {
    ...usageBase,
    attempts: result.attempts,
    usage: result.usage,
    latencyMs: performance.now() - callStarted,
  };

  if (result.kind === 'function_call') {
    const reason = handoverReason(result.name, result.args);
    await Promise.all([
      recordUsage(db, deps.config.modelPrices, { ...usage, outcome: 'success' }),
      handToPeople({ source: 'ai', reason, detail: handoverNote(result.args) }),
    ]);
    replyFailed('handed_over');
    return noAnswer('handed_over', settings.handoverMessage?.trim() || null);
  }
  if (result.kind !== 'text') {
    const blockReason = result.kind === 'blocked' ? result.reason : undefined;
    await Promise.all([
      recordUsage(db, deps.config.modelPrices, {
        ...usage,
        outcome: blockReason ? 'blocked' : 'empty',
        errorClass: blockReason ?? (result.kind === 'empty' ? result.finishReason : null),
      }),
      handToPeople(
        blockReason
          ? { source: 'system', reason: 'safety_blocked', detail: blockReason }
          : { source: 'system', reason: 'ai_unavailable', detail: 'the model gave an empty answer' },
      ),
    ]);
    replyFailed(blockReason ? 'safety_blocked' : 'ai_unavailable');
    return blockReason ? noAnswer('safety_blocked') : noAnswer('ai_unavailable', null, false);
  }

  const responseTimeMs = elapsed();
  const answer = await addMessage(db, {
    conversationId: conversation.id,
    type: 'AI',
    text: finishedText(result.text, result.truncated),
    responseTimeMs,
    onlyIfOwnedAt: conversation.ownershipVersion,
    ...(answers === undefined ? {} : { answers }),
    // An `ask` answers its own question; a channel reply answers every message of the burst.
    answeredCount:
      answers === undefined
        ? 1
        : history.filter((message) => message.type === 'customer' && message.seq > conversation.answeredThroughSeq)
            .length,
    // The call's usage goes in with the answer; when the answer was not stored it was discarded.
    also: usageInsert(
      deps.config.modelPrices,
      usage,
      sql`case when exists (select 1 from inserted) then 'success' else 'discarded' end`,
    ),
  });
  // Nothing stored: a person took over, or the status changed, while the model was writing.
  if (!answer) {
    replyFailed('taken_over');
    return noAnswer('manual_handling');
  }
  const stored = messageEvent(conversation.id, answer);
  deps.events.publish(userId, stored);
  deps.events.publish(userId, { type: 'ai.reply.completed', data: stored.data });
  return {
    conversation,
    message: answer,
    answer: answer.text,
    autoResponseGenerated: true,
    success: true,
    responseTimeMs,
  };
}

function handoverReason(tool: string, args: Record<string, unknown>): AiHandoverReason {
  if (tool !== HANDOVER_TOOL.name) return 'other';
  return AI_HANDOVER_REASONS.find((known) => known === args.reason) ?? 'other';
}

function handoverNote(args: Record<string, unknown>): string | undefined {
  return typeof args.note === 'string' && args.note.trim() ? args.note.trim().slice(0, 500) : undefined;
}

/** A reply cut off by the token limit ends at its last full sentence, when that keeps most of it. */
export function finishedText(text: string, truncated: boolean): string {
  if (!truncated) return text;
  const lastEnd = Math.max(...['. ', '! ', '? ', '.\n', '!\n', '?\n'].map((mark) => text.lastIndexOf(mark)));
  if (lastEnd >= text.length / 2) return text.slice(0, lastEnd + 1);
  return `${text.trimEnd()}…`;
}

export async function sendAwayMessageOnce(
  deps: ReplyDeps,
  userId: string,
  conversationId: string,
  away: string,
  now: Date,
): Promise<void> {
  const recent = await recentMessages(deps.db, conversationId, 10);
  const lastReply = [...recent].reverse().find((message) => message.type === 'AI' || message.type === 'support');
  const alreadySent =
    lastReply?.type === 'AI' &&
    lastReply.text === away &&
    now.getTime() - lastReply.createdAt.getTime() < AWAY_MESSAGE_REPEAT_MS;
  if (alreadySent) return;
  const stored = await addMessage(deps.db, { conversationId, type: 'AI', text: away });
  if (stored) deps.events.publish(userId, messageEvent(conversationId, stored));
}
