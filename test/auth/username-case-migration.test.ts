import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, openPglite, rowsOf, type DatabaseHandle } from '../../src/db/client.js';
import { migrateDatabase, MigrationRefusedError, MIGRATIONS_FOLDER } from '../../src/db/migrate.js';
import { createPostgresDatabase, testDatabaseKind } from '../helpers/database.js';

/**
 * Migration 0008 makes usernames unique without regard to case. A database
 * from before it may hold "ALICE" and "alice" both: the upgrade then stops,
 * naming them, and changes nothing until one is renamed.
 */
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A database migrated as an older Parley left it: up to 0007, before usernames ignored case. */
async function databaseBeforeUsernameCase(): Promise<DatabaseHandle> {
  const folder = await mkdtemp(path.join(os.tmpdir(), 'parley-migrations-'));
  cleanups.push(() => rm(folder, { recursive: true, force: true }));
  await cp(MIGRATIONS_FOLDER, folder, { recursive: true });
  const journalPath = path.join(folder, 'meta', '_journal.json');
  const journal = JSON.parse(await readFile(journalPath, 'utf8')) as { entries: { tag: string }[] };
  const upTo = journal.entries.findIndex((entry) => entry.tag === '0008_username_case');
  expect(upTo).toBeGreaterThan(0);
  await writeFile(journalPath, JSON.stringify({ ...journal, entries: journal.entries.slice(0, upTo) }));

  let handle: DatabaseHandle;
  if (testDatabaseKind === 'embedded') {
    handle = await openPglite('memory://');
    await migratePglite(drizzlePglite({ client: handle.pglite! }), { migrationsFolder: folder });
  } else {
    const database = await createPostgresDatabase();
    cleanups.push(() => database.drop());
    handle = await openDatabase({ kind: 'postgres', url: database.url }, { poolSize: 2 });
    await migratePg(drizzlePg({ client: handle.pool! }), { migrationsFolder: folder });
  }
  cleanups.push(() => handle.close());
  return handle;
}

async function addUsers(handle: DatabaseHandle, names: string[]) {
  for (const [index, name] of names.entries()) {
    await handle.db.execute(
      `insert into users (id, username, created_at) values ('u${index}', '${name}', now() + interval '${index} seconds')`,
    );
  }
}

async function usernames(handle: DatabaseHandle): Promise<string[]> {
  const result = await handle.db.execute('select username from users order by created_at');
  return rowsOf<{ username: string }>(result).map((row) => row.username);
}

describe('upgrading to usernames unique without regard to case', () => {
  it('keeps every user and the spelling each was given when no two names differ only by case', async () => {
    const handle = await databaseBeforeUsernameCase();
    await addUsers(handle, ['Alice', 'bob', 'Bobby']);
    expect(await migrateDatabase(handle)).toMatchObject({ applied: 1 });
    expect(await usernames(handle)).toEqual(['Alice', 'bob', 'Bobby']);
    // From now on the database itself refuses a second spelling.
    await expect(handle.db.execute("insert into users (id, username) values ('u9', 'ALICE')")).rejects.toThrow();
  });

  it('stops, naming the users whose names differ only by case, and changes nothing until one is renamed', async () => {
    const handle = await databaseBeforeUsernameCase();
    await addUsers(handle, ['alice', 'carol', 'ALICE', 'Bob', 'bob', 'Alice']);

    const failure = await migrateDatabase(handle).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(MigrationRefusedError);
    expect((failure as Error).message).toBe(
      'The database cannot be upgraded: usernames are now unique without regard to case, but these users\' names differ only by case: "alice" and "ALICE" and "Alice"; "Bob" and "bob". Rename all but one of each (UPDATE users SET username = \'new-name\' WHERE username = \'old-name\'; the README\'s "Usernames" section shows how with the embedded database), then start Parley again.',
    );
    expect(await usernames(handle)).toEqual(['alice', 'carol', 'ALICE', 'Bob', 'bob', 'Alice']);

    await handle.db.execute("update users set username = 'alice-work' where username = 'ALICE'");
    await handle.db.execute("update users set username = 'alice-home' where username = 'Alice'");
    await handle.db.execute("update users set username = 'bob2' where username = 'bob'");
    expect(await migrateDatabase(handle)).toMatchObject({ applied: 1 });
    expect(await usernames(handle)).toEqual(['alice', 'carol', 'alice-work', 'Bob', 'bob2', 'alice-home']);
  });
});
