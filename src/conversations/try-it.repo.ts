import { and, eq } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { conversations } from '../db/schema/index.js';
import type { Conversation } from './conversations.repo.js';

/**
 * The owner's test conversation ("Try it" in the dashboard): at most one per
 * business (a partial unique index), on the API channel, always flagged
 * `is_test` so the inbox, the sessions list and the statistics leave it out.
 */

export async function findTestConversation(db: Database, userId: string): Promise<Conversation | undefined> {
  const [found] = await db
    .select()
    .from(conversations)
    .where(and(eq(conversations.userId, userId), eq(conversations.isTest, true)))
    .limit(1);
  return found;
}

/** The new test conversation, or undefined when a concurrent request created the business's first. */
export async function insertTestConversation(
  db: Database,
  values: { id: string; userId: string; customerId: string; customerName: string },
): Promise<Conversation | undefined> {
  const [created] = await db
    .insert(conversations)
    .values({ ...values, channel: 'api', status: 'active', isTest: true })
    .onConflictDoNothing()
    .returning();
  return created;
}

/** Deletes the business's test conversation with its messages and handovers; true when there was one. */
export async function deleteTestConversation(db: Database, userId: string): Promise<boolean> {
  const deleted = await db
    .delete(conversations)
    .where(and(eq(conversations.userId, userId), eq(conversations.isTest, true)))
    .returning({ id: conversations.id });
  return deleted.length > 0;
}
