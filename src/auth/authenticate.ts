import type { FastifyRequest } from 'fastify';
import { NotAuthenticatedError, PermissionDeniedError } from '../kernel/errors.js';
import type { Database } from '../db/client.js';
import { authenticateToken, type AuthUser } from './auth.service.js';
import { tokenFromHeader } from './tokens.js';

declare module 'fastify' {
  interface FastifyRequest {
    user: AuthUser | null;
  }
}

/** An onRequest hook: every route registered after it needs a valid token. */
export function requireToken(db: Database) {
  return async (request: FastifyRequest): Promise<void> => {
    const token = tokenFromHeader(request.headers.authorization);
    if (!token) throw new NotAuthenticatedError();
    const user = await authenticateToken(db, token);
    if (!user) throw new NotAuthenticatedError('The token is invalid or has been revoked.', 'invalid_token');
    request.user = user;
  };
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
