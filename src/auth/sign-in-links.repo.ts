import { and, eq, gt, isNull, lte, or, isNotNull, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { signInLinks, users } from '../db/schema/index.js';
import type { User } from './auth.repo.js';

export async function insertSignInLink(
  db: Database,
  values: { id: string; userId: string; tokenHash: string; minutes: number },
): Promise<Date> {
  const { minutes, ...row } = values;
  const [inserted] = await db
    .insert(signInLinks)
    .values({ ...row, expiresAt: sql`now() + ${minutes}::int * interval '1 minute'` })
    .returning({ expiresAt: signInLinks.expiresAt });
  return inserted!.expiresAt;
}

/**
 * Marks the link used and returns its user, in one statement so two clicks cannot both sign in;
 * undefined when the link is unknown, used or expired (by the database's clock).
 */
export async function redeemSignInLink(db: Database, tokenHash: string): Promise<User | undefined> {
  const [link] = await db
    .update(signInLinks)
    .set({ usedAt: sql`now()` })
    .where(and(eq(signInLinks.tokenHash, tokenHash), isNull(signInLinks.usedAt), gt(signInLinks.expiresAt, sql`now()`)))
    .returning({ userId: signInLinks.userId });
  if (!link) return undefined;
  const [user] = await db.select().from(users).where(eq(users.id, link.userId));
  return user;
}

/** The nightly cleanup: used and expired links sign no one in any more. */
export async function deleteSpentSignInLinks(db: Database): Promise<number> {
  const deleted = await db
    .delete(signInLinks)
    .where(or(isNotNull(signInLinks.usedAt), lte(signInLinks.expiresAt, sql`now()`)))
    .returning({ id: signInLinks.id });
  return deleted.length;
}
