import { NotFoundError } from '../kernel/errors.js';
import { randomId } from '../kernel/ids.js';
import type { Database } from '../db/client.js';
import type { Channel, ConversationStatus, ReplyHandler } from '../db/schema/index.js';
import * as repo from './conversations.repo.js';
import type { Conversation } from './conversations.repo.js';
import { insertCustomerMessage, type ReadAlongside, type SkipRule } from './customer-messages.repo.js';
import { insertMessage, type InsertedMessage, type NewMessage, type StoredMessage } from './messages.repo.js';
import { deleteTestConversation, findTestConversation, insertTestConversation } from './try-it.repo.js';

export type { Conversation } from './conversations.repo.js';
export type { SkipRule } from './customer-messages.repo.js';
export type { InsertedMessage, NewMessage, StoredMessage } from './messages.repo.js';
export { recentMessages } from './messages.repo.js';
export { customerKey } from './customer-key.js';
export {
  deactivateIdleConversations,
  endWaitForAi,
  findWithOwnerAndChannel,
  markSkipped,
} from './conversations.repo.js';

export const CONVERSATION_ID_LENGTH = 12;
export { conversationIdFromSession, sessionId } from './session-id.js';

/**
 * The seed's status rule: a new conversation is answered by the AI only when
 * the owner's default handler is AI and the AI is available to the business
 * (auto-response on, the shared key configured); otherwise people answer it.
 * When only the AI's unavailability sends it to people, it waits for the AI:
 * it goes back once the AI can answer, unless a person touches it first.
 */
export function openingStatus(
  defaultHandler: ReplyHandler,
  aiAvailable: boolean,
): { status: ConversationStatus; waitingForAi: boolean } {
  if (defaultHandler !== 'AI') return { status: 'support_active', waitingForAi: false };
  return aiAvailable ? { status: 'active', waitingForAi: false } : { status: 'support_active', waitingForAi: true };
}

/** A customer, and how their conversation opens if it is their first message. */
type ConversationOpening = repo.CustomerKey & {
  status: ConversationStatus;
  waitingForAi?: boolean;
  channelId?: string | null;
  customerName?: string | null;
};

/**
 * Most messages come from customers already known, so look first (one round
 * trip) and insert only on a miss; a concurrent first message is settled by
 * the unique index.
 */
export async function findOrCreateConversation(
  db: Database,
  input: ConversationOpening,
): Promise<{ conversation: Conversation; created: boolean }> {
  const known = await repo.findConversation(db, input);
  if (known) return { conversation: known, created: false };
  return createConversation(db, input);
}

/** Opens the customer's conversation, found a moment ago not to exist; or the one a concurrent first message opened. */
async function createConversation(
  db: Database,
  input: ConversationOpening,
): Promise<{ conversation: Conversation; created: boolean }> {
  const created = await repo.insertConversation(db, {
    id: randomId(CONVERSATION_ID_LENGTH),
    userId: input.userId,
    channel: input.channel,
    customerId: input.customerId,
    status: input.status,
    waitingForAi: input.waitingForAi ?? false,
    channelId: input.channelId ?? null,
    customerName: input.customerName ?? null,
  });
  if (created) return { conversation: created, created: true };
  const existing = await repo.findConversation(db, input);
  // Stryker disable next-line ConditionalExpression: unreachable while the unique index holds the winner's row
  if (!existing) throw new Error('conversation vanished between insert and select');
  return { conversation: existing, created: false };
}

/**
 * Stores a customer's message from a channel in their conversation, which their first message
 * opens with `opening`'s status. A known customer's message is one round trip: the conversation
 * is read (as it was before this message) by the statement that stores it. `rule` says from that
 * row why the model will not see the message. No `message`: it was stored before (same channel id).
 */
export async function addCustomerMessage(
  db: Database,
  input: {
    userId: string;
    channel: Channel;
    channelId: string;
    customerId: string;
    customerName: string | null;
    opening: { status: ConversationStatus; waitingForAi: boolean };
    text: string;
    channelMessageId: string;
    rule: SkipRule;
    /** Read in the same statement: the messages before this one, and `alongside`. */
    reading?: ReadAlongside;
  },
): Promise<{
  conversation: Conversation;
  created: boolean;
  message: StoredMessage | undefined;
  /** With `reading`: the messages before this one, and what `alongside` read. */
  history: StoredMessage[];
  alongside: unknown;
}> {
  const key = { userId: input.userId, channel: input.channel, customerId: input.customerId };
  const message = { text: input.text, channelMessageId: input.channelMessageId };
  const known = await insertCustomerMessage(db, key, message, input.rule, input.reading);
  if (known) return { ...known, created: false };
  // The statement just found no conversation: no second look before opening one.
  const { conversation, created } = await createConversation(db, {
    ...key,
    ...input.opening,
    channelId: input.channelId,
    customerName: input.customerName,
  });
  const stored = await insertCustomerMessage(db, key, message, input.rule, input.reading);
  return {
    conversation,
    created,
    message: stored?.message,
    history: stored?.history ?? [],
    alongside: stored?.alongside ?? null,
  };
}

/**
 * The business's test conversation ("Try it"), created on first use. It starts
 * with the AI whatever the business's switches say, so the owner can try the
 * prompts before customers get them. Its customer id is random, so no real
 * customer on the API channel can land in it.
 */
export async function openTestConversation(db: Database, userId: string): Promise<Conversation> {
  const known = await findTestConversation(db, userId);
  if (known) return known;
  const created = await insertTestConversation(db, {
    id: randomId(CONVERSATION_ID_LENGTH),
    userId,
    customerId: `try-it-${randomId(8)}`,
    customerName: 'You (Try it)',
  });
  if (created) return created;
  const existing = await findTestConversation(db, userId);
  if (!existing) throw new Error('test conversation vanished between insert and select');
  return existing;
}

export { deleteTestConversation, findTestConversation };

/** Another business's conversation is as absent as a missing one. */
export async function getOwnConversation(
  db: Database,
  userId: string,
  conversationId: string,
): Promise<Conversation | undefined> {
  return repo.findOwnConversation(db, userId, conversationId);
}

/** The business's conversation, or 404 (another business's included). */
export async function requireOwnConversation(
  db: Database,
  userId: string,
  conversationId: string,
): Promise<Conversation> {
  const conversation = await getOwnConversation(db, userId, conversationId);
  if (!conversation) throw new NotFoundError('No such conversation.');
  return conversation;
}

/**
 * Stores a message and moves the conversation's counters in one round trip.
 * A message already stored under the same channel id returns undefined.
 */
export async function addMessage(db: Database, input: NewMessage): Promise<InsertedMessage | undefined> {
  return (await insertMessage(db, input, 0)).message;
}

/**
 * Stores a customer's message and reads the `historyLimit` messages before it
 * in the same round trip (oldest first), for the model's context.
 */
export async function addMessageWithHistory(
  db: Database,
  input: NewMessage,
  historyLimit: number,
): Promise<{ message: InsertedMessage | undefined; history: StoredMessage[]; alongside: unknown }> {
  return insertMessage(db, input, historyLimit);
}
