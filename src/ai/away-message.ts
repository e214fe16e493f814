import { addMessage, recentMessages } from '../conversations/conversations.service.js';
import { messageEvent } from '../conversations/conversation-events.js';
import type { ReplyDeps } from './reply-deps.js';

/** An away message is not repeated to a customer who writes again within this time. */
const AWAY_MESSAGE_REPEAT_MS = 12 * 60 * 60 * 1000;

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
