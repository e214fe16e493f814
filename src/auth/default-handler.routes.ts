import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { responses } from '../kernel/http-errors.js';
import { withWarnings } from '../kernel/ignored-fields.js';
import { defaultHandlerBody, defaultHandlerResponse } from './auth.schema.js';
import { setDefaultReplyHandler } from './auth.service.js';
import { currentUser, requireToken } from './authenticate.js';
import type { Database } from '../db/client.js';

/** Who answers new conversations: the AI or the business's people (seed: "User Default Handler"). */
export const defaultHandlerRoutes: FastifyPluginAsyncZod<{
  db: Database;
  /** Told after a business changed its handler, for what keeps a copy of it (the channels' delivery cache). */
  onChange?: (userId: string) => void;
}> = async (app, { db, onChange }) => {
  app.addHook('onRequest', requireToken(db));
  const schema = { tags: ['ai'], security: [{ bearer: [] }] };

  app.get(
    '/api/v1/ai/default-handler/',
    {
      schema: {
        ...schema,
        summary: "Who answers this business's new conversations",
        response: responses({ 200: defaultHandlerResponse }, 401),
      },
    },
    async (request) => ({ default_reply_handler: currentUser(request).defaultReplyHandler }),
  );

  app.put(
    '/api/v1/ai/default-handler/',
    {
      schema: {
        ...schema,
        summary: 'Set who answers new conversations: "AI" or "Manual"',
        body: defaultHandlerBody,
        response: responses({ 200: withWarnings(defaultHandlerResponse) }, 400, 401),
      },
    },
    async (request) => {
      const userId = currentUser(request).id;
      const handler = await setDefaultReplyHandler(db, userId, request.body.default_reply_handler);
      onChange?.(userId);
      return { default_reply_handler: handler };
    },
  );
};
