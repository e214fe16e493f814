import type { FastifyPluginAsyncZod, ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { responses } from '../kernel/http-errors.js';
import { withWarnings } from '../kernel/ignored-fields.js';
import type { Config } from '../kernel/config.js';
import type { Database } from '../db/client.js';
import type { TokenRevocations } from '../events/revocations.js';
import { listTokens, revokeOwnToken, revokeToken, signIn, tokenView } from './auth.service.js';
import { currentUser, requireToken } from './authenticate.js';
import { loginBody, meResponse, tokenList, tokenParams, tokenResponse } from './auth.schema.js';
import type { SignInGuard } from './sign-in-guard.js';

export interface AuthRouteDeps {
  db: Database;
  config: Pick<Config, 'tokens'>;
  /** Tells every process about a revoke, so the token's WebSockets close everywhere. */
  revocations: TokenRevocations;
  /** Counts failed sign-ins per username and locks it out. */
  guard: SignInGuard;
}

export const authRoutes: FastifyPluginAsyncZod<AuthRouteDeps> = async (app, { db, config, revocations, guard }) => {
  app.post(
    '/api/v1/auth/token/',
    {
      config: { limit: 'sign-in' },
      schema: {
        tags: ['auth'],
        summary: 'Exchange a username and password for an API token',
        description: 'The token expires after PARLEY_SIGN_IN_TOKEN_DAYS (30 days by default).',
        body: loginBody,
        response: responses({ 200: withWarnings(tokenResponse) }, 400, 401, 429),
      },
    },
    async (request) => ({
      token: await signIn({ db, guard }, request.body.username, request.body.password, config.tokens.signInTtlDays),
    }),
  );

  await app.register(async (plugin) => {
    const authed = plugin.withTypeProvider<ZodTypeProvider>();
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
        await revokeToken(db, currentUser(request), revocations);
        return reply.code(204).send(null);
      },
    );

    authed.get(
      '/api/v1/auth/tokens/',
      {
        schema: {
          tags: ['auth'],
          summary: 'Your API tokens (never the tokens themselves)',
          security: [{ bearer: [] }],
          response: responses({ 200: tokenList }, 401),
        },
      },
      async (request) => {
        const user = currentUser(request);
        const results = (await listTokens(db, user.id)).map((token) => ({
          ...tokenView(token),
          current: token.id === user.tokenId,
        }));
        return { count: results.length, next: null, previous: null, results };
      },
    );

    authed.delete(
      '/api/v1/auth/tokens/:token_id/',
      {
        schema: {
          tags: ['auth'],
          summary: 'Revoke one of your tokens by id; its live connections close',
          security: [{ bearer: [] }],
          params: tokenParams,
          response: responses({ 204: z.null().describe('Revoked') }, 401, 404),
        },
      },
      async (request, reply) => {
        await revokeOwnToken(db, currentUser(request).id, request.params.token_id, revocations);
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
