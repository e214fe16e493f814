import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/client.js';
import { MIGRATIONS_FOLDER, migrateDatabase } from '../../src/db/migrate.js';
import { databaseMigratedBefore } from '../helpers/migrations.js';

/** Upgrading to the website widget: channels and conversations already there stay as they were. */
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Found by name, so renumbering the migration when branches merge does not break this test. */
async function widgetTag(): Promise<string> {
  const journal = JSON.parse(await readFile(path.join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as {
    entries: { tag: string }[];
  };
  const entry = journal.entries.find((candidate) => candidate.tag.endsWith('_website_widget'));
  if (!entry) throw new Error('no website_widget migration');
  return entry.tag;
}

describe('upgrading to the website widget', () => {
  it('keeps a Telegram channel and its conversation, and then takes website ones', async () => {
    const handle = await databaseMigratedBefore(await widgetTag(), cleanups);
    const run = (statement: string) => handle.db.execute(statement);
    await run(`insert into users (id, username, default_reply_handler) values ('u', 'bakery', 'AI')`);
    await run(
      `insert into channels (id, user_id, type, external_id, name, credentials) values ('tg', 'u', 'telegram', '42', '@bot', 'sealed')`,
    );
    await run(
      `insert into conversations (id, user_id, channel, channel_id, customer_id, status) values ('c1', 'u', 'telegram', 'tg', '7', 'active')`,
    );
    await expect(
      run(
        `insert into channels (id, user_id, type, external_id, name, credentials) values ('w0', 'u', 'website', 'wgt_x', 'shop', 'sealed')`,
      ),
    ).rejects.toThrow();

    await migrateDatabase(handle);
    await run(
      `insert into channels (id, user_id, type, external_id, name, credentials, settings) values ('w', 'u', 'website', 'wgt_y', 'shop', 'sealed', '{"allowed_origins": ["https://shop.example"]}')`,
    );
    await run(
      `insert into widget_visitors (id, channel_id, token_hash, customer_id) values ('vis_1', 'w', 'hash', 'vis_1')`,
    );
    await run(
      `insert into conversations (id, user_id, channel, channel_id, customer_id, status) values ('c2', 'u', 'website', 'w', 'vis_1', 'active')`,
    );
    const channels = rowsOf<{ id: string; type: string; settings: unknown }>(
      await run('select id, type, settings from channels order by id'),
    );
    expect(channels).toEqual([
      { id: 'tg', type: 'telegram', settings: null },
      { id: 'w', type: 'website', settings: { allowed_origins: ['https://shop.example'] } },
    ]);
    const conversations = rowsOf<{ id: string; channel: string }>(
      await run('select id, channel from conversations order by id'),
    );
    expect(conversations).toEqual([
      { id: 'c1', channel: 'telegram' },
      { id: 'c2', channel: 'website' },
    ]);
  });
});
