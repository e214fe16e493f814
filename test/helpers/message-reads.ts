import { sql } from 'drizzle-orm';
import { rowsOf, type Database } from '../../src/db/client.js';
import { conversations, users } from '../../src/db/schema/index.js';

/**
 * For the tests of reads that must not grow with the messages around them: a business, and the
 * rows a read fetches from messages.
 */

/** The business "rosa" (u-rosa) with API conversations c-0 … c-`last`, customer-0 … customer-`last`. */
export async function seedConversations(db: Database, last: number): Promise<void> {
  await db.insert(users).values({ id: 'u-rosa', username: 'rosa', email: 'rosa@example.com', passwordHash: 'x' });
  await db.execute(sql`
    insert into conversations (id, user_id, channel, customer_id, status)
    select 'c-' || g, 'u-rosa', 'api', 'customer-' || g, 'active' from generate_series(0, ${last}) g`);
}

/** The business "rosa" (u-rosa) with one conversation, c-ana, of the customer "ana" on `channel`. */
export async function seedAna(db: Database, channel: 'api' | 'telegram'): Promise<void> {
  await db.insert(users).values({ id: 'u-rosa', username: 'rosa', email: 'rosa@example.com', passwordHash: 'x' });
  await db
    .insert(conversations)
    .values({ id: 'c-ana', userId: 'u-rosa', channel, customerId: 'ana', status: 'active' });
}

/** What `read` answers, and the rows it fetched from messages through an index (bitmap scans included). */
export async function messagesFetchedBy<T>(
  db: Database,
  read: (tx: Database) => Promise<T>,
): Promise<{ result: T; fetched: number }> {
  // PostgreSQL's counters of the transaction so far: the read runs in one of its own.
  const fetchedSoFar = async (tx: Database) => {
    const [row] = rowsOf<{ fetched: number | string }>(
      await tx.execute(sql`select idx_tup_fetch as fetched from pg_stat_xact_user_tables where relname = 'messages'`),
    );
    return Number(row?.fetched);
  };
  return db.transaction(async (tx) => {
    const before = await fetchedSoFar(tx);
    const result = await read(tx);
    return { result, fetched: (await fetchedSoFar(tx)) - before };
  });
}
