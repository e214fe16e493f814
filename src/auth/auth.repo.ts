import { and, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
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
  tokenExpiresAt: Date | null;
  id: string;
  username: string;
  email: string;
  isAdmin: boolean;
  defaultReplyHandler: ReplyHandler;
}

/**
 * Usernames compare without regard to case, as the unique index on
 * lower(username) does (so the index serves the lookup too).
 */
export const usernameIs = (username: string): SQL => sql`lower(${users.username}) = lower(${username})`;

/** Undefined when the username is taken, whatever its case. */
export async function insertUser(db: Database, values: NewUserRow): Promise<User | undefined> {
  // No conflict target: the one that can conflict is the index on lower(username) (ids are random).
  const [created] = await db.insert(users).values(values).onConflictDoNothing().returning();
  return created;
}

/** The user of that name, whatever the case it is typed in. */
export async function findUserByUsername(db: Database, username: string): Promise<User | undefined> {
  const [user] = await db.select().from(users).where(usernameIs(username)).limit(1);
  return user;
}

export async function insertApiToken(db: Database, values: NewApiTokenRow): Promise<TokenSummary> {
  const [created] = await db.insert(apiTokens).values(values).returning(summaryColumns);
  return created!;
}

export async function findTokenBySelector(db: Database, selector: string): Promise<TokenWithUser | undefined> {
  const [row] = await db
    .select({
      tokenId: apiTokens.id,
      tokenHash: apiTokens.tokenHash,
      lastUsedAt: apiTokens.lastUsedAt,
      tokenExpiresAt: apiTokens.expiresAt,
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

/** What a token's owner may see of it: never the token or its hash. */
export interface TokenSummary {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
}

const summaryColumns = {
  id: apiTokens.id,
  name: apiTokens.name,
  createdAt: apiTokens.createdAt,
  lastUsedAt: apiTokens.lastUsedAt,
  expiresAt: apiTokens.expiresAt,
};

/** Newest first. */
export async function listUserTokens(db: Database, userId: string): Promise<TokenSummary[]> {
  return db
    .select(summaryColumns)
    .from(apiTokens)
    .where(eq(apiTokens.userId, userId))
    .orderBy(desc(apiTokens.createdAt), desc(apiTokens.id));
}

/** Only the user's own token: another user's id deletes nothing. True when a token was deleted. */
export async function deleteOwnToken(db: Database, userId: string, tokenId: string): Promise<boolean> {
  const deleted = await db
    .delete(apiTokens)
    .where(and(eq(apiTokens.id, tokenId), eq(apiTokens.userId, userId)))
    .returning({ id: apiTokens.id });
  return deleted.length > 0;
}

/** Any user's token, for the operator's CLI. Undefined when there is no such token. */
export async function deleteTokenById(
  db: Database,
  tokenId: string,
): Promise<(TokenSummary & { username: string }) | undefined> {
  const [deleted] = await db
    .delete(apiTokens)
    .where(eq(apiTokens.id, tokenId))
    .returning({
      ...summaryColumns,
      userId: apiTokens.userId,
    });
  if (!deleted) return undefined;
  const [owner] = await db.select({ username: users.username }).from(users).where(eq(users.id, deleted.userId));
  const { userId: _userId, ...summary } = deleted;
  return { ...summary, username: owner?.username ?? '' };
}

/**
 * Of the given tokens, those that can still be used (not deleted, not
 * expired): what open WebSockets check against now and then.
 */
export async function findLiveTokenIds(db: Database, tokenIds: string[]): Promise<Set<string>> {
  if (tokenIds.length === 0) return new Set();
  const rows = await db
    .select({ id: apiTokens.id })
    .from(apiTokens)
    .where(
      and(inArray(apiTokens.id, tokenIds), sql`(${apiTokens.expiresAt} is null or ${apiTokens.expiresAt} > now())`),
    );
  return new Set(rows.map((row) => row.id));
}

/** Sets a new password, whatever the hash was (the person proved they knew the current one). */
export async function setPasswordHash(db: Database, userId: string, hash: string): Promise<void> {
  await db
    .update(users)
    .set({ passwordHash: hash, updatedAt: sql`now()` })
    .where(eq(users.id, userId));
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
