import type { WebSocket } from 'ws';
import { z } from 'zod';
import type { ParleyEvent } from '../../events/events.js';
import type { Watchers } from '../../events/watchers.js';
import { messageBudget, parseJson, socketHeartbeat, textOf } from '../../kernel/socket-frames.js';
import * as repo from './widget.repo.js';
import type { Visitor } from './widget.repo.js';
import {
  handling,
  visitorFromToken,
  visitorTyping,
  widgetMessage,
  type Widget,
  type WidgetDeps,
} from './widget.service.js';

const AUTH_WITHIN_MS = 5_000;
const HEARTBEAT_MS = 30_000;
const MAX_SOCKETS_PER_VISITOR = 10;
const MESSAGES_PER_SECOND = 5;
const MAX_BUFFERED_BYTES = 1024 * 1024;
/** No auth frame in time, or a token that names no visitor of this widget. */
const VISITOR_REQUIRED = 4401;
const POLICY_VIOLATION = 1008;

export interface WidgetSocketDeps extends WidgetDeps {
  /** Told that the business is watched while its visitors' sockets are open, so answers stream to them. */
  watchers?: Watchers | undefined;
  heartbeatMs?: number;
}

const clientFrame = z.discriminatedUnion('type', [
  z.object({ type: z.literal('auth'), visitor_token: z.string().min(1).max(200) }),
  z.object({ type: z.literal('typing'), typing: z.boolean() }),
  z.object({ type: z.literal('ping') }),
]);

type Frame = Record<string, unknown> & { type: string };

/**
 * The visitors' sockets on this process, by the customer they are (one visitor's tabs, or
 * every device of a verified user), fed from the event bus, which carries every process's
 * events: an answer written by a worker elsewhere reaches the visitor here. Kept apart from
 * the dashboard's sockets: a visitor hears only their own conversation, and only what a
 * customer may see of it (no internal notes, no other conversation's events).
 */
export function createWidgetSocketHub(deps: WidgetSocketDeps) {
  const customers = new Map<string, Set<WebSocket>>();
  const conversations = new Map<string, string>();
  const owners = new Map<string, number>();
  /** Per customer, so frames keep the order of their events even when one needs a lookup. */
  const queues = new Map<string, Promise<void>>();
  const heartbeatMs = deps.heartbeatMs ?? HEARTBEAT_MS;
  // Only sockets that joined a visitor's room: one still authenticating is closed by its deadline.
  const liveness = socketHeartbeat(heartbeatMs);
  const watch = (ownerId: string) => deps.watchers?.watch(ownerId, heartbeatMs * 2.5).catch(() => undefined);

  const send = (socket: WebSocket, frame: string) => {
    if (socket.readyState !== socket.OPEN) return;
    if (socket.bufferedAmount > MAX_BUFFERED_BYTES) socket.terminate();
    else socket.send(frame);
  };
  const toCustomer = (key: string, frame: () => Promise<Frame | undefined> | Frame | undefined) => {
    const previous = queues.get(key) ?? Promise.resolve();
    const next = previous
      .then(async () => {
        const built = await frame();
        if (!built) return;
        const text = JSON.stringify(built);
        for (const socket of customers.get(key) ?? []) send(socket, text);
      })
      .catch(() => undefined);
    queues.set(key, next);
    void next.then(() => {
      if (queues.get(key) === next) queues.delete(key);
    });
  };

  const framesFor = (event: ParleyEvent): (() => Promise<Frame | undefined> | Frame | undefined) | undefined => {
    switch (event.type) {
      case 'message.created': {
        const { message } = event.data;
        if (message.type === 'system') return undefined;
        return async () => {
          // The visitor's own messages carry their client id, which only the row has.
          const row = message.type === 'customer' ? await repo.findMessage(deps.db, message.id) : undefined;
          return {
            type: 'message',
            message: widgetMessage({
              ...message,
              channelMessageId: row?.channelMessageId ?? null,
              createdAt: new Date(message.created_at),
            }),
          };
        };
      }
      case 'ai.reply.started':
        return () => ({ type: 'typing', who: 'ai', typing: true });
      case 'ai.reply.delta':
        return () => ({ type: 'ai.delta', text: event.data.text });
      case 'ai.reply.completed':
      case 'ai.reply.failed':
        return () => ({ type: 'ai.done' });
      case 'agent.typing':
        return () => ({ type: 'typing', who: 'agent', typing: event.data.typing });
      case 'conversation.status_changed':
        return () => ({ type: 'status', ...handling(event.data.status) });
      default:
        return undefined;
    }
  };

  const unsubscribe = deps.events.subscribe((userId, event) => {
    if (!owners.has(userId)) return;
    if (event.type === 'conversation.created') {
      const key = `${userId}|${event.data.customer_id}`;
      if (event.data.channel === 'website' && customers.has(key)) conversations.set(event.data.conversation_id, key);
      return;
    }
    if (!('conversation_id' in event.data)) return;
    const key = conversations.get(event.data.conversation_id);
    const frame = key && framesFor(event);
    if (key && frame) toCustomer(key, frame);
  });

  const join = (socket: WebSocket, widget: Widget, visitor: Visitor): string | undefined => {
    const key = `${widget.owner.id}|${visitor.customerId}`;
    const sockets = customers.get(key) ?? new Set<WebSocket>();
    if (sockets.size >= MAX_SOCKETS_PER_VISITOR) return undefined;
    sockets.add(socket);
    customers.set(key, sockets);
    owners.set(widget.owner.id, (owners.get(widget.owner.id) ?? 0) + 1);
    socket.once('close', () => {
      sockets.delete(socket);
      const left = (owners.get(widget.owner.id) ?? 1) - 1;
      if (left > 0) owners.set(widget.owner.id, left);
      else owners.delete(widget.owner.id);
      if (sockets.size > 0) return;
      customers.delete(key);
      for (const [conversationId, of] of conversations) if (of === key) conversations.delete(conversationId);
    });
    return key;
  };

  /** One socket's life: the auth frame, `ready`, then pings and typing. */
  const accept = (socket: WebSocket, widget: Widget) => {
    let visitor: Visitor | undefined;
    let authenticating = false;
    const withinBudget = messageBudget(MESSAGES_PER_SECOND);
    const deadline = setTimeout(() => socket.close(VISITOR_REQUIRED, 'visitor_required'), AUTH_WITHIN_MS);
    deadline.unref();
    socket.on('close', () => clearTimeout(deadline));
    socket.on('message', (data, isBinary) => {
      if (!withinBudget()) {
        socket.close(POLICY_VIOLATION, 'too many messages');
        return;
      }
      const parsed = isBinary ? undefined : clientFrame.safeParse(parseJson(textOf(data)));
      const frame = parsed?.success ? parsed.data : undefined;
      if (!visitor) {
        if (authenticating) return;
        if (frame?.type !== 'auth') {
          socket.close(VISITOR_REQUIRED, 'visitor_required');
          return;
        }
        authenticating = true;
        void authenticate(socket, widget, frame.visitor_token).then((found) => {
          clearTimeout(deadline);
          visitor = found;
        });
        return;
      }
      if (frame?.type === 'ping') send(socket, JSON.stringify({ type: 'pong' }));
      else if (frame?.type === 'typing') void visitorTyping(deps, widget, visitor, frame.typing).catch(() => undefined);
      else send(socket, JSON.stringify({ type: 'error', code: 'unknown_message' }));
    });
  };

  const authenticate = async (socket: WebSocket, widget: Widget, token: string) => {
    let visitor: Visitor;
    try {
      visitor = await visitorFromToken(deps, widget, token);
    } catch {
      socket.close(VISITOR_REQUIRED, 'visitor_required');
      return undefined;
    }
    if (socket.readyState !== socket.OPEN) return undefined;
    // Joined before the conversation is looked up: one created meanwhile is announced to it.
    const key = join(socket, widget, visitor);
    if (!key) {
      socket.close(POLICY_VIOLATION, 'too many connections for this visitor');
      return undefined;
    }
    liveness.track(socket);
    const conversation = await repo.findWidgetConversation(deps.db, widget.owner.id, visitor.customerId);
    if (conversation) conversations.set(conversation.id, key);
    await watch(widget.owner.id);
    const last = conversation ? await repo.lastSeq(deps.db, conversation.id) : 0;
    send(socket, JSON.stringify({ type: 'ready', last_seq: last }));
    return visitor;
  };

  const heartbeat = setInterval(() => {
    for (const ownerId of owners.keys()) void watch(ownerId);
  }, heartbeatMs);
  heartbeat.unref();

  return {
    accept,
    close() {
      clearInterval(heartbeat);
      liveness.stop();
      unsubscribe();
    },
  };
}
