import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { apiTokens, users, type ReplyHandler } from '../db/schema/index.js';

export type User = typeof users.$inferSelect;
export type NewUserRow = Pick<typeof users.$inferInsert, 'id' | 'username' | 'email' | 'passwordHash' | 'isAdmin'>;
export type NewApiTokenRow = Omit<typeof apiTokens.$inferInsert, 'createdAt' | 'lastUsedAt'>;

/** A token row with its user, as a request authenticated by it needs them. */
export interface TokenWithUser {
  tokenId: string;
  tokenHash: string;
  lastUsedAt: Date | null;
  id: string;
  username: string;
  email: string;
  isAdmin: boolean;
  defaultReplyHandler: ReplyHandler;
}

/** Undefined when the username is taken. */
export async function insertUser(db: Database, values: NewUserRow): Promise<User | undefined> {
  const [created] = await db.insert(users).values(values).onConflictDoNothing({ target: users.username }).returning();
  return created;
}

export async function findUserByUsername(db: Database, username: string): Promise<User | undefined> {
  const [user] = await db.select().from(users).where(eq(users.username, username)).limit(1);
  return user;
}

export async function insertApiToken(db: Database, values: NewApiTokenRow): Promise<void> {
  await db.insert(apiTokens).values(values);
}

export async function findTokenBySelector(db: Database, selector: string): Promise<TokenWithUser | undefined> {
  const [row] = await db
    .select({
      tokenId: apiTokens.id,
      tokenHash: apiTokens.tokenHash,
      lastUsedAt: apiTokens.lastUsedAt,
      id: users.id,
      username: users.username,
      email: users.email,
      isAdmin: users.isAdmin,
      defaultReplyHandler: users.defaultReplyHandler,
    })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(eq(apiTokens.selector, selector))
    .limit(1);
  return row;
}

export async function touchToken(db: Database, tokenId: string): Promise<void> {
  await db
    .update(apiTokens)
    .set({ lastUsedAt: sql`now()` })
    .where(eq(apiTokens.id, tokenId));
}

/** Only the user's own token: another user's id deletes nothing. */
export async function deleteOwnToken(db: Database, userId: string, tokenId: string): Promise<void> {
  await db.delete(apiTokens).where(and(eq(apiTokens.id, tokenId), eq(apiTokens.userId, userId)));
}

/** Replaces a password hash, unless it changed since it was read (a new password wins over an upgrade). */
export async function updatePasswordHash(db: Database, userId: string, previous: string, next: string): Promise<void> {
  await db
    .update(users)
    .set({ passwordHash: next, updatedAt: sql`now()` })
    .where(and(eq(users.id, userId), eq(users.passwordHash, previous)));
}

/** Undefined when there is no such user. */
export async function updateDefaultReplyHandler(
  db: Database,
  userId: string,
  handler: ReplyHandler,
): Promise<ReplyHandler | undefined> {
  const [updated] = await db
    .update(users)
    .set({ defaultReplyHandler: handler, updatedAt: sql`now()` })
    .where(eq(users.id, userId))
    .returning({ handler: users.defaultReplyHandler });
  return updated?.handler;
}
