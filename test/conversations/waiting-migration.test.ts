import { afterEach, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/client.js';
import { migrateDatabase } from '../../src/db/migrate.js';
import { databaseMigratedBefore } from '../helpers/migrations.js';

/**
 * Migration 0009 marks the conversations an older Parley sent to people only
 * because the AI was unavailable (no key, auto-response off), so that they go
 * back to the AI once it can answer. Nothing recorded why they went to people:
 * no handover, no person's reply, and the business wanted the AI first.
 */
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('upgrading to conversations that wait for the AI', () => {
  it('marks only the conversations people have for no recorded reason, of businesses that want the AI', async () => {
    const handle = await databaseMigratedBefore('0009_waiting_for_ai', cleanups);
    const run = (statement: string) => handle.db.execute(statement);
    await run(
      `insert into users (id, username, default_reply_handler) values ('ai', 'ai-first', 'AI'), ('people', 'people-first', 'Manual')`,
    );
    const conversation = (id: string, user: string, status: string) =>
      run(
        `insert into conversations (id, user_id, channel, customer_id, status) values ('${id}', '${user}', 'api', '${id}', '${status}')`,
      );
    await conversation('untouched', 'ai', 'support_active');
    await conversation('answered', 'ai', 'active');
    await conversation('handed', 'ai', 'support_active');
    await conversation('replied', 'ai', 'support_active');
    await conversation('manual', 'people', 'support_active');
    await run(
      `insert into handovers (id, user_id, conversation_id, source, reason) values ('h1', 'ai', 'handed', 'agent', 'agent_takeover')`,
    );
    await run(
      `insert into messages (id, conversation_id, type, text) values ('m1', 'replied', 'customer', 'hi'), ('m2', 'replied', 'support', 'Hello, Marta here.')`,
    );

    const result = await migrateDatabase(handle);
    expect(result.applied).toBe(result.total - 9);
    const rows = rowsOf<{ id: string; waiting_for_ai: boolean }>(
      await run('select id, waiting_for_ai from conversations order by id'),
    );
    expect(rows).toEqual([
      { id: 'answered', waiting_for_ai: false },
      { id: 'handed', waiting_for_ai: false },
      { id: 'manual', waiting_for_ai: false },
      { id: 'replied', waiting_for_ai: false },
      { id: 'untouched', waiting_for_ai: true },
    ]);
  });
});
