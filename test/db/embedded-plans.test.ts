import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { historyJson, insertCustomerMessage } from '../../src/conversations/messages.repo.js';
import { rowsOf, type Database } from '../../src/db/client.js';
import { users } from '../../src/db/schema/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

/**
 * The embedded database's planner (src/db/pglite-params.ts). A reply reads the conversation's
 * newest messages. Most chats are short, so the statistics expect a few messages per
 * conversation; the read of a long one must still stop at the newest it needs rather than read
 * and sort them all, or every reply to a loyal customer gets slower with each message they write.
 * (PostgreSQL's planner, with its own settings, reads them all: see bench/README.md.)
 */
let database: TestDatabase;
let db: Database;
const LONG = 1_200;
const HISTORY = 59;

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.handle.db;
  await db.insert(users).values({ id: 'u-rosa', username: 'rosa', email: 'rosa@example.com', passwordHash: 'x' });
  // 2,000 customers who wrote three times, and one who wrote 1,200 times, all along the same days.
  await db.execute(sql`
    insert into conversations (id, user_id, channel, customer_id, status)
    select 'c-' || g, 'u-rosa', 'api', 'customer-' || g, 'active' from generate_series(0, 2000) g`);
  await db.execute(sql`
    insert into messages (id, conversation_id, type, text)
    select 'm-' || g, case when g % 6 = 0 then 'c-0' else 'c-' || (1 + g % 2000) end, 'customer', 'Open on Sunday? (' || g || ')'
      from generate_series(1, ${LONG * 6}) g`);
  await db.execute(sql`analyze`);
});
afterAll(() => database.drop());

/** Every plan node's `Actual Rows` that read the messages table, from EXPLAIN's JSON. */
function rowsReadFromMessages(plan: unknown): number[] {
  if (Array.isArray(plan)) return plan.flatMap(rowsReadFromMessages);
  if (!plan || typeof plan !== 'object') return [];
  const node = plan as Record<string, unknown>;
  const own = node['Relation Name'] === 'messages' ? [Number(node['Actual Rows'])] : [];
  return [...own, ...rowsReadFromMessages(node.Plan), ...rowsReadFromMessages(node.Plans)];
}

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
    const [explained] = rowsOf<Record<string, unknown>>(
      await db.execute(sql`explain (analyze, format json) select ${history} as history`),
    );
    const plan = explained?.['QUERY PLAN'];
    const read = rowsReadFromMessages(plan);
    const shown = JSON.stringify(plan, ['Plan', 'Plans', 'Node Type', 'Relation Name', 'Index Name', 'Actual Rows']);
    expect(read.length, shown).toBeGreaterThan(0);
    expect(Math.max(...read), shown).toBeLessThanOrEqual(HISTORY + 1);
  });
});
