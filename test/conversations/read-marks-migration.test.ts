import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/client.js';
import { MIGRATIONS_FOLDER, migrateDatabase } from '../../src/db/migrate.js';
import { databaseMigratedBefore } from '../helpers/migrations.js';

/**
 * The migration that adds the inbox's read marks starts every existing
 * conversation read: after an upgrade only new customer messages are unread,
 * not every conversation's whole history.
 */
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Found by name, so renumbering the migration when branches merge does not break this test. */
async function readMarksTag(): Promise<string> {
  const journal = JSON.parse(await readFile(path.join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as {
    entries: { tag: string }[];
  };
  const entry = journal.entries.find((candidate) => candidate.tag.endsWith('_inbox_read_marks'));
  if (!entry) throw new Error('no inbox_read_marks migration');
  return entry.tag;
}

describe('upgrading to read marks', () => {
  it('marks each conversation read through its last message, and a conversation without any at 0', async () => {
    const handle = await databaseMigratedBefore(await readMarksTag(), cleanups);
    const run = (statement: string) => handle.db.execute(statement);
    await run(`insert into users (id, username, default_reply_handler) values ('u', 'shop', 'AI')`);
    for (const id of ['talked', 'silent']) {
      await run(
        `insert into conversations (id, user_id, channel, customer_id, status) values ('${id}', 'u', 'api', '${id}', 'active')`,
      );
    }
    await run(
      `insert into messages (id, conversation_id, type, text) values ('m1', 'talked', 'customer', 'hi'), ('m2', 'talked', 'AI', 'Hello!'), ('m3', 'talked', 'customer', 'bye')`,
    );
    const [last] = rowsOf<{ seq: number | string }>(await run(`select max(seq) as seq from messages`));

    await migrateDatabase(handle);
    const rows = rowsOf<{ id: string; read_through_seq: number | string }>(
      await run('select id, read_through_seq from conversations order by id'),
    );
    expect(rows.map((row) => [row.id, Number(row.read_through_seq)])).toEqual([
      ['silent', 0],
      ['talked', Number(last?.seq)],
    ]);
  });
});
