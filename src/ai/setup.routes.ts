import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Config } from '../kernel/config.js';
import { responses } from '../kernel/http-errors.js';
import type { Database } from '../db/client.js';
import type { ModelProvider } from '../model/model-provider.js';
import { currentUser, requireToken } from '../auth/authenticate.js';
import { setupResponse } from './setup.schema.js';
import { businessSetup } from './setup.service.js';
import { rememberingModelChecker } from './setup-checks.js';

export interface SetupRouteDeps {
  db: Database;
  config: Config;
  model: ModelProvider | undefined;
}

/** A model that exists stays so for a while: asked of Google at most this often per model. */
const MODEL_CHECK_TTL_MS = 10 * 60_000;

/** The first-run checklist's data (issue #14). */
export const setupRoutes: FastifyPluginAsyncZod<SetupRouteDeps> = async (app, { db, config, model }) => {
  app.addHook('onRequest', requireToken(db));
  const checkModel = rememberingModelChecker(model, MODEL_CHECK_TTL_MS);

  app.get(
    '/api/v1/ai/setup/',
    {
      schema: {
        tags: ['ai'],
        summary: "How far the business's AI setup is: the first-run checklist and what is wrong",
        description:
          'The findings are those of `parley ai_control validate` for this business; whether the model exists is ' +
          'remembered for up to ten minutes.',
        security: [{ bearer: [] }],
        response: responses({ 200: setupResponse }, 401),
      },
    },
    async (request) => businessSetup(db, config, checkModel, currentUser(request)),
  );
};
