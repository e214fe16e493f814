import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Config } from '../kernel/config.js';
import { responses } from '../kernel/http-errors.js';
import { paginate } from '../kernel/pagination.js';
import type { AuthUser } from '../auth/auth.service.js';
import { currentUser, requireToken } from '../auth/authenticate.js';
import type { Database } from '../db/client.js';
import { enqueueDelivery } from './outbox.js';
import type { Queue } from '../infra/queue.js';
import type { EventBus } from '../events/events.js';
import {
  agentReplyBody,
  agentReplyResponse,
  conversationList,
  conversationListQuery,
  conversationParams,
  inboxConversation as inboxConversationSchema,
  messageList,
  messageListQuery,
  readBody,
  readResponse,
  SYNC_LIMIT,
  syncQuery,
  syncResponse,
  typingBody,
} from './conversations.schema.js';
import { requireOwnConversation } from './conversations.service.js';
import { conversationView, messageView } from './sessions.service.js';
import { agentReply } from './agent-reply.js';
import {
  DEFAULT_THREAD_LIMIT,
  inboxConversation,
  listInbox,
  markRead,
  syncInbox,
  threadBefore,
  threadPage,
  type InboxContext,
} from './inbox.service.js';
import type { AiUnavailableReason } from './status.service.js';

export interface ConversationRouteDeps {
  db: Database;
  config: Config;
  events: EventBus;
  queue: Queue;
  /** Whether the AI can answer the business's conversations at all (src/ai decides; it sits above this layer). */
  availability: (userId: string) => Promise<AiUnavailableReason | null>;
}

const security = [{ bearer: [] }];

/** The message system agents work in: conversations, their messages, agents' replies. */
export const conversationRoutes: FastifyPluginAsyncZod<ConversationRouteDeps> = async (
  app,
  { db, config, events, queue, availability },
) => {
  app.addHook('onRequest', requireToken(db));

  const own = (user: AuthUser, conversationId: string) => requireOwnConversation(db, user.id, conversationId);
  const inboxOf = async (user: AuthUser): Promise<InboxContext> => ({
    userId: user.id,
    availability: await availability(user.id),
    defaultHandler: user.defaultReplyHandler,
  });

  app.get(
    '/api/v1/conversations/',
    {
      schema: {
        tags: ['conversations'],
        summary: "This business's conversations, newest activity first",
        description:
          'Each row says why people have the conversation (`status_reason`), whether a person must answer (`needs_person`), how many customer messages are unread and what was said last.',
        security,
        querystring: conversationListQuery,
        response: responses({ 200: conversationList }, 400, 401),
      },
    },
    async (request) => {
      const { page, page_size: pageSize, status, channel, search, needs_person: needsPerson } = request.query;
      const { count, rows } = await listInbox(
        db,
        await inboxOf(currentUser(request)),
        { status, channel, search, needsPerson },
        { page, pageSize },
      );
      return paginate(request, config.publicUrl, page, pageSize, count, rows);
    },
  );

  app.get(
    '/api/v1/conversations/sync/',
    {
      schema: {
        tags: ['conversations'],
        summary: 'Everything a reconnecting dashboard missed after a message seq',
        description: `The business's messages after \`after_seq\` (at most ${SYNC_LIMIT}, in seq order) and the current rows of the conversations they belong to or that changed since. Call again with \`after_seq=last_seq\` while \`has_more\`.`,
        security,
        querystring: syncQuery,
        response: responses({ 200: syncResponse }, 400, 401),
      },
    },
    async (request) => syncInbox(db, await inboxOf(currentUser(request)), request.query.after_seq, SYNC_LIMIT),
  );

  app.get(
    '/api/v1/conversations/:conversation_id/',
    {
      schema: {
        tags: ['conversations'],
        summary: 'One conversation',
        security,
        params: conversationParams,
        response: responses({ 200: inboxConversationSchema }, 401, 404),
      },
    },
    async (request) => {
      const user = currentUser(request);
      return inboxConversation(db, await inboxOf(user), request.params.conversation_id);
    },
  );

  app.post(
    '/api/v1/conversations/:conversation_id/read/',
    {
      schema: {
        tags: ['conversations'],
        summary: 'Marks a conversation read for the business',
        description:
          'Up to `through_seq` (by default every message); the mark never moves back. Answers the customer messages still unread.',
        security,
        params: conversationParams,
        body: readBody,
        response: responses({ 200: readResponse }, 400, 401, 404),
      },
    },
    async (request) => markRead(db, currentUser(request).id, request.params.conversation_id, request.body.through_seq),
  );

  app.get(
    '/api/v1/conversations/:conversation_id/messages/',
    {
      schema: {
        tags: ['conversations'],
        summary: "A conversation's messages, oldest first",
        description:
          'Pages with `page`/`page_size`, or with a cursor: `before_seq` and `limit` give the `limit` messages before that seq (the newest without it), newest last, and `has_more` says whether older ones exist.',
        security,
        params: conversationParams,
        querystring: messageListQuery,
        response: responses({ 200: messageList }, 400, 401, 404),
      },
    },
    async (request) => {
      const conversation = await own(currentUser(request), request.params.conversation_id);
      const { page, page_size: pageSize, before_seq: beforeSeq, limit } = request.query;
      if (beforeSeq !== undefined || limit !== undefined) {
        const thread = await threadBefore(db, conversation.id, beforeSeq, limit ?? DEFAULT_THREAD_LIMIT);
        return {
          count: conversation.messageCount,
          next: null,
          previous: null,
          results: thread.messages,
          has_more: thread.hasMore,
        };
      }
      const results = await threadPage(db, conversation.id, { page, pageSize });
      const paged = paginate(request, config.publicUrl, page, pageSize, conversation.messageCount, results);
      return { ...paged, has_more: paged.next !== null };
    },
  );

  app.post(
    '/api/v1/conversations/:conversation_id/messages/',
    {
      config: { limit: 'agent-reply' },
      schema: {
        tags: ['conversations'],
        summary: "An agent's reply to the customer",
        description:
          'Stored as a `support` message. In a conversation the AI is answering, the reply takes it over (status `support_active`) unless `keep_ai` is true.',
        security,
        params: conversationParams,
        body: agentReplyBody,
        response: responses({ 201: agentReplyResponse }, 400, 401, 404),
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      const { message, conversation } = await agentReply(
        db,
        events,
        user.id,
        request.params.conversation_id,
        request.body.text,
        request.body.keep_ai,
      );
      // On Telegram or Instagram the reply goes out through the outbox.
      if (conversation.channelId) await enqueueDelivery(queue, message.id);
      return reply.code(201).send({ message: messageView(message), conversation: conversationView(conversation) });
    },
  );

  app.post(
    '/api/v1/conversations/:conversation_id/typing/',
    {
      schema: {
        tags: ['conversations'],
        summary: 'An agent is typing (or stopped)',
        description:
          'Shown to the customer where the channel can show it: a website visitor’s widget says the agent is typing. Send `true` every few seconds while typing, `false` when done. Live events carry it as `agent.typing`.',
        security,
        params: conversationParams,
        body: typingBody,
        response: responses({ 204: z.null().describe('Told') }, 400, 401, 404),
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      const conversation = await requireOwnConversation(db, user.id, request.params.conversation_id);
      events.publish(user.id, {
        type: 'agent.typing',
        data: { conversation_id: conversation.id, typing: request.body.typing },
      });
      return reply.code(204).send(null);
    },
  );
};
