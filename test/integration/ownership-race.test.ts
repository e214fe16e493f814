import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../src/auth/auth.service.js';
import { addMessage, findOrCreateConversation } from '../../src/conversations/conversations.service.js';
import { openDatabase, type DatabaseHandle } from '../../src/db/client.js';
import { migrateDatabase } from '../../src/db/migrate.js';
import { createPostgresDatabase } from '../helpers/database.js';

/**
 * The send-time check at its narrowest: a takeover that has locked the
 * conversation but not yet committed while the AI's answer is being stored.
 * Real PostgreSQL, two connections.
 */
let database: Awaited<ReturnType<typeof createPostgresDatabase>>;
let handle: DatabaseHandle;
let agent: pg.Client;

beforeAll(async () => {
  database = await createPostgresDatabase();
  handle = await openDatabase({ kind: 'postgres', url: database.url }, { poolSize: 2 });
  await migrateDatabase(handle);
  agent = new pg.Client({ connectionString: database.url });
  await agent.connect();
});
afterAll(async () => {
  await agent.end();
  await handle.close();
  await database.drop();
});

async function activeConversation(customerId: string) {
  const user = await createUser(handle.db, { username: `u-${customerId}` });
  const { conversation } = await findOrCreateConversation(handle.db, {
    userId: user.id,
    channel: 'api',
    customerId,
    status: 'active',
  });
  return conversation;
}

describe('storing an AI answer against a concurrent takeover', () => {
  it('stores nothing when the takeover commits while the answer waits for the row', async () => {
    const conversation = await activeConversation('race');
    await agent.query('begin');
    await agent.query(
      "update conversations set status = 'support_active', ownership_version = ownership_version + 1 where id = $1",
      [conversation.id],
    );
    const pending = addMessage(handle.db, {
      conversationId: conversation.id,
      type: 'AI',
      text: 'too late',
      onlyIfOwnedAt: conversation.ownershipVersion,
    });
    // The answer is blocked on the takeover's row lock until the takeover commits.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await agent.query('commit');
    expect(await pending).toBeUndefined();
    const { rows } = await agent.query('select count(*)::int as n from messages where conversation_id = $1', [
      conversation.id,
    ]);
    expect(rows[0]).toEqual({ n: 0 });
  });

  it('stores the answer when the competing transaction rolls back', async () => {
    const conversation = await activeConversation('calm');
    await agent.query('begin');
    await agent.query("update conversations set status = 'support_active' where id = $1", [conversation.id]);
    const pending = addMessage(handle.db, {
      conversationId: conversation.id,
      type: 'AI',
      text: 'in time',
      onlyIfOwnedAt: conversation.ownershipVersion,
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await agent.query('rollback');
    expect(await pending).toMatchObject({ type: 'AI', text: 'in time' });
  });
});
