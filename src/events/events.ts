import type { ConversationStatus, MessageType } from '../db/schema/index.js';

/**
 * What a business's people see happen live (contract §7). Domain code
 * publishes; the WebSocket layer delivers each event to its business only.
 */
export interface MessageEventData {
  conversation_id: string;
  message: {
    id: string;
    /** The message's place in the global order: what a dashboard gives `sync/?after_seq=` after reconnecting. */
    seq: number;
    type: MessageType;
    text: string;
    created_at: string;
    response_time_ms: number | null;
  };
}

/** A message to a customer on a channel went out (`sent`) or will not (`failed`, with why). */
export interface DeliveryChangedData {
  conversation_id: string;
  message_id: string;
  delivery_status: 'pending' | 'sent' | 'failed';
  delivery_error: string | null;
}

export interface ConversationEventData {
  conversation_id: string;
  customer_id: string;
  channel: string;
  status: ConversationStatus;
}

export interface StatusChangedData {
  conversation_id: string;
  status: ConversationStatus;
  previous: ConversationStatus;
  /** Why: an agent's takeover, the AI's handover reason, a failure … */
  reason: string;
  ownership_version: number;
}

export interface ReplyFailedData {
  conversation_id: string;
  reason: string;
}

export interface ReplyStartedData {
  conversation_id: string;
}

/** One piece of the answer as the model writes it; the pieces joined are the answer's text so far. */
export interface ReplyDeltaData {
  conversation_id: string;
  text: string;
}

/** A website visitor started or stopped typing. */
export interface CustomerTypingData {
  conversation_id: string;
  typing: boolean;
}

export type ParleyEvent =
  | { type: 'message.created'; data: MessageEventData }
  | { type: 'conversation.created'; data: ConversationEventData }
  | { type: 'conversation.status_changed'; data: StatusChangedData }
  | { type: 'message.delivery_changed'; data: DeliveryChangedData }
  /** The model was called; a `completed` or a `failed` follows. */
  | { type: 'ai.reply.started'; data: ReplyStartedData }
  | { type: 'ai.reply.delta'; data: ReplyDeltaData }
  /** The answer as stored (a `message.created` for it is published too). */
  | { type: 'ai.reply.completed'; data: MessageEventData }
  | { type: 'ai.reply.failed'; data: ReplyFailedData }
  | { type: 'customer.typing'; data: CustomerTypingData };

export type EventListener = (userId: string, event: ParleyEvent) => void;

export interface EventBus {
  publish(userId: string, event: ParleyEvent): void;
  /** Returns the function that unsubscribes. */
  subscribe(listener: EventListener): () => void;
}

/** One process's bus. A listener's failure never reaches the publisher. */
export function createLocalEventBus(onListenerError: (error: unknown) => void = () => {}): EventBus {
  const listeners = new Set<EventListener>();
  return {
    publish(userId, event) {
      for (const listener of listeners) {
        try {
          listener(userId, event);
        } catch (error) {
          onListenerError(error);
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
