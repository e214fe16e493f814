import {
  addMessage,
  markSkipped,
  type Conversation,
  type InsertedMessage,
  type StoredMessage,
} from '../conversations/conversations.service.js';
import { messageEvent } from '../conversations/conversation-events.js';
import { handOver, type Handover } from '../conversations/handover.js';
import { fairShareWeight } from '../usage/quota.service.js';
import { recordUsage, usageInsert } from '../usage/usage.service.js';
import {
  ModelError,
  NO_USAGE,
  type ModelProvider,
  type ModelRequest,
  type ModelResult,
} from '../model/model-provider.js';
import { outputLimitWithThinking } from '../model/thinking.js';
import { isSuspended, modelInUse, thinkingBudgetInUse, type AiSettings } from './ai-settings.js';
import { answerStoredOutcome } from './ai.repo.js';
import { aiAvailability, closedAt } from './availability.js';
import { admitModelCall, giveBackQuietly } from './call-admission.js';
import { buildContents } from './context.js';
import { HANDOVER_TOOL, handoverNote, handoverReason } from './handover-tool.js';
import { cachedPromptFor, withCachedPrompt } from './explicit-cache.js';
import { localTimeLine, stablePrefix } from './prompt.js';
import type { NoAnswerReason, ReplyDeps } from './reply-deps.js';

/** Messages of history read for the context window; the token budget trims further. */
export const HISTORY_LIMIT = 60;

/**
 * Why the AI will not answer this conversation now, if it will not. The
 * owner's test conversation ("Try it") is answered whatever the business's
 * switches say, so prompts can be tried before customers get them: only a
 * missing key, or a handover inside the test, stops it.
 */
export function whyNoAi(
  deps: ReplyDeps,
  conversation: Conversation,
  settings: AiSettings,
  now: Date,
): NoAnswerReason | undefined {
  if (conversation.isTest) {
    if (!deps.config.gemini.apiKey) return 'no_api_key';
    // Not even "Try it" runs on the operator's key while the operator has suspended the business.
    if (settings.suspended) return 'suspended';
    return conversation.status === 'support_active' ? 'manual_handling' : undefined;
  }
  const unavailable = aiAvailability(deps.config, settings);
  if (unavailable) return unavailable;
  if (conversation.status === 'support_active') return 'manual_handling';
  if (closedAt(settings, now)) return 'outside_business_hours';
  return undefined;
}

export interface GeneratedAnswer {
  conversation: Conversation;
  answer: string | null;
  /** The stored AI message, when one was stored; `claimed` as `claimForMs` asked. */
  message?: InsertedMessage;
  autoResponseGenerated: boolean;
  reason?: NoAnswerReason;
  success: boolean;
  responseTimeMs: number;
}

export interface AnswerOptions {
  userId: string;
  conversation: Conversation;
  settings: AiSettings;
  /** The conversation so far, its latest customer messages last. */
  history: StoredMessage[];
  now: Date;
  /** `performance.now()` when handling the customer's message began: response times count from it. */
  startedAt: number;
  /** For a channel reply: the seq of the newest customer message this answer answers. */
  answers?: number;
  /**
   * Whether the operator has suspended the business, read in the statement that read `history`
   * (just before this call, so as fresh); read here when not given.
   */
  suspended?: boolean | undefined;
  /** For a channel reply its job sends at once: the answer is stored claimed for sending this long. */
  claimForMs?: number | undefined;
}

/**
 * Calls the model for a conversation whose latest customer messages are at
 * the end of `history`, and stores its answer under the ownership check (and,
 * with `answers`, only if nothing answered that far yet). Failures, blocks and
 * the model's own handovers go to people.
 */
export async function generateAnswer(deps: ReplyDeps, options: AnswerOptions): Promise<GeneratedAnswer> {
  const { userId, conversation, settings, history, now } = options;
  const { db, model } = deps;
  const ending = endings(deps, options);
  if (!model) return ending.noAnswer('no_api_key');
  // Settings are cached; suspension is read fresh so that a reply already queued, or one begun
  // just before `ai_control suspend` in another process, does not reach the model.
  if (options.suspended ?? (await isSuspended(db, userId))) return ending.stopBeforeModel('suspended');
  const { prompt, request } = await modelRequestFor(deps, userId, settings, history, now);
  // Over its customer's share or its caps on the shared key, the conversation goes to people instead.
  const admission = await admitModelCall(deps, conversation, settings, request, now);
  if (!admission.admitted) {
    const { reason, customerMessage } = admission;
    const stopped = await ending.stopBeforeModel(reason, customerMessage);
    // `ask` answers with what the customer was told, as the conversation shows it.
    return reason === 'customer_rate_limited' ? { ...stopped, answer: customerMessage } : stopped;
  }
  try {
    return await callModel(deps, model, options, request, prompt, ending);
  } catch (error) {
    // Thrown, the reply is tried again later (or the `ask` failed): it is counted again when it is
    // made, so the customer's hour does not lose a reply per try while the model is down.
    await giveBackQuietly(admission.counted);
    throw error;
  } finally {
    // The call's usage is stored by now, whichever way it ended: its worst case stops counting.
    await admission.reservation.release();
  }
}

/** The call an answer makes: the business's prompt and clock, the conversation's turns, its limits. */
export async function modelRequestFor(
  deps: Pick<ReplyDeps, 'db' | 'config'>,
  userId: string,
  settings: AiSettings,
  history: StoredMessage[],
  now: Date,
): Promise<{ prompt: { instruction: string; clock: string }; request: ModelRequest }> {
  const thinkingBudget = thinkingBudgetInUse(deps.config, settings);
  const prompt = {
    instruction: stablePrefix(settings.prompts),
    clock: localTimeLine(settings.businessHours?.timezone ?? deps.config.timezone, now),
  };
  const request: ModelRequest = {
    model: modelInUse(deps.config, settings),
    systemInstruction: `${prompt.instruction}\n\n${prompt.clock}`,
    contents: buildContents(history),
    temperature: settings.temperature,
    maxOutputTokens: outputLimitWithThinking(settings.maxTokens, thinkingBudget),
    thinkingBudget,
    tools: [HANDOVER_TOOL],
    // Cached with the caps: no further query.
    business: { id: userId, weight: await fairShareWeight(deps.db, userId) },
  };
  return { prompt, request };
}

/** The ways an answer ends without one, shared by the checks before the call and the call itself. */
function endings(deps: ReplyDeps, options: AnswerOptions) {
  const { userId, conversation, settings, history, startedAt, answers } = options;
  const elapsed = () => Math.round(performance.now() - startedAt);
  const noAnswer = (reason: NoAnswerReason, answer: string | null = null, success = true): GeneratedAnswer => ({
    conversation,
    answer,
    autoResponseGenerated: false,
    reason,
    success,
    responseTimeMs: elapsed(),
  });
  const handToPeople = (handover: Handover) =>
    handOver(deps.db, deps.events, conversation, { customerMessage: settings.handoverMessage, ...handover });
  const replyFailed = (reason: string) =>
    deps.events.publish(userId, { type: 'ai.reply.failed', data: { conversation_id: conversation.id, reason } });
  /** The customer messages this answer is for: an `ask`'s own question, or a channel reply's whole burst. */
  const unanswered = history.filter(
    (message) =>
      message.type === 'customer' && (answers === undefined || message.seq > conversation.answeredThroughSeq),
  );
  return {
    elapsed,
    noAnswer,
    handToPeople,
    replyFailed,
    unanswered,
    /**
     * Stopped before the model: the messages go to people (the customer told `customerMessage`,
     * by default the handover message), and the reason is kept for the count of calls avoided.
     */
    async stopBeforeModel(reason: NoAnswerReason, customerMessage: string | null = settings.handoverMessage) {
      const through = answers ?? unanswered.at(-1)?.seq ?? 0;
      // An `ask` stops only its own question; a channel reply the whole burst.
      const after = answers === undefined ? through - 1 : conversation.answeredThroughSeq;
      await Promise.all([
        handToPeople({ source: 'system', reason, customerMessage }),
        markSkipped(deps.db, conversation.id, { after, through, reason, answered: false }),
      ]);
      replyFailed(reason);
      return noAnswer(reason);
    },
  };
}

/** Calls the model once admitted, and stores its answer or hands the conversation to people. */
async function callModel(
  deps: ReplyDeps,
  model: ModelProvider,
  options: AnswerOptions,
  request: ModelRequest,
  { instruction, clock }: { instruction: string; clock: string },
  { elapsed, noAnswer, handToPeople, replyFailed, unanswered }: ReturnType<typeof endings>,
): Promise<GeneratedAnswer> {
  const { userId, conversation, settings, answers } = options;
  const { db } = deps;
  deps.events.publish(userId, { type: 'ai.reply.started', data: { conversation_id: conversation.id } });
  const callStarted = performance.now();
  const usageBase = { userId, conversationId: conversation.id, model: request.model };
  let result: ModelResult;
  try {
    // Watchers see the answer as it is written (it is stored, or discarded, only once complete);
    // with nobody watching, the whole answer at once costs the model client much less.
    const live = deps.watchers ? await deps.watchers.isWatched(userId) : true;
    const cacheDeps = { config: deps.config, model, cache: deps.cache };
    const entry = await cachedPromptFor(cacheDeps, {
      userId,
      model: request.model,
      instruction,
      tools: [HANDOVER_TOOL],
    });
    result = await withCachedPrompt(cacheDeps, entry, (cached) => {
      // With an entry, only the clock is sent; it opens the conversation instead of ending the instruction.
      const call = cached ? { ...request, cachedContent: cached.name, systemInstruction: clock } : request;
      return live
        ? model.stream(call, (text) =>
            deps.events.publish(userId, { type: 'ai.reply.delta', data: { conversation_id: conversation.id, text } }),
          )
        : model.generate(call);
    });
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
    ...(options.claimForMs === undefined ? {} : { claimForMs: options.claimForMs }),
    // An `ask` answers its own question; a channel reply answers every message of the burst.
    answeredCount: answers === undefined ? 1 : unanswered.length,
    // The call's usage goes in with the answer; when the answer was not stored it was discarded.
    also: usageInsert(deps.config.modelPrices, usage, answerStoredOutcome),
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

/** A reply cut off by the token limit ends at its last full sentence, when that keeps most of it. */
export function finishedText(text: string, truncated: boolean): string {
  if (!truncated) return text;
  const lastEnd = Math.max(...['. ', '! ', '? ', '.\n', '!\n', '?\n'].map((mark) => text.lastIndexOf(mark)));
  if (lastEnd >= text.length / 2) return text.slice(0, lastEnd + 1);
  return `${text.trimEnd()}…`;
}
