import { NotFoundError } from '../kernel/errors.js';
import type { Database } from '../db/client.js';
import type { EventBus } from '../events/events.js';
import { messageEvent, statusEvent } from './conversation-events.js';
import { lockOwnConversation, setStatus } from './conversations.repo.js';
import { addMessage, type Conversation, type StoredMessage } from './conversations.service.js';
import { recordHandover } from './handover.repo.js';

/**
 * An agent's reply. In a conversation the AI is answering, it takes the
 * conversation over first (same transaction), unless `keepAi` asks to leave
 * the AI on.
 */
export async function agentReply(
  db: Database,
  events: EventBus,
  userId: string,
  conversationId: string,
  text: string,
  keepAi: boolean,
): Promise<{ message: StoredMessage; conversation: Conversation }> {
  const result = await db.transaction(async (tx) => {
    const locked = await lockOwnConversation(tx, userId, conversationId);
    if (!locked) throw new NotFoundError('No such conversation.');
    let conversation = locked;
    let version: number | undefined;
    if (locked.status === 'active' && !keepAi) {
      version = await setStatus(tx, conversationId, 'support_active');
      await recordHandover(tx, locked, { source: 'agent', reason: 'agent_takeover' });
      conversation = { ...locked, status: 'support_active', ownershipVersion: version };
    }
    const message = await addMessage(tx, { conversationId, type: 'support', text });
    if (!message) throw new Error('agent reply was not stored');
    return { message, conversation, tookOver: version !== undefined };
  });
  if (result.tookOver) {
    events.publish(
      userId,
      statusEvent(conversationId, 'support_active', 'active', 'agent_takeover', result.conversation.ownershipVersion),
    );
  }
  events.publish(userId, messageEvent(conversationId, result.message));
  return {
    message: result.message,
    conversation: { ...result.conversation, messageCount: result.conversation.messageCount + 1 },
  };
}
