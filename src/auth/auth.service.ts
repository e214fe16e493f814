import {
  ConflictError,
  NotAuthenticatedError,
  NotFoundError,
  ValidationError,
  type FieldErrors,
} from '../kernel/errors.js';
import { randomId } from '../kernel/ids.js';
import { perDatabaseCache } from '../db/cache.js';
import type { Database } from '../db/client.js';
import type { ReplyHandler } from '../db/schema/index.js';
import {
  deleteOwnToken,
  findTokenBySelector,
  findUserByUsername,
  insertApiToken,
  insertUser,
  touchToken,
  updateDefaultReplyHandler,
  updatePasswordHash,
  type User,
} from './auth.repo.js';
import { burnPasswordCheck, hashPassword, needsRehash, passwordProblems, verifyPassword } from './password.js';
import type { SignInGuard } from './sign-in-guard.js';
import { generateToken, hashToken, tokenMatches, tokenSelector } from './tokens.js';

export interface AuthUser {
  id: string;
  username: string;
  email: string;
  isAdmin: boolean;
  defaultReplyHandler: ReplyHandler;
  /** The token this request was authenticated with. */
  tokenId: string;
}

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

/**
 * Tokens are checked on every request, so a verified one is remembered for a
 * few seconds. Revoking it, or changing its user, forgets it at once in this
 * process; another process sees the change within the TTL.
 */
const tokenCache = perDatabaseCache<AuthUser>({ ttlMs: 5_000, maxEntries: 10_000 });

export async function createUser(db: Database, input: NewUser): Promise<User> {
  const errors: FieldErrors = {};
  if (!USERNAME_PATTERN.test(input.username)) {
    errors.username = ['Use 1 to 150 letters, digits and @ . + - _ only.'];
  }
  const email = input.email?.trim() ?? '';
  if (email !== '' && !EMAIL_PATTERN.test(email)) errors.email = ['Enter a valid email address.'];
  if (input.password !== undefined) {
    const problems = passwordProblems(input.password);
    if (problems.length > 0) errors.password = problems.map((p) => `The password ${p}.`);
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
  if (!created) throw new ConflictError(`A user named "${input.username}" already exists.`, 'user_exists');
  return created;
}

export async function findUser(db: Database, username: string): Promise<User | undefined> {
  return findUserByUsername(db, username);
}

export async function createApiToken(db: Database, userId: string, name: string): Promise<string> {
  const { token, selector, hash } = generateToken();
  await insertApiToken(db, { id: randomId(16), userId, selector, tokenHash: hash, name });
  return token;
}

/**
 * Exchanges a username and password for a new token. A hash made with weaker
 * parameters than today's is replaced while the password is at hand.
 */
export async function login(db: Database, username: string, password: string): Promise<string> {
  const user = await findUser(db, username);
  if (!user?.passwordHash) {
    await burnPasswordCheck(password);
    throw invalidCredentials();
  }
  if (!(await verifyPassword(password, user.passwordHash))) throw invalidCredentials();
  if (needsRehash(user.passwordHash)) {
    await updatePasswordHash(db, user.id, user.passwordHash, await hashPassword(password));
  }
  return createApiToken(db, user.id, 'login');
}

/** `login` behind the username's lock-out: failures count towards it, a success clears it. */
export async function signIn(
  deps: { db: Database; guard: SignInGuard },
  username: string,
  password: string,
): Promise<string> {
  const attempt = await deps.guard.admit(username);
  let token: string;
  try {
    token = await login(deps.db, username, password);
  } catch (error) {
    if (error instanceof NotAuthenticatedError) await attempt.failed();
    throw error;
  }
  await attempt.succeeded();
  return token;
}

function invalidCredentials() {
  return new NotAuthenticatedError('Unable to log in with the provided username and password.', 'invalid_credentials');
}

export async function authenticateToken(db: Database, token: string): Promise<AuthUser | undefined> {
  const selector = tokenSelector(token);
  if (!selector) return undefined;
  const key = hashToken(token);
  const hit = tokenCache.get(db, key);
  if (hit) return hit;
  const row = await findTokenBySelector(db, selector);
  if (!row || !tokenMatches(token, row.tokenHash)) return undefined;
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    await touchToken(db, row.tokenId);
  }
  const { tokenHash: _hash, lastUsedAt: _lastUsed, ...user } = row;
  tokenCache.set(db, key, user);
  return user;
}

export async function revokeToken(db: Database, user: AuthUser): Promise<void> {
  await deleteOwnToken(db, user.id, user.tokenId);
  tokenCache.invalidateWhere(db, (cached) => cached.tokenId === user.tokenId);
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
