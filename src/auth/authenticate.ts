import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../kernel/config.js';
import { AppError, NotAuthenticatedError, PermissionDeniedError } from '../kernel/errors.js';
import type { Database } from '../db/client.js';
import { authenticateToken, type AuthUser } from './auth.service.js';
import { authenticateSession, csrfTokenMatches, isOwnOrigin, sessionFromCookieHeader } from './sessions.service.js';
import { tokenFromHeader } from './tokens.js';

declare module 'fastify' {
  interface FastifyRequest {
    user: AuthUser | null;
  }
  interface FastifyInstance {
    /** How dashboard session cookies are checked; unset: they are not accepted. */
    dashboardSessions: SessionPolicy | undefined;
  }
}

export interface SessionPolicy {
  idleHours: number;
  maxDays: number;
  /** Its origin is one a browser may send requests from. */
  publicUrl: string;
  /** Only over https (PUBLIC_URL is https). */
  secureCookie: boolean;
}

export class CsrfFailedError extends AppError {
  override readonly status = 403;
  override readonly code = 'csrf_failed';
}

/** Methods that change something: a cookie-authenticated one must prove it comes from the dashboard. */
const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Lets every route that takes a token take a dashboard session cookie too (see `requireToken`). */
export function installDashboardSessions(
  app: FastifyInstance,
  config: Pick<Config, 'dashboard' | 'publicUrl' | 'publicUrlSet'>,
): SessionPolicy {
  const policy: SessionPolicy = {
    idleHours: config.dashboard.idleHours,
    maxDays: config.dashboard.maxDays,
    publicUrl: config.publicUrl,
    secureCookie: config.publicUrlSet && config.publicUrl.startsWith('https:'),
  };
  app.decorate('dashboardSessions', policy);
  return policy;
}

/**
 * An onRequest hook: every route registered after it needs a valid token, or,
 * for a request without an Authorization header, a valid dashboard session
 * cookie (with the CSRF checks of `requireSession`). Bearer requests are
 * checked exactly as before.
 */
export function requireToken(db: Database) {
  return async (request: FastifyRequest): Promise<void> => {
    const policy = request.server.dashboardSessions;
    if (request.headers.authorization === undefined && policy) {
      const value = sessionFromCookieHeader(request.headers.cookie);
      if (value !== undefined) {
        request.user = await sessionUser(db, policy, request, value);
        return;
      }
    }
    const token = tokenFromHeader(request.headers.authorization);
    if (!token) throw new NotAuthenticatedError();
    const user = await authenticateToken(db, token);
    if (!user) throw new NotAuthenticatedError('The token is invalid or has been revoked.', 'invalid_token');
    request.user = user;
  };
}

/** An onRequest hook for the session's own routes: only the cookie counts, whatever else is sent. */
export function requireSession(db: Database, policy: SessionPolicy) {
  return async (request: FastifyRequest): Promise<void> => {
    const value = sessionFromCookieHeader(request.headers.cookie);
    if (value === undefined) throw new NotAuthenticatedError('You are not signed in.');
    request.user = await sessionUser(db, policy, request, value);
  };
}

/** The session's user, once an unsafe request has shown the CSRF token and, from a browser, this server's origin. */
async function sessionUser(
  db: Database,
  policy: SessionPolicy,
  request: FastifyRequest,
  value: string,
): Promise<AuthUser> {
  const user = await authenticateSession(db, value, policy);
  if (!user) throw new NotAuthenticatedError('The session has ended or expired: sign in again.');
  if (UNSAFE_METHODS.has(request.method)) {
    checkOrigin(request, policy);
    const presented = request.headers['x-csrf-token'];
    if (!csrfTokenMatches(value, typeof presented === 'string' ? presented : undefined)) {
      throw new CsrfFailedError('Send the X-CSRF-Token header with the csrf_token of GET /api/v1/auth/session/.');
    }
  }
  return user;
}

/** A browser names the page a request comes from; a page on another site may not act with the cookie. */
export function checkOrigin(request: FastifyRequest, policy: Pick<SessionPolicy, 'publicUrl'>): void {
  const origin = request.headers.origin;
  if (origin === undefined || isOwnOrigin(origin, policy.publicUrl, request.headers.host)) return;
  throw new CsrfFailedError(`Requests signed in with the session cookie may not come from ${origin}.`);
}

export function currentUser(request: FastifyRequest): AuthUser {
  if (!request.user) throw new NotAuthenticatedError();
  return request.user;
}

export function requireAdmin(request: FastifyRequest): AuthUser {
  const user = currentUser(request);
  if (!user.isAdmin) throw new PermissionDeniedError('Only administrators can see this.');
  return user;
}
