import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messagesAfter } from '../../src/conversations/inbox.repo.js';
import { rowsOf, type Database } from '../../src/db/client.js';
import { users } from '../../src/db/schema/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { messagesFetchedBy, seedConversations } from '../helpers/message-reads.js';

/**
 * A dashboard that reconnects asks for the business's messages after the last one it had
 * (`GET /api/v1/conversations/sync/`). Rosa's dashboard was away while Ivan's business, on the same
 * server, wrote 6,000 messages: catching up must not walk all of them (migration 0026).
 */
let database: TestDatabase;
let db: Database;
/** The last message Rosa's dashboard had. */
let cursor = 0;
const IVAN = 6_000;

/** The seq of the message with this id. */
async function seqOf(id: string): Promise<number> {
  const [row] = rowsOf<{ seq: number | string }>(await db.execute(sql`select seq from messages where id = ${id}`));
  return Number(row?.seq);
}

/** A business's sync after `after`, as a server that has run it before runs it (prepared, planned generically). */
async function syncAfter(userId: string, after: number, limit: number) {
  for (let run = 0; run < 6; run++) await messagesAfter(db, userId, after, limit);
  return messagesFetchedBy(db, (tx) => messagesAfter(tx, userId, after, limit));
}
const rosaAfter = (after: number, limit: number) => syncAfter('u-rosa', after, limit);

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.handle.db;
  await seedConversations(db, 20);
  await db.execute(sql`insert into conversations (id, user_id, channel, customer_id, status, is_test)
    values ('t-rosa', 'u-rosa', 'api', 'rosa-trying', 'active', true)`);
  await db.insert(users).values({ id: 'u-ivan', username: 'ivan', email: 'ivan@example.com', passwordHash: 'x' });
  await db.execute(sql`insert into conversations (id, user_id, channel, customer_id, status)
    select 'd-' || g, 'u-ivan', 'api', 'customer-' || g, 'active' from generate_series(1, 600) g`);
  await db.execute(sql`insert into messages (id, conversation_id, type, text)
    select 'seen-' || g, 'c-' || (g % 20), 'customer', 'Seen (' || g || ')' from generate_series(1, 400) g`);
  cursor = await seqOf('seen-400');
  const rosa = (id: string, conversation: string, text: string) =>
    db.execute(
      sql`insert into messages (id, conversation_id, type, text) values (${id}, ${conversation}, 'customer', ${text})`,
    );
  await rosa('early', 'c-5', 'Early');
  await db.execute(sql`insert into messages (id, conversation_id, type, text)
    select 'ivan-' || g, 'd-' || (1 + g % 600), 'customer', 'Ivan (' || g || ')' from generate_series(1, ${IVAN}) g`);
  await rosa('late-1', 'c-1', 'Late (1)');
  await rosa('trying', 't-rosa', 'Does the AI know our hours?');
  await rosa('late-2', 'c-2', 'Late (2)');
  await rosa('late-3', 'c-3', 'Late (3)');
  await db.execute(sql`analyze`);
});
afterAll(() => database.drop());

describe("a dashboard catching up while another business's customers wrote", () => {
  it("gets its business's messages since, oldest first, reading at most 1,000 of the others'", async () => {
    const { result, fetched } = await rosaAfter(cursor, 100);
    expect(result.messages.map((m) => m.text)).toEqual(['Early', 'Late (1)', 'Late (2)', 'Late (3)']);
    expect(result.messages.map((m) => m.conversationId)).toEqual(['c-5', 'c-1', 'c-2', 'c-3']);
    expect(result.hasMore).toBe(false);
    expect(fetched).toBeGreaterThanOrEqual(4);
    // Before: every one of Ivan's 6,000, in seq order, on PostgreSQL.
    expect(fetched).toBeLessThanOrEqual(1_000 + 4);
  });

  it('stops at the limit, across the walk and the conversations read past it, and says more follow', async () => {
    const { result } = await rosaAfter(cursor, 2);
    expect(result.messages.map((m) => m.text)).toEqual(['Early', 'Late (1)']);
    expect(result.hasMore).toBe(true);
    // Exactly as many as asked for: nothing more follows.
    const all = await rosaAfter(cursor, 4);
    expect(all.result.messages).toHaveLength(4);
    expect(all.result.hasMore).toBe(false);
  });

  it('from a recent cursor reads the few messages since, the test conversation left out', async () => {
    const { result, fetched } = await rosaAfter(await seqOf('late-1'), 100);
    expect(result.messages.map((m) => m.text)).toEqual(['Late (2)', 'Late (3)']);
    expect(result.hasMore).toBe(false);
    expect(fetched).toBeLessThanOrEqual(3);
  });

  it('gives a business with much of the traffic its first page in order, reading little more than that page', async () => {
    const { result, fetched } = await syncAfter('u-ivan', cursor, 100);
    expect(result.messages.map((m) => m.text)).toEqual(Array.from({ length: 100 }, (_, i) => `Ivan (${i + 1})`));
    expect(result.hasMore).toBe(true);
    expect(fetched).toBeLessThanOrEqual(102);
  });
});
