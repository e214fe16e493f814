import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replyContextRead, suspendedRead } from '../../src/ai/ai.repo.js';
import { insertCustomerMessage } from '../../src/conversations/customer-messages.repo.js';
import { insertMessage } from '../../src/conversations/messages.repo.js';
import type { Database } from '../../src/db/client.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { seedAna } from '../helpers/message-reads.js';

/**
 * The statements storing a message are built once per shape (src/db/built-once.ts): each of its
 * shapes, in any order within one process, reads what it was asked for and nothing else.
 */
let database: TestDatabase;
let db: Database;
const key = { userId: 'u-rosa', channel: 'api', customerId: 'ana' };
const rule = { resumes: false, whileWaiting: 'manual_handling' };
const customerSays = (text: string) => ({ text, channelMessageId: null });

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.handle.db;
  await seedAna(db, 'api');
});
afterAll(() => database.drop());

describe("a customer's message stored", () => {
  it('reads the history and the scalar asked for, each shape on its own', async () => {
    const plain = await insertCustomerMessage(db, key, customerSays('Open on Sunday?'), rule);
    expect(plain).toMatchObject({ history: [], alongside: null });

    const withHistory = await insertCustomerMessage(db, key, customerSays('And Monday?'), rule, { historyLimit: 10 });
    expect(withHistory?.history.map((message) => message.text)).toEqual(['Open on Sunday?']);
    expect(withHistory?.alongside).toBeNull();

    const withBoth = await insertCustomerMessage(db, key, customerSays('Thanks!'), rule, {
      historyLimit: 1,
      alongside: suspendedRead('u-rosa'),
    });
    expect(withBoth?.history.map((message) => message.text)).toEqual(['And Monday?']);
    expect(withBoth?.alongside).toBe(false);

    // The same host shape with another scalar: its own statement, not the one above.
    const withContext = await insertCustomerMessage(db, key, customerSays('Parking?'), rule, {
      historyLimit: 1,
      alongside: replyContextRead('u-rosa', 'no-such-channel'),
    });
    expect(withContext?.history.map((message) => message.text)).toEqual(['Thanks!']);
    expect(withContext?.alongside).toEqual({ suspended: false, channel: null });

    // Back to the shapes seen first: what they read has not changed.
    const again = await insertCustomerMessage(db, key, customerSays('Bye'), rule, { historyLimit: 2 });
    expect(again?.history.map((message) => message.text)).toEqual(['Thanks!', 'Parking?']);
    expect(again?.alongside).toBeNull();
    expect(await insertCustomerMessage(db, key, customerSays('One more'), rule)).toMatchObject({
      history: [],
      alongside: null,
    });
  });
});

describe('a message to the customer stored', () => {
  it('reads the scalar only when asked, and the history only up to its limit', async () => {
    const asked = await insertMessage(
      db,
      { conversationId: 'c-ana', type: 'AI', text: 'We open at 9.', alongside: suspendedRead('u-rosa') },
      1,
    );
    expect(asked.alongside).toBe(false);
    expect(asked.history.map((message) => message.text)).toEqual(['One more']);

    const notAsked = await insertMessage(db, { conversationId: 'c-ana', type: 'AI', text: 'See you.' }, 0);
    expect(notAsked).toMatchObject({ history: [], alongside: null });
    expect(notAsked.message).toMatchObject({ type: 'AI', text: 'See you.', claimed: false });
  });
});
