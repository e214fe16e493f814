import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { responses } from '../kernel/http-errors.js';
import { currentUser, requireToken } from '../auth/authenticate.js';
import type { ReplyDeps } from './reply-deps.js';
import { tryAnswer, tryBody, tryConversation } from './try-it.schema.js';
import { startOver, testConversationView, tryQuestion } from './try-it.service.js';

const security = [{ bearer: [] }];
const DESCRIPTION =
  'The business\'s own test conversation: the dashboard\'s "Try it" panel (customers and channels can never make one). ' +
  'It is answered even while real customers would not be (auto-response off, default handler Manual, closed), so prompts can be tried first; `answering_now` says what a real customer gets. ' +
  'It is left out of the inbox, the sessions list and the analytics; its model calls use the shared key and count in usage and quotas.';

/** The dashboard's "Try it" panel: one test conversation per business. */
export const tryItRoutes: FastifyPluginAsyncZod<ReplyDeps> = async (app, deps) => {
  app.addHook('onRequest', requireToken(deps.db));

  app.get(
    '/api/v1/ai/try/',
    {
      schema: {
        tags: ['ai'],
        summary: 'The test conversation of the "Try it" panel so far',
        description: DESCRIPTION,
        security,
        response: responses({ 200: tryConversation }, 401),
      },
    },
    async (request) => testConversationView(deps, currentUser(request)),
  );

  app.post(
    '/api/v1/ai/try/',
    {
      config: { limit: 'ask' },
      schema: {
        tags: ['ai'],
        summary: 'Ask a question in the test conversation, as a customer would',
        description: `${DESCRIPTION} A model failure answers 200 with \`success: false\` and \`reason: "ai_unavailable"\`.`,
        security,
        body: tryBody,
        response: responses({ 200: tryAnswer }, 400, 401, 429),
      },
    },
    async (request) => tryQuestion(deps, currentUser(request), request.body.question),
  );

  app.delete(
    '/api/v1/ai/try/',
    {
      schema: {
        tags: ['ai'],
        summary: 'Start over: delete the test conversation',
        description: 'Its messages go; the usage of its model calls stays counted.',
        security,
        response: responses({ 204: z.null().describe('Deleted (or there was none)') }, 401),
      },
    },
    async (request, reply) => {
      await startOver(deps, currentUser(request));
      return reply.code(204).send(null);
    },
  );
};
