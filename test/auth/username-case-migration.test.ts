import { afterEach, describe, expect, it } from 'vitest';
import { rowsOf, type DatabaseHandle } from '../../src/db/client.js';
import { migrateDatabase, MigrationRefusedError } from '../../src/db/migrate.js';
import { databaseMigratedBefore } from '../helpers/migrations.js';

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
const databaseBeforeUsernameCase = () => databaseMigratedBefore('0008_username_case', cleanups);

/** Whether migrating applied every migration from 0008 on. */
async function upgraded(handle: DatabaseHandle): Promise<boolean> {
  const result = await migrateDatabase(handle);
  return result.applied === result.total - 8;
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
    expect(await upgraded(handle)).toBe(true);
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
    expect(await upgraded(handle)).toBe(true);
    expect(await usernames(handle)).toEqual(['alice', 'carol', 'alice-work', 'Bob', 'bob2', 'alice-home']);
  });
});
