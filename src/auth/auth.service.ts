import {
  BadRequestError,
  ConflictError,
  NotAuthenticatedError,
  NotFoundError,
  ValidationError,
  type FieldErrors,
} from '../kernel/errors.js';
import { randomId } from '../kernel/ids.js';
import { DEFAULT_SIGN_IN_TOKEN_DAYS } from '../kernel/config.js';
import type { Database } from '../db/client.js';
import type { ReplyHandler } from '../db/schema/index.js';
import type { TokenRevocations } from '../events/revocations.js';
import {
  deleteOwnToken,
  deleteTokenById,
  findLiveTokenIds,
  findTokenBySelector,
  listUserTokens,
  findUserByUsername,
  insertApiToken,
  insertUser,
  touchToken,
  updateDefaultReplyHandler,
  updatePasswordHash,
  type TokenSummary,
  type User,
} from './auth.repo.js';
import type { AuthUser } from './auth-user.js';
import { credentialCache as tokenCache } from './credential-cache.js';
import { burnPasswordCheck, hashPassword, needsRehash, passwordProblemSentences, verifyPassword } from './password.js';
import type { SignInGuard } from './sign-in-guard.js';
import { generateToken, hashToken, tokenMatches, tokenSelector } from './tokens.js';

export type { AuthUser };

export type { TokenSummary };

export interface NewUser {
  username: string;
  email?: string | undefined;
  /** Omitted: the account signs in with tokens only. */
  password?: string | undefined;
  isAdmin?: boolean | undefined;
}

export const USERNAME_PATTERN = /^[\w.@+-]{1,150}$/;
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** How stale `last_used_at` may get before a request refreshes it; saves a write per request. */
const LAST_USED_RESOLUTION_MS = 60_000;
const DAY_MS = 86_400_000;

/**
 * A name already taken (whatever its case) is said first: fixing the password
 * of an account that cannot be created would be wasted effort.
 */
export async function createUser(db: Database, input: NewUser): Promise<User> {
  const existing = await findUserByUsername(db, input.username);
  if (existing) throw userExists(input.username, existing.username);

  const errors: FieldErrors = {};
  if (!USERNAME_PATTERN.test(input.username)) {
    errors.username = ['Use 1 to 150 letters, digits and @ . + - _ only.'];
  }
  const email = input.email?.trim() ?? '';
  if (email !== '' && !EMAIL_PATTERN.test(email)) errors.email = ['Enter a valid email address.'];
  if (input.password !== undefined) {
    const problems = passwordProblemSentences(input.password);
    if (problems.length > 0) errors.password = problems;
  }
  if (Object.keys(errors).length > 0) throw new ValidationError(errors);

  const passwordHash = input.password === undefined ? null : await hashPassword(input.password);
  const created = await insertUser(db, {
    id: randomId(16),
    username: input.username,
    email,
    passwordHash,
    isAdmin: input.isAdmin ?? false,
  });
  // Taken meanwhile (the hash takes a while): the same answer as above.
  if (!created) {
    throw userExists(input.username, (await findUserByUsername(db, input.username))?.username ?? input.username);
  }
  return created;
}

function userExists(asked: string, stored: string): ConflictError {
  return new ConflictError(
    asked === stored
      ? `A user named "${stored}" already exists.`
      : `A user named "${stored}" already exists (usernames are the same whatever their case).`,
    'user_exists',
  );
}

export async function findUser(db: Database, username: string): Promise<User | undefined> {
  return findUserByUsername(db, username);
}

export async function createApiToken(
  db: Database,
  userId: string,
  name: string,
  options: { expiresAt?: Date | null } = {},
): Promise<string> {
  return (await issueToken(db, userId, name, options.expiresAt ?? null)).token;
}

/** A new token and what its owner may see of it: the token itself is shown this once. */
export async function issueToken(
  db: Database,
  userId: string,
  name: string,
  expiresAt: Date | null,
): Promise<{ token: string; summary: TokenSummary }> {
  const { token, selector, hash } = generateToken();
  const summary = await insertApiToken(db, { id: randomId(16), userId, selector, tokenHash: hash, name, expiresAt });
  return { token, summary };
}

/**
 * Exchanges a username and password for a new token that expires after
 * `ttlDays`. A hash made with weaker parameters than today's is replaced while
 * the password is at hand.
 */
export async function login(
  db: Database,
  username: string,
  password: string,
  ttlDays = DEFAULT_SIGN_IN_TOKEN_DAYS,
): Promise<string> {
  const user = await verifyCredentials(db, username, password);
  return createApiToken(db, user.id, 'sign-in', { expiresAt: new Date(Date.now() + ttlDays * DAY_MS) });
}

/**
 * The user whose password this is, or 401 `invalid_credentials`. A hash made
 * with weaker parameters than today's is replaced while the password is at hand.
 */
export async function verifyCredentials(db: Database, username: string, password: string): Promise<User> {
  const user = await findUser(db, username);
  if (!user?.passwordHash) {
    await burnPasswordCheck(password);
    throw invalidCredentials();
  }
  if (!(await verifyPassword(password, user.passwordHash))) throw invalidCredentials();
  if (needsRehash(user.passwordHash)) {
    await updatePasswordHash(db, user.id, user.passwordHash, await hashPassword(password));
  }
  return user;
}

/** `login` behind the username's lock-out: failures count towards it, a success clears it. */
export async function signIn(
  deps: { db: Database; guard: SignInGuard },
  username: string,
  password: string,
  ttlDays = DEFAULT_SIGN_IN_TOKEN_DAYS,
): Promise<string> {
  return withLockOut(deps.guard, username, () => login(deps.db, username, password, ttlDays));
}

/** Runs a password check behind the username's lock-out, shared by token and dashboard sign-in. */
export async function withLockOut<T>(guard: SignInGuard, username: string, check: () => Promise<T>): Promise<T> {
  const attempt = await guard.admit(username);
  let result: T;
  try {
    result = await check();
  } catch (error) {
    if (error instanceof NotAuthenticatedError) await attempt.failed();
    throw error;
  }
  await attempt.succeeded();
  return result;
}

function invalidCredentials() {
  return new NotAuthenticatedError('Unable to log in with the provided username and password.', 'invalid_credentials');
}

export async function authenticateToken(db: Database, token: string): Promise<AuthUser | undefined> {
  const selector = tokenSelector(token);
  if (!selector) return undefined;
  const key = hashToken(token);
  const hit = tokenCache.get(db, key);
  if (hit) return isExpired(hit.tokenExpiresAt) ? undefined : hit;
  const row = await findTokenBySelector(db, selector);
  if (!row || !tokenMatches(token, row.tokenHash) || isExpired(row.tokenExpiresAt)) return undefined;
  // Read on a cache miss only (every few seconds per busy token), written once a minute at most.
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    await touchToken(db, row.tokenId);
  }
  const { tokenHash: _hash, lastUsedAt: _lastUsed, ...user } = row;
  tokenCache.set(db, key, user);
  return user;
}

export function isExpired(expiresAt: Date | null, now = Date.now()): boolean {
  return expiresAt !== null && expiresAt.getTime() <= now;
}

/** A token as its owner and the operator see it: never the token or its hash. */
export function tokenView(token: TokenSummary) {
  return {
    id: token.id,
    name: token.name,
    created_at: token.createdAt.toISOString(),
    last_used_at: token.lastUsedAt?.toISOString() ?? null,
    expires_at: token.expiresAt?.toISOString() ?? null,
    expired: isExpired(token.expiresAt),
  };
}

/** The user's tokens, newest first, expired ones included (they can only be revoked). */
export async function listTokens(db: Database, userId: string): Promise<TokenSummary[]> {
  return listUserTokens(db, userId);
}

/**
 * Revokes the token a request presents (sign-out). With `revocations`, every
 * process closes the WebSockets opened with it.
 */
export async function revokeToken(db: Database, user: AuthUser, revocations?: TokenRevocations): Promise<void> {
  if (user.sessionId) {
    throw new BadRequestError(
      'This request is signed in with a dashboard session, not a token: sign out with DELETE /api/v1/auth/session/.',
      'not_a_token',
    );
  }
  await deleteOwnToken(db, user.id, user.tokenId);
  await forgetRevoked(db, [user.tokenId], revocations);
}

/** Revokes one of the user's own tokens by id; another user's id is not found, as an unknown one. */
export async function revokeOwnToken(
  db: Database,
  userId: string,
  tokenId: string,
  revocations: TokenRevocations,
): Promise<void> {
  if (!(await deleteOwnToken(db, userId, tokenId))) throw new NotFoundError('No such token.');
  await forgetRevoked(db, [tokenId], revocations);
}

/** Revokes any user's token by id (the operator's CLI); undefined when there is no such token. */
export async function revokeAnyToken(
  db: Database,
  tokenId: string,
  revocations: TokenRevocations,
): Promise<(TokenSummary & { username: string }) | undefined> {
  const revoked = await deleteTokenById(db, tokenId);
  if (revoked) await forgetRevoked(db, [tokenId], revocations);
  return revoked;
}

/**
 * Forgets tokens another process revoked. That process's own cache forgot
 * them at once; this narrows the window elsewhere from the cache's TTL to the
 * pub/sub's delivery.
 */
export function forgetTokens(db: Database, tokenIds: string[]): void {
  const ids = new Set(tokenIds);
  tokenCache.invalidateWhere(db, (cached) => ids.has(cached.tokenId));
}

/** Of these tokens, the ones still usable: not revoked, not expired. */
export async function liveTokenIds(db: Database, tokenIds: string[]): Promise<Set<string>> {
  return findLiveTokenIds(db, tokenIds);
}

async function forgetRevoked(db: Database, tokenIds: string[], revocations: TokenRevocations | undefined) {
  forgetTokens(db, tokenIds);
  await revocations?.announce(tokenIds);
}

export async function setDefaultReplyHandler(
  db: Database,
  userId: string,
  handler: ReplyHandler,
): Promise<ReplyHandler> {
  const updated = await updateDefaultReplyHandler(db, userId, handler);
  if (!updated) throw new NotFoundError('No such user.');
  tokenCache.invalidateWhere(db, (cached) => cached.id === userId);
  return updated;
}
