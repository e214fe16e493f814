import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { openDatabase, openPglite, type DatabaseHandle } from '../../src/db/client.js';
import { MIGRATIONS_FOLDER } from '../../src/db/migrate.js';
import { createPostgresDatabase, testDatabaseKind } from './database.js';
import { pgliteSnapshot } from './pglite-snapshots.js';

/**
 * A database as an older Parley left it: migrated up to, not including, the
 * migration tagged `tag`. Each cleanup is pushed to `cleanups`, to run in reverse.
 */
export async function databaseMigratedBefore(tag: string, cleanups: (() => Promise<void>)[]): Promise<DatabaseHandle> {
  const folder = await mkdtemp(path.join(os.tmpdir(), 'parley-migrations-'));
  cleanups.push(() => rm(folder, { recursive: true, force: true }));
  await cp(MIGRATIONS_FOLDER, folder, { recursive: true });
  const journalPath = path.join(folder, 'meta', '_journal.json');
  const journal = JSON.parse(await readFile(journalPath, 'utf8')) as { entries: { tag: string }[] };
  const upTo = journal.entries.findIndex((entry) => entry.tag === tag);
  if (upTo <= 0) throw new Error(`no migration tagged ${tag}`);
  await writeFile(journalPath, JSON.stringify({ ...journal, entries: journal.entries.slice(0, upTo) }));

  let handle: DatabaseHandle;
  if (testDatabaseKind === 'embedded') {
    handle = await openPglite('memory://', { loadDataDir: await pgliteSnapshot('empty') });
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
