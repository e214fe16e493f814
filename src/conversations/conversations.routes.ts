import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { getAiSettings } from '../ai/ai-settings.js';
import type { Config } from '../kernel/config.js';
import { NotFoundError } from '../kernel/errors.js';
import { responses } from '../kernel/http-errors.js';
import { paginate } from '../kernel/pagination.js';
import type { AuthUser } from '../auth/auth.service.js';
import { currentUser, requireToken } from '../auth/authenticate.js';
import type { Database } from '../db/client.js';
import { enqueueDelivery } from '../channels/delivery.jobs.js';
import type { Queue } from '../infra/queue.js';
import type { EventBus } from '../events/events.js';
import {
  agentReplyBody,
  agentReplyResponse,
  bulkStatusBody,
  bulkStatusResponse,
  conversationItem,
  conversationList,
  conversationListQuery,
  conversationParams,
  messageList,
  messageListQuery,
  statusBody,
  statusResponse,
} from './conversations.schema.js';
import { getOwnConversation } from './conversations.service.js';
import { conversationView, listConversations, listMessages, messageView } from './sessions.service.js';
import { agentReply, aiAvailability, changeStatus, changeStatuses, statusView } from './status.service.js';

export interface ConversationRouteDeps {
  db: Database;
  config: Config;
  events: EventBus;
  queue: Queue;
}

const security = [{ bearer: [] }];

/** Conversation status (the seed's "Manual Override") and the message system agents work in. */
export const conversationRoutes: FastifyPluginAsyncZod<ConversationRouteDeps> = async (
  app,
  { db, config, events, queue },
) => {
  app.addHook('onRequest', requireToken(db));

  const availability = async (user: AuthUser) => {
    const settings = await getAiSettings(db, user.id, config.gemini.defaultModel);
    return aiAvailability(settings.autoResponseEnabled, Boolean(config.gemini.apiKey));
  };
  const own = async (user: AuthUser, conversationId: string) => {
    const conversation = await getOwnConversation(db, user.id, conversationId);
    if (!conversation) throw new NotFoundError('No such conversation.');
    return conversation;
  };

  app.get(
    '/api/v1/ai/conversations/:conversation_id/status/',
    {
      schema: {
        tags: ['conversations'],
        summary: 'Who answers a conversation: the AI (active) or people (support_active)',
        security,
        params: conversationParams,
        response: responses({ 200: statusResponse }, 401, 404),
      },
    },
    async (request) => {
      const user = currentUser(request);
      const conversation = await own(user, request.params.conversation_id);
      return statusView(db, conversation, await availability(user), user.defaultReplyHandler);
    },
  );

  app.put(
    '/api/v1/ai/conversations/:conversation_id/status/',
    {
      schema: {
        tags: ['conversations'],
        summary: 'Hand a conversation to the AI or to people',
        description:
          'Switching to `active` while the AI is unavailable for this business (auto-response off, or no global key) is refused with 400 `ai_unavailable`. Every change bumps the ownership version, so an AI reply being written at that moment is discarded.',
        security,
        params: conversationParams,
        body: statusBody,
        response: responses({ 200: statusResponse }, 400, 401, 404),
      },
    },
    async (request) => {
      const user = currentUser(request);
      const ai = await availability(user);
      const conversation = await changeStatus(
        db,
        events,
        user.id,
        request.params.conversation_id,
        request.body.status,
        ai,
      );
      return statusView(db, conversation, ai, user.defaultReplyHandler);
    },
  );

  app.put(
    '/api/v1/ai/conversations/bulk-status/',
    {
      schema: {
        tags: ['conversations'],
        summary: 'Hand many conversations to the AI or to people, all or nothing',
        security,
        body: bulkStatusBody,
        response: responses({ 200: bulkStatusResponse }, 400, 401),
      },
    },
    async (request) => {
      const user = currentUser(request);
      const { updated, notFound } = await changeStatuses(
        db,
        events,
        user.id,
        request.body.conversation_ids,
        request.body.status,
        await availability(user),
      );
      return { status: request.body.status, updated, not_found: notFound };
    },
  );

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
