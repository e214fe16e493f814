import { z } from 'zod';

/** `GET /ws/`: the token may come in the query, because browsers cannot set headers on a WebSocket. */
export const websocketQuery = z.object({
  token: z.string().optional().describe('An API token; `Authorization: Bearer <token>` works too.'),
});

/** What a client may send: only an application-level ping, for clients that cannot see protocol pings. */
export const clientMessage = z.object({ type: z.literal('ping') });

export const WEBSOCKET_DESCRIPTION = [
  'Upgrades to a WebSocket carrying this business\'s live events as JSON text frames `{"type", "data"}`:',
  '`message.created` (`{conversation_id, message}`, the message with its `seq`: give the highest seen to',
  '`GET /api/v1/conversations/sync/?after_seq=` after reconnecting), `message.delivery_changed`',
  '(`{conversation_id, message_id, delivery_status, delivery_error}`, a reply on a channel sent or failed),',
  '`conversation.created`, `conversation.status_changed`, `ai.reply.started`,',
  '`ai.reply.delta` (`{conversation_id, text}`, a piece of the answer being written), `ai.reply.completed`',
  '(`{conversation_id, message}`, the stored answer), `ai.reply.failed` (`{conversation_id, reason}`) and',
  '`customer.typing` and `agent.typing` (`{conversation_id, typing}`, a website visitor or an agent typing or stopping).',
  'The first frame is `{"type": "hello", "data": {"username", "heartbeat_seconds"}}`: from then on nothing is missed.',
  'The server pings every `heartbeat_seconds` and drops a connection that did not answer the previous ping;',
  'a client may also send `{"type": "ping"}` and gets `{"type": "pong"}`.',
  'A missing or bad token is refused with 401 before the upgrade; a browser `Origin` that is neither this',
  "server's nor one of CORS_ORIGINS with 403; a plain GET without the upgrade with 426.",
  'When the token is revoked or expires the socket closes with 4001 (`token revoked`, `token expired`): sign in again.',
  "Without a token the dashboard's `parley_session` cookie is taken, from this server's own pages only (else 403",
  '`csrf_failed`); signing out, or the session ending, closes the socket with 4001 (`signed out`).',
  'Past a limit of this server the socket is accepted and closed at once with 1008, the reason naming the limit',
  '(`too many connections for this business`, `… for this token`, `… to this server`); a client sending more than',
  'PARLEY_WS_MESSAGES_PER_SECOND messages a second is closed with 1008 `too many messages`.',
].join(' ');
