import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { randomId } from '../kernel/ids.js';
import type { Database } from '../db/client.js';
import type { TokenRevocations } from '../events/revocations.js';
import type { User } from './auth.repo.js';
import { type AuthUser, verifyCredentials, withLockOut } from './auth.service.js';
import { credentialCache } from './credential-cache.js';
import {
  deleteExpiredSessions,
  deleteOwnSession,
  deleteSessionByHash,
  deleteUserSessions,
  findLiveSessionByHash,
  findLiveSessionIds,
  insertSession,
  listLiveSessions,
  touchSessions,
  type SessionLifetime,
  type SessionSummary,
} from './sessions.repo.js';
import type { SignInGuard } from './sign-in-guard.js';

/**
 * Dashboard sessions (issue #13): a browser signs in once and then carries an
 * opaque value in the `parley_session` cookie instead of a bearer token. Only
 * the value's SHA-256 is stored. The CSRF token is derived from the value
 * (HMAC keyed by it), so it needs no column, cannot be read from a database
 * dump, stays the same for the session's life, and does not change when
 * APP_SECRET is rotated.
 */
export const SESSION_COOKIE = 'parley_session';

/** Session ids never look like token ids (16 base62 characters), so both share the revocation channel. */
const SESSION_ID_PREFIX = 'ds_';
/** How stale `last_seen_at` may get before a request refreshes it; saves a write per request. */
const LAST_SEEN_RESOLUTION_MS = 60_000;
const CSRF_LABEL = 'parley dashboard csrf v1';
const MAX_USER_AGENT = 512;

/** PARLEY_DASHBOARD_IDLE_HOURS and PARLEY_DASHBOARD_MAX_DAYS. */
export type SessionOptions = SessionLifetime;
export type { SessionSummary };

export interface StartedSession {
  /** The cookie's value: handed to the browser once, never stored. */
  value: string;
  user: AuthUser;
  csrfToken: string;
}

export function isSessionId(id: string): boolean {
  return id.startsWith(SESSION_ID_PREFIX);
}

function hashValue(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

export function csrfTokenFor(value: string): string {
  return createHmac('sha256', value).update(CSRF_LABEL).digest('base64url');
}

export function csrfTokenMatches(value: string, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  const expected = Buffer.from(csrfTokenFor(value));
  const given = Buffer.from(presented);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** What a new session needs besides its user: the browser, and the session its cookie held before. */
export interface SessionStart {
  userAgent: string | undefined;
  /** The cookie's value before this sign-in, if any: that session ends. */
  previous?: string | undefined;
}

export interface SessionDeps {
  db: Database;
  /** Where the replaced session's end is announced, so its sockets close on every server. */
  revocations?: TokenRevocations | undefined;
}

/** Signs in with a username and password, behind the same lock-out as token sign-in. */
export async function startSession(
  deps: SessionDeps & { guard: SignInGuard },
  credentials: SessionStart & { username: string; password: string },
  options: SessionOptions,
): Promise<StartedSession> {
  const user = await withLockOut(deps.guard, credentials.username, () =>
    verifyCredentials(deps.db, credentials.username, credentials.password),
  );
  return openSession(deps, user, credentials, options);
}

/**
 * A new session for a user whose identity is already proven (a password, a one-time link).
 * The session the browser's cookie held before, if any, ends: the new cookie replaces it, so
 * nothing could use it again, and it would only linger until it expired.
 */
export async function openSession(
  deps: SessionDeps,
  user: User,
  start: SessionStart,
  options: SessionOptions,
): Promise<StartedSession> {
  const value = randomBytes(32).toString('base64url');
  const sessionId = `${SESSION_ID_PREFIX}${randomId(16)}`;
  await insertSession(deps.db, {
    id: sessionId,
    userId: user.id,
    tokenHash: hashValue(value),
    userAgent: start.userAgent?.slice(0, MAX_USER_AGENT) ?? null,
    lifetime: options,
  });
  if (start.previous !== undefined) {
    const replaced = await deleteSessionByHash(deps.db, hashValue(start.previous));
    if (replaced) await forgetSessions(deps.db, [replaced], deps.revocations);
  }
  return {
    value,
    csrfToken: csrfTokenFor(value),
    user: {
      id: user.id,
      username: user.username,
      email: user.email,
      isAdmin: user.isAdmin,
      defaultReplyHandler: user.defaultReplyHandler,
      tokenId: sessionId,
      tokenExpiresAt: null,
      sessionId,
    },
  };
}

/**
 * The user a session cookie's value belongs to; undefined when it is unknown,
 * ended or idle too long. Using it moves its expiry forward (written at most
 * once a minute). A cached session may outlive its idle expiry by the cache's
 * few seconds; an ended one is forgotten at once.
 */
export async function authenticateSession(
  db: Database,
  value: string,
  options: SessionOptions,
): Promise<AuthUser | undefined> {
  const key = `session:${hashValue(value)}`;
  const hit = credentialCache.get(db, key);
  if (hit) return hit;
  const row = await findLiveSessionByHash(db, hashValue(value), options);
  if (!row) return undefined;
  if (Date.now() - row.lastSeenAt.getTime() > LAST_SEEN_RESOLUTION_MS) {
    await touchSessions(db, [row.sessionId], options);
  }
  const { sessionId, lastSeenAt: _lastSeen, ...person } = row;
  const user: AuthUser = { ...person, tokenId: sessionId, tokenExpiresAt: null, sessionId };
  credentialCache.set(db, key, user);
  return user;
}

/** Sign-out: the session stops working here at once, and its WebSockets close on every process. */
export async function endSession(
  db: Database,
  user: AuthUser,
  revocations: TokenRevocations | undefined,
): Promise<void> {
  if (!user.sessionId) return;
  await deleteOwnSession(db, user.id, user.sessionId);
  await forgetSessions(db, [user.sessionId], revocations);
}

/**
 * Ends every dashboard session of the user but `keep` (every one without it),
 * at once on every process, their WebSockets included. How many ended.
 */
export async function endUserSessions(
  db: Database,
  userId: string,
  revocations: TokenRevocations | undefined,
  keep?: string,
): Promise<number> {
  const ended = await deleteUserSessions(db, userId, keep);
  await forgetSessions(db, ended, revocations);
  return ended.length;
}

/** The user's sessions still usable, most recently used first. */
export async function listSessions(db: Database, userId: string, options: SessionOptions): Promise<SessionSummary[]> {
  return listLiveSessions(db, userId, options);
}

/** Ended sessions stop working here at once, and their sockets close on every process. */
async function forgetSessions(db: Database, sessionIds: string[], revocations: TokenRevocations | undefined) {
  if (sessionIds.length === 0) return;
  const ended = new Set(sessionIds);
  credentialCache.invalidateWhere(db, (cached) => ended.has(cached.tokenId));
  await revocations?.announce(sessionIds);
}

/**
 * Of these sessions, the ones still usable. Sessions with a WebSocket open
 * are in use, so they are marked seen, and a dashboard left open to watch
 * does not expire.
 */
export async function keepLiveSessions(db: Database, sessionIds: string[], options: SessionOptions) {
  const live = await findLiveSessionIds(db, sessionIds, options);
  await touchSessions(db, [...live], options);
  return live;
}

/** The nightly cleanup: sessions idle too long or too old are deleted (they are refused already). */
export async function deleteIdleSessions(db: Database, options: SessionOptions): Promise<number> {
  return deleteExpiredSessions(db, options);
}

/** `Set-Cookie` for a new session: no Max-Age, as the server decides when it ends. */
export function sessionCookie(value: string, secure: boolean): string {
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}

export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0${secure ? '; Secure' : ''}`;
}

/** The `parley_session` value of a Cookie header, if any (the first, as browsers send the most specific first). */
export function sessionFromCookieHeader(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const pair of header.split(';')) {
    const index = pair.indexOf('=');
    if (index < 0 || pair.slice(0, index).trim() !== SESSION_COOKIE) continue;
    const value = pair.slice(index + 1).trim();
    return value === '' ? undefined : value;
  }
  return undefined;
}

/**
 * Whether a browser's Origin is this server's own: PUBLIC_URL's origin, or
 * the Host the request was sent to (the dashboard served by this server).
 */
export function isOwnOrigin(origin: string, publicUrl: string, host: string | undefined): boolean {
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false;
  }
  if (parsed.origin === 'null') return false;
  if (parsed.origin === new URL(publicUrl).origin) return true;
  return host !== undefined && parsed.host === host;
}
