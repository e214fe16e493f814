import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AuthUser } from '../auth/auth.service.js';
import { currentUser, requireToken } from '../auth/authenticate.js';
import {
  bulkStatusBody,
  bulkStatusResponse,
  conversationParams,
  statusBody,
  statusResponse,
} from '../conversations/conversations.schema.js';
import { requireOwnConversation } from '../conversations/conversations.service.js';
import { changeStatus, changeStatuses, statusView } from '../conversations/status.service.js';
import type { Database } from '../db/client.js';
import type { EventBus } from '../events/events.js';
import type { Config } from '../kernel/config.js';
import { responses } from '../kernel/http-errors.js';
import { withWarnings } from '../kernel/ignored-fields.js';
import { getAiSettings } from './ai-settings.js';
import { aiAvailability } from './availability.js';

const security = [{ bearer: [] }];

/** Who answers a conversation, the AI or people (the seed's "Manual Override"). */
export const conversationStatusRoutes: FastifyPluginAsyncZod<{
  db: Database;
  config: Config;
  events: EventBus;
}> = async (app, { db, config, events }) => {
  app.addHook('onRequest', requireToken(db));

  const availability = async (user: AuthUser) =>
    aiAvailability(config, await getAiSettings(db, user.id, config.gemini.defaultModel));
  const own = (user: AuthUser, conversationId: string) => requireOwnConversation(db, user.id, conversationId);

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
        response: responses({ 200: withWarnings(statusResponse) }, 400, 401, 404),
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
};
