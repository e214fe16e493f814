import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertCustomerMessage } from '../../src/conversations/customer-messages.repo.js';
import { historyJson } from '../../src/conversations/messages.repo.js';
import { rowsOf, type Database } from '../../src/db/client.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { messagesFetchedBy, seedConversations } from '../helpers/message-reads.js';

/**
 * A reply reads the conversation's newest messages. Most chats are short, so the statistics
 * expect a few messages per conversation; the read of a long one must still stop at the newest
 * it needs rather than read and sort them all, or every reply to a loyal customer gets slower
 * with each message they write (migration 0024).
 */
let database: TestDatabase;
let db: Database;
const LONG = 1_200;
const HISTORY = 59;

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.handle.db;
  // 600 customers who wrote ten times, and one who wrote 1,200 times, all along the same days.
  await seedConversations(db, 600);
  await db.execute(sql`
    insert into messages (id, conversation_id, type, text)
    select 'm-' || g, case when g % 6 = 0 then 'c-0' else 'c-' || (1 + g % 600) end, 'customer', 'Open on Sunday? (' || g || ')'
      from generate_series(1, ${LONG * 6}) g`);
  await db.execute(sql`analyze`);
});
afterAll(() => database.drop());

describe("a long conversation's history", () => {
  it('is its newest messages, oldest first', async () => {
    const stored = await insertCustomerMessage(
      db,
      { userId: 'u-rosa', channel: 'api', customerId: 'customer-0' },
      { text: 'And on Monday?', channelMessageId: null },
      { resumes: false, whileWaiting: 'manual_handling' },
      { historyLimit: HISTORY },
    );
    const texts = stored?.history.map((message) => message.text);
    expect(texts).toHaveLength(HISTORY);
    expect(texts?.at(-1)).toBe(`Open on Sunday? (${LONG * 6})`);
    expect(texts?.[0]).toBe(`Open on Sunday? (${(LONG - HISTORY + 1) * 6})`);
  });

  it('reads only those messages, not the whole conversation', async () => {
    // The conversation's id comes from a subquery, as in the statements that store a message.
    const history = historyJson(sql`(select id from conversations where customer_id = 'customer-0')`, HISTORY);
    const { result, fetched } = await messagesFetchedBy(db, async (tx) =>
      rowsOf<{ history: unknown[] }>(await tx.execute(sql`select ${history} as history`)),
    );
    expect(result[0]?.history).toHaveLength(HISTORY);
    expect(fetched).toBeGreaterThanOrEqual(HISTORY);
    expect(fetched).toBeLessThanOrEqual(HISTORY + 1);
  });
});
