import type { Config } from '../app/config.js';
import { NotFoundError } from '../app/errors.js';
import type { AuthUser } from '../auth/auth.service.js';
import {
  addMessage,
  findOrCreateConversation,
  getOwnConversation,
  initialStatus,
  recentMessages,
  setConversationStatus,
  type Conversation,
  type StoredMessage,
} from '../conversations/conversations.service.js';
import type { Database } from '../db/client.js';
import { recordUsage } from '../usage/usage.service.js';
import { getAiSettings, type AiSettings } from './ai-settings.js';
import { isOpen } from './business-hours.js';
import { buildContents } from './context.js';
import { ModelError, NO_USAGE, type ModelProvider, type ModelResult } from './model-provider.js';
import { buildSystemInstruction } from './prompt.js';

export interface ReplyDeps {
  db: Database;
  config: Config;
  /** Undefined when no global key is configured: the AI is unavailable to everyone. */
  model: ModelProvider | undefined;
  now?: () => Date;
}

/** Why no AI answer was generated, the first that applies (contract §5). */
export type NoAnswerReason =
  'ai_disabled' | 'manual_handling' | 'outside_business_hours' | 'quota_exceeded' | 'safety_blocked' | 'ai_unavailable';

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

/** Messages of history read for the context window; the token budget trims further. */
const HISTORY_LIMIT = 60;
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
  const { conversation } = await findOrCreateConversation(deps.db, {
    userId: user.id,
    channel: 'api',
    customerId: input.customerId,
    status: initialStatus(user.defaultReplyHandler, settings.autoResponseEnabled, Boolean(deps.model)),
  });
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
  // Stored before anything else can fail: a customer's message is never lost.
  const question = await addMessage(db, { conversationId: conversation.id, type: 'customer', text });
  if (!question) throw new Error('customer message was not stored');
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

  if (!settings.autoResponseEnabled || !deps.model) return noAnswer('ai_disabled');
  if (conversation.status === 'support_active') return noAnswer('manual_handling');
  if (settings.businessHoursEnabled && settings.businessHours && !isOpen(settings.businessHours, now)) {
    const away = settings.awayMessage?.trim() || null;
    if (away) await sendAwayMessageOnce(db, conversation.id, away, now);
    return noAnswer('outside_business_hours', away);
  }

  const history = await recentMessages(db, conversation.id, HISTORY_LIMIT);
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
  };
  const callStarted = performance.now();
  const usageBase = { userId: user.id, conversationId: conversation.id, model: settings.modelName };
  let result: ModelResult;
  try {
    result = await deps.model.generate(request);
  } catch (error) {
    if (!(error instanceof ModelError)) throw error;
    await Promise.all([
      recordUsage(db, deps.config.modelPrices, {
        ...usageBase,
        outcome: 'error',
        errorClass: error.errorClass,
        attempts: error.attempts,
        usage: NO_USAGE,
        latencyMs: performance.now() - callStarted,
      }),
      handToPeople(db, conversation, `the AI could not answer (${error.errorClass})`),
    ]);
    return noAnswer('ai_unavailable', null, false);
  }
  const usage = {
    ...usageBase,
    attempts: result.attempts,
    usage: result.usage,
    latencyMs: performance.now() - callStarted,
  };

  const answerText = result.kind === 'text' ? finishedText(result.text, result.truncated) : usableText(result);
  if (answerText === undefined) {
    const blockReason = result.kind === 'blocked' ? result.reason : undefined;
    const why = blockReason ? `the AI declined to answer (${blockReason})` : 'the AI gave no answer';
    await Promise.all([
      recordUsage(db, deps.config.modelPrices, {
        ...usage,
        outcome: blockReason ? 'blocked' : 'empty',
        errorClass: blockReason ?? (result.kind === 'empty' ? result.finishReason : result.kind),
      }),
      handToPeople(db, conversation, why),
    ]);
    return blockReason ? noAnswer('safety_blocked') : noAnswer('ai_unavailable', null, false);
  }

  const responseTimeMs = elapsed();
  const [answer] = await Promise.all([
    addMessage(db, { conversationId: conversation.id, type: 'AI', text: answerText, responseTimeMs }),
    recordUsage(db, deps.config.modelPrices, { ...usage, outcome: 'success' }),
  ]);
  return {
    conversation,
    question,
    answer: answer?.text ?? answerText,
    autoResponseGenerated: true,
    success: true,
    responseTimeMs,
  };
}

/** Text from a function call's companion text; no tools are declared yet, so a bare call has none. */
function usableText(result: ModelResult): string | undefined {
  if (result.kind === 'function_call' && result.text.trim()) return result.text.trim();
  return undefined;
}

/** A reply cut off by the token limit ends at its last full sentence, when that keeps most of it. */
export function finishedText(text: string, truncated: boolean): string {
  if (!truncated) return text;
  const lastEnd = Math.max(...['. ', '! ', '? ', '.\n', '!\n', '?\n'].map((mark) => text.lastIndexOf(mark)));
  if (lastEnd >= text.length / 2) return text.slice(0, lastEnd + 1);
  return `${text.trimEnd()}…`;
}

/** The AI stops answering this conversation; people take it from here. */
async function handToPeople(db: Database, conversation: Conversation, why: string): Promise<void> {
  await setConversationStatus(db, conversation.id, 'support_active');
  await addMessage(db, { conversationId: conversation.id, type: 'system', text: `Handed to people: ${why}.` });
}

async function sendAwayMessageOnce(db: Database, conversationId: string, away: string, now: Date): Promise<void> {
  const recent = await recentMessages(db, conversationId, 10);
  const lastReply = [...recent].reverse().find((message) => message.type === 'AI' || message.type === 'support');
  const alreadySent =
    lastReply?.type === 'AI' &&
    lastReply.text === away &&
    now.getTime() - lastReply.createdAt.getTime() < AWAY_MESSAGE_REPEAT_MS;
  if (!alreadySent) await addMessage(db, { conversationId, type: 'AI', text: away });
}
