import type { Conversation } from '../conversations/conversations.service.js';
import type { ModelRequest } from '../model/model-provider.js';
import { reserveTokens, type Reservation } from '../usage/quota-reservations.js';
import type { AiSettings } from './ai-settings.js';
import { estimateTokens } from './context.js';
import { firstLimitNotice, takeCustomerReply, type CountedReply } from './customer-limit.js';
import type { ReplyDeps } from './reply-deps.js';

/** Whether a model call may start; when not, why, and what the customer is told (if anything). */
export type Admission =
  | {
      admitted: true;
      reservation: Reservation;
      /** The call counted against the customer's hour (none for "Try it"), to give back if it is tried again later. */
      counted: CountedReply | undefined;
    }
  | { admitted: false; reason: 'customer_rate_limited' | 'quota_exceeded'; customerMessage: string | null };

/** The most a call can use: its prompt, estimated as the prompts screen does, and every output token it may write. */
export function worstCaseTokens(request: ModelRequest): number {
  const prompt = [request.systemInstruction, ...request.contents.map((turn) => turn.text)];
  return prompt.reduce((sum, text) => sum + estimateTokens(text), 0) + request.maxOutputTokens;
}

/**
 * The shared key's limits on one call, cheapest first: the customer's replies
 * this hour, then the business's caps, against which the call's worst case is
 * reserved until `release`. The owner's "Try it" is no customer's.
 */
export async function admitModelCall(
  deps: ReplyDeps,
  conversation: Conversation,
  settings: AiSettings,
  request: ModelRequest,
  now: Date,
): Promise<Admission> {
  let counted: CountedReply | undefined;
  if (!conversation.isTest) {
    counted = await takeCustomerReply(deps.cache, conversation, deps.config.customerRepliesPerHour);
    if (!counted) {
      const message = settings.customerLimitMessage?.trim() || null;
      const say = message !== null && (await firstLimitNotice(deps.cache, conversation));
      return { admitted: false, reason: 'customer_rate_limited', customerMessage: say ? message : null };
    }
  }
  let reservation: Reservation | undefined;
  try {
    reservation = await reserveTokens(
      deps,
      conversation.userId,
      worstCaseTokens(request),
      deps.config.gemini.deadlineMs,
      now,
    );
  } catch (error) {
    // The reply job tries again, and counts again: this try made no call.
    await giveBackQuietly(counted);
    throw error;
  }
  if (!reservation) {
    // No call after all: it does not count against the customer's hour.
    await counted?.giveBack();
    return { admitted: false, reason: 'quota_exceeded', customerMessage: settings.handoverMessage };
  }
  return { admitted: true, reservation, counted };
}

/** Gives a customer's counted reply back, without hiding the failure that made the call not count. */
export async function giveBackQuietly(counted: CountedReply | undefined): Promise<void> {
  await counted?.giveBack().catch(() => undefined);
}
