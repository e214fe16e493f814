import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { responses } from '../kernel/http-errors.js';
import type { Database } from '../db/client.js';
import { revokeToken, signIn } from './auth.service.js';
import { currentUser, requireToken } from './authenticate.js';
import { loginBody, meResponse, tokenResponse } from './auth.schema.js';
import type { SignInGuard } from './sign-in-guard.js';

export const authRoutes: FastifyPluginAsyncZod<{ db: Database; guard: SignInGuard }> = async (app, { db, guard }) => {
  app.post(
    '/api/v1/auth/token/',
    {
      config: { limit: 'sign-in' },
      schema: {
        tags: ['auth'],
        summary: 'Exchange a username and password for an API token',
        body: loginBody,
        response: responses({ 200: tokenResponse }, 400, 401, 429),
      },
    },
    async (request) => ({ token: await signIn({ db, guard }, request.body.username, request.body.password) }),
  );

  await app.register(async (authed) => {
    authed.addHook('onRequest', requireToken(db));

    authed.delete(
      '/api/v1/auth/token/',
      {
        schema: {
          tags: ['auth'],
          summary: 'Revoke the token this request presents',
          security: [{ bearer: [] }],
          response: responses({ 204: z.null().describe('Revoked') }, 401),
        },
      },
      async (request, reply) => {
        await revokeToken(db, currentUser(request));
        return reply.code(204).send(null);
      },
    );

    authed.get(
      '/api/v1/auth/me/',
      {
        schema: {
          tags: ['auth'],
          summary: 'The account the token belongs to',
          security: [{ bearer: [] }],
          response: responses({ 200: meResponse }, 401),
        },
      },
      async (request) => {
        const user = currentUser(request);
        return {
          username: user.username,
          email: user.email,
          is_admin: user.isAdmin,
          default_reply_handler: user.defaultReplyHandler,
        };
      },
    );
  });
};
