import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/client.js';
import { MIGRATIONS_FOLDER, migrateDatabase } from '../../src/db/migrate.js';
import { databaseMigratedBefore } from '../helpers/migrations.js';

/**
 * Before default caps, a cap never set was stored as 0, like one removed: the
 * upgrade makes both "the default" (none until the operator sets one) and
 * keeps every cap that was set.
 */
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Found by name, so renumbering the migration when branches merge does not break this test. */
async function capsTag(): Promise<string> {
  const journal = JSON.parse(await readFile(path.join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as {
    entries: { tag: string }[];
  };
  const entry = journal.entries.find((candidate) => candidate.tag.endsWith('_caps_and_customer_limits'));
  if (!entry) throw new Error('no caps_and_customer_limits migration');
  return entry.tag;
}

describe('upgrading to default caps', () => {
  it('turns caps stored as 0 into the default and keeps the others', async () => {
    const handle = await databaseMigratedBefore(await capsTag(), cleanups);
    const run = (statement: string) => handle.db.execute(statement);
    await run(
      `insert into users (id, username, default_reply_handler) values ('a', 'capped', 'AI'), ('b', 'monthly', 'AI')`,
    );
    await run(
      `insert into usage_quotas (user_id, daily_tokens, monthly_tokens) values ('a', 5000, 0), ('b', 0, 90000)`,
    );

    await migrateDatabase(handle);
    const rows = rowsOf<{
      user_id: string;
      daily_tokens: number | string | null;
      monthly_tokens: number | string | null;
    }>(await run('select user_id, daily_tokens, monthly_tokens from usage_quotas order by user_id'));
    expect(
      rows.map((row) => [
        row.user_id,
        row.daily_tokens === null ? null : Number(row.daily_tokens),
        row.monthly_tokens === null ? null : Number(row.monthly_tokens),
      ]),
    ).toEqual([
      ['a', 5000, null],
      ['b', null, 90000],
    ]);
  });
});
