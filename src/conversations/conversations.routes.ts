import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
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
  conversationItem,
  conversationList,
  conversationListQuery,
  conversationParams,
  messageList,
  messageListQuery,
} from './conversations.schema.js';
import { requireOwnConversation } from './conversations.service.js';
import { conversationView, listConversations, listMessages, messageView } from './sessions.service.js';
import { agentReply } from './agent-reply.js';

export interface ConversationRouteDeps {
  db: Database;
  config: Config;
  events: EventBus;
  queue: Queue;
}

const security = [{ bearer: [] }];

/** The message system agents work in: conversations, their messages, agents' replies. */
export const conversationRoutes: FastifyPluginAsyncZod<ConversationRouteDeps> = async (
  app,
  { db, config, events, queue },
) => {
  app.addHook('onRequest', requireToken(db));

  const own = (user: AuthUser, conversationId: string) => requireOwnConversation(db, user.id, conversationId);

  app.get(
    '/api/v1/conversations/',
    {
      schema: {
        tags: ['conversations'],
        summary: "This business's conversations, newest activity first",
        security,
        querystring: conversationListQuery,
        response: responses({ 200: conversationList }, 400, 401),
      },
    },
    async (request) => {
      const { page, page_size: pageSize, status, channel, search } = request.query;
      const { count, rows } = await listConversations(
        db,
        currentUser(request).id,
        { status, channel, search },
        { page, pageSize },
      );
      return paginate(request, config.publicUrl, page, pageSize, count, rows.map(conversationView));
    },
  );

  app.get(
    '/api/v1/conversations/:conversation_id/',
    {
      schema: {
        tags: ['conversations'],
        summary: 'One conversation',
        security,
        params: conversationParams,
        response: responses({ 200: conversationItem }, 401, 404),
      },
    },
    async (request) => conversationView(await own(currentUser(request), request.params.conversation_id)),
  );

  app.get(
    '/api/v1/conversations/:conversation_id/messages/',
    {
      schema: {
        tags: ['conversations'],
        summary: "A conversation's messages, oldest first",
        security,
        params: conversationParams,
        querystring: messageListQuery,
        response: responses({ 200: messageList }, 400, 401, 404),
      },
    },
    async (request) => {
      const conversation = await own(currentUser(request), request.params.conversation_id);
      const { page, page_size: pageSize } = request.query;
      const results = await listMessages(db, conversation.id, { page, pageSize });
      return paginate(request, config.publicUrl, page, pageSize, conversation.messageCount, results);
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
};
