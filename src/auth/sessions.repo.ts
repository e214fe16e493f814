import { and, desc, eq, inArray, ne, not, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { dashboardSessions, users, type ReplyHandler } from '../db/schema/index.js';

/** A live session with its user, as a request authenticated by it needs them. */
export interface SessionWithUser {
  sessionId: string;
  lastSeenAt: Date;
  id: string;
  username: string;
  email: string;
  isAdmin: boolean;
  defaultReplyHandler: ReplyHandler;
}

/** How long a session may go unused, and how long it may last however much it is used. */
export interface SessionLifetime {
  idleHours: number;
  maxDays: number;
}

/**
 * The database's clock decides expiry, so every process agrees on it. A
 * session expires when it has been idle too long or is too old, whichever
 * comes first; `expires_at` holds the earlier of the two, so the cleanup
 * needs only that column.
 */
const expiresAfterUse = ({ idleHours, maxDays }: SessionLifetime, createdAt: SQL = sql`now()`) =>
  sql`least(now() + ${idleHours}::int * interval '1 hour', ${createdAt} + ${maxDays}::int * interval '1 day')`;

/** Live: neither idle past its expiry nor older than the lifetime allowed now (which may have been lowered since). */
const isLive = ({ maxDays }: SessionLifetime) =>
  sql`(${dashboardSessions.expiresAt} > now() and ${dashboardSessions.createdAt} > now() - ${maxDays}::int * interval '1 day')`;

export async function insertSession(
  db: Database,
  values: { id: string; userId: string; tokenHash: string; userAgent: string | null; lifetime: SessionLifetime },
): Promise<void> {
  const { lifetime, ...row } = values;
  await db.insert(dashboardSessions).values({ ...row, expiresAt: expiresAfterUse(lifetime) });
}

/** Undefined for an unknown, ended or expired session. */
export async function findLiveSessionByHash(
  db: Database,
  tokenHash: string,
  lifetime: SessionLifetime,
): Promise<SessionWithUser | undefined> {
  const [row] = await db
    .select({
      sessionId: dashboardSessions.id,
      lastSeenAt: dashboardSessions.lastSeenAt,
      id: users.id,
      username: users.username,
      email: users.email,
      isAdmin: users.isAdmin,
      defaultReplyHandler: users.defaultReplyHandler,
    })
    .from(dashboardSessions)
    .innerJoin(users, eq(users.id, dashboardSessions.userId))
    .where(and(eq(dashboardSessions.tokenHash, tokenHash), isLive(lifetime)))
    .limit(1);
  return row;
}

/** Marks the sessions used now, moving their expiry forward; those marked within the minute are left alone. */
export async function touchSessions(db: Database, sessionIds: string[], lifetime: SessionLifetime): Promise<void> {
  if (sessionIds.length === 0) return;
  await db
    .update(dashboardSessions)
    .set({ lastSeenAt: sql`now()`, expiresAt: expiresAfterUse(lifetime, sql`${dashboardSessions.createdAt}`) })
    .where(
      and(
        inArray(dashboardSessions.id, sessionIds),
        isLive(lifetime),
        sql`${dashboardSessions.lastSeenAt} < now() - interval '1 minute'`,
      ),
    );
}

/** Only the user's own session. True when one was deleted. */
export async function deleteOwnSession(db: Database, userId: string, sessionId: string): Promise<boolean> {
  const deleted = await db
    .delete(dashboardSessions)
    .where(and(eq(dashboardSessions.id, sessionId), eq(dashboardSessions.userId, userId)))
    .returning({ id: dashboardSessions.id });
  return deleted.length > 0;
}

/** Of these sessions, the ones not ended and not expired. */
export async function findLiveSessionIds(
  db: Database,
  sessionIds: string[],
  lifetime: SessionLifetime,
): Promise<Set<string>> {
  if (sessionIds.length === 0) return new Set();
  const rows = await db
    .select({ id: dashboardSessions.id })
    .from(dashboardSessions)
    .where(and(inArray(dashboardSessions.id, sessionIds), isLive(lifetime)));
  return new Set(rows.map((row) => row.id));
}

/** How many expired sessions were deleted. */
export async function deleteExpiredSessions(db: Database, lifetime: SessionLifetime): Promise<number> {
  const deleted = await db
    .delete(dashboardSessions)
    .where(not(isLive(lifetime)))
    .returning({ id: dashboardSessions.id });
  return deleted.length;
}

/** The session a cookie's value names, whoever it belongs to; its id when there was one. */
export async function deleteSessionByHash(db: Database, tokenHash: string): Promise<string | undefined> {
  const [deleted] = await db
    .delete(dashboardSessions)
    .where(eq(dashboardSessions.tokenHash, tokenHash))
    .returning({ id: dashboardSessions.id });
  return deleted?.id;
}

/** Every session of the user but `keep` (all with none); the ids of those deleted. */
export async function deleteUserSessions(db: Database, userId: string, keep?: string): Promise<string[]> {
  const deleted = await db
    .delete(dashboardSessions)
    .where(and(eq(dashboardSessions.userId, userId), keep === undefined ? undefined : ne(dashboardSessions.id, keep)))
    .returning({ id: dashboardSessions.id });
  return deleted.map((row) => row.id);
}

export interface SessionSummary {
  id: string;
  userAgent: string | null;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
}

/** The user's live sessions, most recently used first. */
export async function listLiveSessions(
  db: Database,
  userId: string,
  lifetime: SessionLifetime,
): Promise<SessionSummary[]> {
  return db
    .select({
      id: dashboardSessions.id,
      userAgent: dashboardSessions.userAgent,
      createdAt: dashboardSessions.createdAt,
      lastSeenAt: dashboardSessions.lastSeenAt,
      expiresAt: dashboardSessions.expiresAt,
    })
    .from(dashboardSessions)
    .where(and(eq(dashboardSessions.userId, userId), isLive(lifetime)))
    .orderBy(desc(dashboardSessions.lastSeenAt), desc(dashboardSessions.id));
}
