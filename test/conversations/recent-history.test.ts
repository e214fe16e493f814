import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertCustomerMessage } from '../../src/conversations/customer-messages.repo.js';
import { insertMessage, recentMessages, type StoredMessage } from '../../src/conversations/messages.repo.js';
import type { Database } from '../../src/db/client.js';
import { conversations, messages } from '../../src/db/schema/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { seedAna } from '../helpers/message-reads.js';

/**
 * A chat going back and forth: the statement storing a customer's message reads the history for
 * the reply only when a message came that this process did not store itself (RecentHistory,
 * src/conversations/recent-history.ts). Whatever came, the reply's history is the conversation's.
 */
let database: TestDatabase;
let db: Database;
const HISTORY = 59;
const key = { userId: 'u-rosa', channel: 'telegram', customerId: 'ana' };
const rule = { resumes: false, whileWaiting: 'manual_handling' };
let delivery = 0;

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.handle.db;
  await seedAna(db, 'telegram');
});
afterAll(() => database.drop());

/** Ana writes, as a channel delivers it; the history the reply gets back. */
async function anaWrites(
  text: string,
  channelMessageId = `tg-${++delivery}`,
  historyLimit = HISTORY,
): Promise<StoredMessage[]> {
  const stored = await insertCustomerMessage(db, key, { text, channelMessageId }, rule, { historyLimit });
  if (!stored) throw new Error('no conversation');
  return stored.history;
}

/** The AI answers as a reply does: only while it owns the conversation, answering through `seq`. */
async function aiAnswers(text: string): Promise<void> {
  const [conversation] = await db.select().from(conversations).where(eq(conversations.id, 'c-ana'));
  const latest = await recentMessages(db, 'c-ana', 1);
  const { message } = await insertMessage(
    db,
    {
      conversationId: 'c-ana',
      type: 'AI',
      text,
      onlyIfOwnedAt: conversation!.ownershipVersion,
      answers: latest.at(-1)!.seq,
    },
    0,
  );
  expect(message?.text).toBe(text);
}

const textsOf = (history: StoredMessage[]) => history.map((message) => message.text);

/** The newest messages as the database holds them: before Ana's next one, what her reply must see. */
const freshHistory = async (limit = HISTORY) => textsOf(await recentMessages(db, 'c-ana', limit));
/** What her reply should have seen, read after her message was stored. */
const freshHistoryBeforeHers = async () => (await freshHistory(HISTORY + 1)).slice(0, -1);

describe("a customer's history, remembered between her messages", () => {
  it('holds every message before hers, in order, whoever stored them', async () => {
    expect(await anaWrites('Open on Sunday?')).toEqual([]);
    await aiAnswers('Yes, 10 to 4.');
    expect(textsOf(await anaWrites('And on Monday?'))).toEqual(['Open on Sunday?', 'Yes, 10 to 4.']);
    await aiAnswers('9 to 6.');

    // A person's reply stored inside a transaction, and a note written by another process
    // (straight into the tables, as that process's statement would): neither passed through
    // what this process remembers.
    await db.transaction(async (tx) => {
      await insertMessage(tx, { conversationId: 'c-ana', type: 'support', text: 'Rosa here: we close at 5 today.' }, 0);
    });
    let expected = await freshHistory();
    expect(expected.slice(-2)).toEqual(['9 to 6.', 'Rosa here: we close at 5 today.']);
    expect(textsOf(await anaWrites('Thanks Rosa'))).toEqual(expected);

    await db.execute(sql`
      with note as (insert into messages (id, conversation_id, type, text) values ('m-note', 'c-ana', 'system', 'Rosa took over'))
      update conversations set message_count = message_count + 1 where id = 'c-ana'`);
    expected = await freshHistory();
    expect(expected.at(-1)).toBe('Rosa took over');
    expect(textsOf(await anaWrites('Still there?'))).toEqual(expected);

    // A re-delivery stores nothing, and the history after it is still the conversation's.
    const again = await anaWrites('Still there?', `tg-${delivery}`);
    expect(textsOf(again)).toEqual([...expected, 'Still there?']);
    await aiAnswers('Yes!');
    expected = await freshHistory();
    expect(textsOf(await anaWrites('Great'))).toEqual(expected);
  });

  it('is read from memory while no message came since, and afresh once one did', async () => {
    await aiAnswers('You are welcome.');
    // Changed behind the counts' back (messages are never edited): only a read would see it.
    await db.update(messages).set({ text: 'Edited in the database' }).where(eq(messages.text, 'You are welcome.'));
    // An answer to messages already answered is not stored: nothing changed, nothing to forget.
    const [conversation] = await db.select().from(conversations).where(eq(conversations.id, 'c-ana'));
    const late = await insertMessage(
      db,
      {
        conversationId: 'c-ana',
        type: 'AI',
        text: 'Late answer',
        onlyIfOwnedAt: conversation!.ownershipVersion,
        answers: 1,
      },
      0,
    );
    expect(late.message).toBeUndefined();
    const remembered = textsOf(await anaWrites('Bye'));
    expect(remembered).toEqual([...(await freshHistoryBeforeHers()).slice(0, -1), 'You are welcome.']);

    // One message this process did not store: the count differs, and the whole history is read.
    await db.transaction(async (tx) => {
      await insertMessage(tx, { conversationId: 'c-ana', type: 'support', text: 'Bye Ana!' }, 0);
    });
    const read = textsOf(await anaWrites('Bye!'));
    expect(read.slice(-3)).toEqual(['Edited in the database', 'Bye', 'Bye Ana!']);
    expect(read).toEqual(await freshHistoryBeforeHers());
  });

  it('keeps to the newest messages the reply asks for in a long chat', async () => {
    // A read of fewer messages than a reply asks for is not the whole history.
    expect(textsOf(await anaWrites('Short read', undefined, 1))).toEqual((await freshHistoryBeforeHers()).slice(-1));
    for (let turn = 0; turn < 40; turn++) {
      const history = await anaWrites(`Question ${turn}`);
      expect(textsOf(history)).toEqual(await freshHistoryBeforeHers());
      await aiAnswers(`Answer ${turn}`);
    }
    const last = await anaWrites('Last one');
    expect(last).toHaveLength(HISTORY);
    expect(textsOf(last).slice(-2)).toEqual(['Question 39', 'Answer 39']);

    // A message this process did not store, then one it did: the count it knew is one behind.
    await db.transaction(async (tx) => {
      await insertMessage(tx, { conversationId: 'c-ana', type: 'support', text: 'Parking is free.' }, 0);
    });
    await aiAnswers('Anything else?');
    const expected = await freshHistory();
    expect(expected.slice(-2)).toEqual(['Parking is free.', 'Anything else?']);
    expect(textsOf(await anaWrites('No, thanks'))).toEqual(expected);
  });
});
