import type { FastifyPluginAsyncZod, ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { responses } from '../kernel/http-errors.js';
import { withWarnings } from '../kernel/ignored-fields.js';
import type { Database } from '../db/client.js';
import type { TokenRevocations } from '../events/revocations.js';
import type { AuthUser } from './auth.service.js';
import { checkOrigin, currentUser, requireSession, type SessionPolicy } from './authenticate.js';
import { loginBody, sessionResponse, signInLinkBody } from './auth.schema.js';
import {
  clearedSessionCookie,
  csrfTokenFor,
  endSession,
  sessionCookie,
  sessionFromCookieHeader,
  startSession,
} from './sessions.service.js';
import type { SignInGuard } from './sign-in-guard.js';
import { signInWithLink } from './sign-in-links.service.js';

export interface SessionRouteDeps {
  db: Database;
  policy: SessionPolicy;
  /** Tells every process a session ended, so its WebSockets close everywhere. */
  revocations: TokenRevocations;
  /** The same lock-out as token sign-in. */
  guard: SignInGuard;
}

const COOKIE_DESCRIPTION =
  'Sets the HttpOnly cookie `parley_session` (SameSite=Lax, Path=/, Secure when PUBLIC_URL is https). ' +
  'Every route that takes a token takes the cookie too; POST, PUT, PATCH and DELETE made with it need the ' +
  'X-CSRF-Token header and, from a browser, this server’s own Origin (else 403 `csrf_failed`). ' +
  'A session unused for PARLEY_DASHBOARD_IDLE_HOURS (72 by default), or older than PARLEY_DASHBOARD_MAX_DAYS ' +
  '(30 by default), ends. Signing in again ends the session the cookie held before.';

/** Sign-in for the dashboard (issue #13): a cookie instead of a bearer token. */
export const sessionRoutes: FastifyPluginAsyncZod<SessionRouteDeps> = async (
  app,
  { db, policy, revocations, guard },
) => {
  const view = (user: AuthUser, value: string) => ({
    user: {
      id: user.id,
      username: user.username,
      email: user.email,
      is_admin: user.isAdmin,
      default_reply_handler: user.defaultReplyHandler,
    },
    csrf_token: csrfTokenFor(value),
  });

  app.post(
    '/api/v1/auth/session/',
    {
      config: { limit: 'sign-in' },
      schema: {
        tags: ['auth'],
        summary: 'Sign in to the dashboard with a username and password',
        description: COOKIE_DESCRIPTION,
        body: loginBody,
        response: responses({ 200: withWarnings(sessionResponse) }, 400, 401, 403, 429),
      },
    },
    async (request, reply) => {
      // A page on another site must not sign the browser in to an account of its choosing.
      checkOrigin(request, policy);
      const session = await startSession(
        { db, guard, revocations },
        {
          ...request.body,
          userAgent: request.headers['user-agent'],
          previous: sessionFromCookieHeader(request.headers.cookie),
        },
        policy,
      );
      reply.header('set-cookie', sessionCookie(session.value, policy.secureCookie));
      return view(session.user, session.value);
    },
  );

  app.post(
    '/api/v1/auth/session/link/',
    {
      config: { limit: 'sign-in' },
      schema: {
        tags: ['auth'],
        summary: 'Sign in to the dashboard with a one-time sign-in link',
        description:
          'The dashboard posts the token of a `/sign-in#link=<token>` link (as `parley demo` prints). ' +
          'A link signs in once, before it expires; after that it answers 401 `sign_in_link_invalid`. ' +
          COOKIE_DESCRIPTION,
        body: signInLinkBody,
        response: responses({ 200: withWarnings(sessionResponse) }, 400, 401, 403, 429),
      },
    },
    async (request, reply) => {
      checkOrigin(request, policy);
      const session = await signInWithLink(
        { db, revocations },
        {
          token: request.body.token,
          userAgent: request.headers['user-agent'],
          previous: sessionFromCookieHeader(request.headers.cookie),
        },
        policy,
      );
      reply.header('set-cookie', sessionCookie(session.value, policy.secureCookie));
      return view(session.user, session.value);
    },
  );

  await app.register(async (plugin) => {
    const signedIn = plugin.withTypeProvider<ZodTypeProvider>();
    signedIn.addHook('onRequest', requireSession(db, policy));
    const cookieValue = (headers: { cookie?: string | undefined }) => sessionFromCookieHeader(headers.cookie) ?? '';

    signedIn.get(
      '/api/v1/auth/session/',
      {
        schema: {
          tags: ['auth'],
          summary: 'Who the session cookie signs in, and its CSRF token',
          security: [{ session: [] }],
          response: responses({ 200: sessionResponse }, 401),
        },
      },
      async (request) => view(currentUser(request), cookieValue(request.headers)),
    );

    signedIn.delete(
      '/api/v1/auth/session/',
      {
        schema: {
          tags: ['auth'],
          summary: 'Sign out of the dashboard: the session ends and its live connections close',
          security: [{ session: [] }],
          response: responses({ 204: z.null().describe('Signed out') }, 401, 403),
        },
      },
      async (request, reply) => {
        await endSession(db, currentUser(request), revocations);
        return reply.header('set-cookie', clearedSessionCookie(policy.secureCookie)).code(204).send(null);
      },
    );
  });
};
