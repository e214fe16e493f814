import { preparedPerDatabase } from '../db/built-once.js';
import type { StoredMessage } from './stored-message.js';

/**
 * A conversation's newest messages as this process last stored or read them, so that the
 * statement storing a customer's next message need not read them again for the reply: in a
 * chat going back and forth, the history is what this process wrote itself a moment ago.
 *
 * The database decides whether it still holds: the statement compares the conversation's
 * `message_count` with the count remembered here and reads the history only when they differ.
 * Every message goes in with its conversation's count moved in the same statement
 * (`touchConversation`), and a conversation's messages are only ever deleted with it, so a
 * message stored anywhere else (another process, a person's reply, a system note) shows as a
 * count this cache does not know, and the history is read afresh.
 *
 * Kept per database handle, and only for statements run on it directly: a transaction's insert
 * could still roll back, and is never remembered.
 */

/** Messages kept per conversation: a reply's history (`HISTORY_LIMIT`) with some room. */
const KEPT_MESSAGES = 64;
/** Conversations remembered, the least recently used forgotten first. */
const MAX_CONVERSATIONS = 500;
/** Characters of message text remembered in all, so long messages cannot grow the cache past ~2 MB. */
const MAX_CHARACTERS = 1_000_000;

interface Remembered {
  customer: string;
  conversationId: string;
  /** The conversation's `message_count` that `messages` goes with. */
  messageCount: number;
  /** Its newest messages, oldest first: all of them when fewer than `KEPT_MESSAGES`. */
  messages: readonly StoredMessage[];
  characters: number;
}

/** What a statement passes to the database to check the remembered history against. */
export interface KnownHistory {
  conversationId: string;
  messageCount: number;
  /** The newest `limit` messages asked for (a copy), to use when the database confirms them. */
  messages: StoredMessage[];
}

export class RecentHistory {
  private readonly byCustomer = new Map<string, Remembered>();
  private readonly byConversation = new Map<string, Remembered>();
  private characters = 0;

  /** What is remembered for the customer's conversation, when it covers the newest `limit` messages. */
  known(customer: string, limit: number): KnownHistory | undefined {
    const entry = this.byCustomer.get(customer);
    if (!entry) return undefined;
    const { messages, messageCount, conversationId } = entry;
    // Fewer than asked for is the whole history only when the conversation holds no more.
    if (messages.length < limit && messages.length !== messageCount) return undefined;
    this.touch(customer, entry);
    return { conversationId, messageCount, messages: messages.slice(Math.max(0, messages.length - limit)) };
  }

  /** The conversation held `messageCount` messages, the newest of which are `messages` (oldest first). */
  remember(customer: string, conversationId: string, messageCount: number, messages: readonly StoredMessage[]): void {
    this.forget(customer);
    const kept = messages.slice(-KEPT_MESSAGES);
    const entry = { customer, conversationId, messageCount, messages: kept, characters: charactersOf(kept) };
    this.byCustomer.set(customer, entry);
    this.byConversation.set(conversationId, entry);
    this.characters += entry.characters;
    this.evict();
  }

  /**
   * A message was stored in the conversation, which now holds `messageCount` messages: it joins
   * the remembered history if that held all the others, and the history is forgotten otherwise.
   */
  added(conversationId: string, message: StoredMessage, messageCount: number): void {
    const entry = this.byConversation.get(conversationId);
    if (!entry) return;
    if (entry.messageCount !== messageCount - 1) {
      this.forget(entry.customer);
      return;
    }
    // In seq order: two messages stored at once may take their seqs in one order and their counts in the other.
    const messages = [...entry.messages, message].sort((a, b) => a.seq - b.seq);
    this.remember(entry.customer, conversationId, messageCount, messages);
  }

  get size(): number {
    return this.byCustomer.size;
  }

  private touch(customer: string, entry: Remembered): void {
    this.byCustomer.delete(customer);
    this.byCustomer.set(customer, entry);
  }

  private forget(customer: string): void {
    const entry = this.byCustomer.get(customer);
    if (!entry) return;
    this.byCustomer.delete(customer);
    this.byConversation.delete(entry.conversationId);
    this.characters -= entry.characters;
  }

  private evict(): void {
    // The least recently used first: a Map keeps the order entries were (re)set in.
    for (const customer of this.byCustomer.keys()) {
      if (this.byCustomer.size <= MAX_CONVERSATIONS && this.characters <= MAX_CHARACTERS) return;
      this.forget(customer);
    }
  }
}

function charactersOf(messages: readonly StoredMessage[]): number {
  return messages.reduce((sum, message) => sum + message.text.length, 0);
}

/**
 * The cache of the database handle `db`. A transaction's handle is another object with a cache
 * of its own, gone with it: what it writes never reaches the handle's, since it may roll back.
 */
export const recentHistoryOf = preparedPerDatabase(() => new RecentHistory());
