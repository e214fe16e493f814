import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { responses } from '../kernel/http-errors.js';
import { withWarnings } from '../kernel/ignored-fields.js';
import { tokenView } from './auth.service.js';
import { changePassword, createOwnToken, type AccountDeps } from './account.service.js';
import {
  dashboardSessionList,
  newTokenBody,
  newTokenResponse,
  passwordChangeBody,
  passwordChangeResponse,
} from './account.schema.js';
import { currentUser, requireToken, type SessionPolicy } from './authenticate.js';
import { clearedSessionCookie, endUserSessions, listSessions } from './sessions.service.js';

export interface AccountRouteDeps extends AccountDeps {
  policy: SessionPolicy;
}

const security: Record<string, string[]>[] = [{ bearer: [] }, { session: [] }];

/** The Account screen's API (issue #14): change the password, see and end sign-ins, make tokens. */
export const accountRoutes: FastifyPluginAsyncZod<AccountRouteDeps> = async (app, deps) => {
  const { db, policy, revocations } = deps;
  app.addHook('onRequest', requireToken(db));

  app.post(
    '/api/v1/auth/password/',
    {
      config: { limit: 'sign-in' },
      schema: {
        tags: ['auth'],
        summary: 'Change your password; your other dashboard sessions are signed out',
        description:
          'The current password is checked behind the same rate limit and per-username lock-out as sign-in; ' +
          'a wrong one is 400 `wrong_password`. The new one follows the rules of `parley createuser`. ' +
          'Every other dashboard session ends and its live connections close (4001); the one making the ' +
          'request stays signed in. API tokens are not revoked: list and revoke them at /api/v1/auth/tokens/.',
        security,
        body: passwordChangeBody,
        response: responses({ 200: withWarnings(passwordChangeResponse) }, 400, 401, 429),
      },
    },
    async (request) => ({
      sessions_ended: await changePassword(deps, currentUser(request), {
        current: request.body.current_password,
        next: request.body.new_password,
      }),
    }),
  );

  app.get(
    '/api/v1/auth/sessions/',
    {
      schema: {
        tags: ['auth'],
        summary: 'Where you are signed in to the dashboard',
        security,
        response: responses({ 200: dashboardSessionList }, 401),
      },
    },
    async (request) => {
      const user = currentUser(request);
      const results = (await listSessions(db, user.id, policy)).map((session) => ({
        id: session.id,
        user_agent: session.userAgent,
        created_at: session.createdAt.toISOString(),
        last_seen_at: session.lastSeenAt.toISOString(),
        expires_at: session.expiresAt.toISOString(),
        current: session.id === user.sessionId,
      }));
      return { count: results.length, next: null, previous: null, results };
    },
  );

  app.delete(
    '/api/v1/auth/sessions/',
    {
      schema: {
        tags: ['auth'],
        summary: 'Sign out everywhere: every one of your dashboard sessions ends, this one too',
        description: 'Their live connections close on every server (4001). API tokens are not affected.',
        security,
        response: responses({ 204: z.null().describe('Signed out everywhere') }, 401),
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      await endUserSessions(db, user.id, revocations);
      if (user.sessionId) reply.header('set-cookie', clearedSessionCookie(policy.secureCookie));
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/api/v1/auth/tokens/',
    {
      schema: {
        tags: ['auth'],
        summary: 'Make a new API token; the answer is the only time it is shown',
        security,
        body: newTokenBody,
        response: responses({ 201: withWarnings(newTokenResponse) }, 400, 401),
      },
    },
    async (request, reply) => {
      const { token, summary } = await createOwnToken(db, currentUser(request), {
        name: request.body.name,
        expiresInDays: request.body.expires_in_days,
      });
      return reply.code(201).send({ ...tokenView(summary), token });
    },
  );
};
