import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastSeq, widgetMessages } from '../../src/channels/website/widget.repo.js';
import { markRead, threadBefore, threadPage } from '../../src/conversations/inbox.repo.js';
import { rowsOf, type Database } from '../../src/db/client.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { messagesFetchedBy, seedConversations } from '../helpers/message-reads.js';

/**
 * Two loyal customers among 600 others: Ana wrote 1,200 times before the others' 6,000 messages,
 * Bea 1,200 times after them. A page of either conversation, in the dashboard or the website
 * widget, must read the messages it shows, not walk every other message written since Ana last
 * wrote (or before Bea first did) until it reaches theirs: that walk grows with all the traffic
 * of every business (migration 0025).
 */
let database: TestDatabase;
let db: Database;
const LOYAL = 1_200;
const OTHERS = 6_000;
const PAGE = 50;
/** Ana's one system note, among her newest messages: the dashboard shows it, the widget does not. */
const NOTE = LOYAL - 10;

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.handle.db;
  await seedConversations(db, 601);
  await db.execute(sql`
    insert into messages (id, conversation_id, type, text)
    select 'ana-' || g, 'c-0', case when g = ${NOTE} then 'system' else 'customer' end, 'Ana (' || g || ')'
      from generate_series(1, ${LOYAL}) g`);
  await db.execute(sql`
    insert into messages (id, conversation_id, type, text)
    select 'm-' || g, 'c-' || (1 + g % 600), 'customer', 'Any croissants left?' from generate_series(1, ${OTHERS}) g`);
  await db.execute(sql`
    insert into messages (id, conversation_id, type, text)
    select 'bea-' || g, 'c-601', 'customer', 'Bea (' || g || ')' from generate_series(1, ${LOYAL}) g`);
  await db.execute(sql`analyze`);
});
afterAll(() => database.drop());

/** Texts `from`..`to` of one customer's messages. */
const texts = (who: string, from: number, to: number, skip?: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => `${who} (${from + i})`).filter((text) => text !== `${who} (${skip})`);

describe('the conversation view of a customer back after a while', () => {
  it('opens on their newest messages, system notes included, reading only those', async () => {
    const { result, fetched } = await messagesFetchedBy(db, (tx) => threadBefore(tx, 'c-0', undefined, PAGE));
    expect(result.messages.map((m) => m.text)).toEqual(texts('Ana', LOYAL - PAGE + 1, LOYAL));
    expect(result.messages.find((m) => m.text === `Ana (${NOTE})`)?.type).toBe('system');
    expect(result.hasMore).toBe(true);
    expect(fetched).toBeGreaterThanOrEqual(PAGE);
    expect(fetched).toBeLessThanOrEqual(PAGE + 1);
  });

  it('scrolls back a page at a time, reading only that page', async () => {
    const first = await threadBefore(db, 'c-0', undefined, PAGE);
    const { result, fetched } = await messagesFetchedBy(db, (tx) =>
      threadBefore(tx, 'c-0', first.messages[0]!.seq, PAGE),
    );
    expect(result.messages.map((m) => m.text)).toEqual(texts('Ana', LOYAL - 2 * PAGE + 1, LOYAL - PAGE));
    expect(fetched).toBeLessThanOrEqual(PAGE + 1);
  });

  it('ends at their first message', async () => {
    const { result } = await messagesFetchedBy(db, (tx) => threadBefore(tx, 'c-0', PAGE + 1, PAGE));
    expect(result.messages.map((m) => m.text)).toEqual(texts('Ana', 1, PAGE));
    expect(result.hasMore).toBe(false);
  });
});

describe("marking a returning customer's conversation read", () => {
  it('reads their newest message, not every message since', async () => {
    const { result, fetched } = await messagesFetchedBy(db, (tx) => markRead(tx, 'u-rosa', 'c-0', undefined));
    expect(result).toBe(0);
    const [newest] = (await threadBefore(db, 'c-0', undefined, 1)).messages;
    const [row] = rowsOf<{ read: number | string }>(
      await db.execute(sql`select read_through_seq as read from conversations where id = 'c-0'`),
    );
    expect(Number(row?.read)).toBe(newest?.seq);
    // One or two rows for the mark and the unread count, not the messages since she last wrote.
    expect(fetched).toBeLessThanOrEqual(2);
  });
});

describe('the conversation view of a customer who came after many others', () => {
  it('pages from the oldest by number, reading no more than the pages up to the one asked for', async () => {
    const { result, fetched } = await messagesFetchedBy(db, (tx) =>
      threadPage(tx, 'c-601', { page: 3, pageSize: PAGE }),
    );
    expect(result.map((m) => m.text)).toEqual(texts('Bea', 2 * PAGE + 1, 3 * PAGE));
    expect(fetched).toBeLessThanOrEqual(3 * PAGE);
  });
});

describe('the website widget of a loyal customer', () => {
  it('shows their latest messages without the system note, reading only those', async () => {
    const { result, fetched } = await messagesFetchedBy(db, (tx) => widgetMessages(tx, 'c-0', undefined));
    expect(result.map((m) => m.text)).toEqual(texts('Ana', LOYAL - PAGE, LOYAL, NOTE));
    expect(fetched).toBeLessThanOrEqual(PAGE + 2);
  });

  it('gives the next hundred after one it has, oldest first, reading only those', async () => {
    // Bea's messages are numbered in one run: the seq of "Bea (151)" is 1,000 before that of "Bea (1151)".
    const [first] = await widgetMessages(db, 'c-601', undefined);
    expect(first?.text).toBe(`Bea (${LOYAL - PAGE + 1})`);
    const { result, fetched } = await messagesFetchedBy(db, (tx) => widgetMessages(tx, 'c-601', first!.seq - 1_000));
    expect(result.map((m) => m.text)).toEqual(texts('Bea', 152, 251));
    expect(fetched).toBeLessThanOrEqual(100);
  });

  it('knows the last message the visitor can see, reading only that one', async () => {
    const [newest] = (await threadBefore(db, 'c-0', undefined, 1)).messages;
    const { result, fetched } = await messagesFetchedBy(db, (tx) => lastSeq(tx, 'c-0'));
    expect(result).toBe(newest?.seq);
    expect(fetched).toBe(1);
  });
});
