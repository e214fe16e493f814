/**
 * A session is the AI's view of a conversation (contract §5): its id is the
 * conversation's with `msg_` in front. `ask` hands out session ids and the
 * message system conversation ids, so every route that names a conversation
 * takes either, read here.
 */
const SESSION_PREFIX = 'msg_';

export function sessionId(conversationId: string): string {
  return `${SESSION_PREFIX}${conversationId}`;
}

/** The conversation a session id names; undefined for anything that is not a session id. */
export function conversationIdFromSession(session: string): string | undefined {
  return session.startsWith(SESSION_PREFIX) ? session.slice(SESSION_PREFIX.length) : undefined;
}

/**
 * The conversation id a client's reference names, whether it gave the id or
 * the session id; undefined for a bare `msg_`. Conversation ids are base62, so
 * none starts with `msg_` and the two cannot be confused.
 */
export function conversationIdOf(ref: string): string | undefined {
  const id = conversationIdFromSession(ref) ?? ref;
  return id === '' ? undefined : id;
}
