import { and, eq, inArray, lte, sql } from 'drizzle-orm';
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

/** The database's clock decides expiry, so every process agrees on it. */
const idleUntil = (idleHours: number) => sql`now() + ${idleHours}::int * interval '1 hour'`;

export async function insertSession(
  db: Database,
  values: { id: string; userId: string; tokenHash: string; userAgent: string | null; idleHours: number },
): Promise<void> {
  const { idleHours, ...row } = values;
  await db.insert(dashboardSessions).values({ ...row, expiresAt: idleUntil(idleHours) });
}

/** Undefined for an unknown, ended or expired session. */
export async function findLiveSessionByHash(db: Database, tokenHash: string): Promise<SessionWithUser | undefined> {
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
    .where(and(eq(dashboardSessions.tokenHash, tokenHash), sql`${dashboardSessions.expiresAt} > now()`))
    .limit(1);
  return row;
}

/** Marks the sessions used now, moving their expiry forward; those marked within the minute are left alone. */
export async function touchSessions(db: Database, sessionIds: string[], idleHours: number): Promise<void> {
  if (sessionIds.length === 0) return;
  await db
    .update(dashboardSessions)
    .set({ lastSeenAt: sql`now()`, expiresAt: idleUntil(idleHours) })
    .where(
      and(
        inArray(dashboardSessions.id, sessionIds),
        sql`${dashboardSessions.expiresAt} > now()`,
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
export async function findLiveSessionIds(db: Database, sessionIds: string[]): Promise<Set<string>> {
  if (sessionIds.length === 0) return new Set();
  const rows = await db
    .select({ id: dashboardSessions.id })
    .from(dashboardSessions)
    .where(and(inArray(dashboardSessions.id, sessionIds), sql`${dashboardSessions.expiresAt} > now()`));
  return new Set(rows.map((row) => row.id));
}

/** How many expired sessions were deleted. */
export async function deleteExpiredSessions(db: Database): Promise<number> {
  const deleted = await db
    .delete(dashboardSessions)
    .where(lte(dashboardSessions.expiresAt, sql`now()`))
    .returning({ id: dashboardSessions.id });
  return deleted.length;
}
