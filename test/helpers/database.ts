import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, openPglite, type DatabaseHandle, type EmbeddedThread } from '../../src/db/client.js';
import { migrateDatabase } from '../../src/db/migrate.js';
import { pgliteSnapshot, snapshotKey } from './pglite-snapshots.js';

/**
 * Which database the suite runs on: in-memory PGlite by default, or a fresh
 * PostgreSQL database per test file when PARLEY_TEST_DB=postgres (the
 * `postgres` Vitest project, which needs TEST_DATABASE_URL).
 */
export const testDatabaseKind: 'embedded' | 'postgres' =
  process.env.PARLEY_TEST_DB === 'postgres' ? 'postgres' : 'embedded';

/**
 * Where the embedded test database runs: on the test's own thread by default
 * (about 100 ms quicker to start, 280 against 400 ms from a dump), or with
 * PARLEY_TEST_EMBEDDED_THREAD=own on a thread of its own, as `parley serve`
 * runs it.
 */
const embeddedThread: EmbeddedThread = process.env.PARLEY_TEST_EMBEDDED_THREAD === 'own' ? 'own' : 'caller';

export interface TestDatabase {
  handle: DatabaseHandle;
  /** Set on PostgreSQL: a URL other processes can use. */
  url?: string;
  drop(): Promise<void>;
}

export function postgresAdminUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('PARLEY_TEST_DB=postgres needs TEST_DATABASE_URL');
  return url;
}

const databaseUrl = (name: string) => {
  const url = new URL(postgresAdminUrl());
  url.pathname = `/${name}`;
  return url.toString();
};

async function asAdmin<T>(run: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: postgresAdminUrl() });
  await admin.connect();
  try {
    return await run(admin);
  } finally {
    await admin.end();
  }
}

/** Creates a PostgreSQL database, empty or a copy of `template`, and returns its URL. */
export async function createPostgresDatabase(
  options: { template?: string } = {},
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `parley_test_${randomBytes(6).toString('hex')}`;
  await asAdmin((admin) =>
    admin.query(`create database ${name}${options.template ? ` template ${options.template}` : ''}`),
  );
  return {
    url: databaseUrl(name),
    drop: () => asAdmin((admin) => admin.query(`drop database if exists ${name} with (force)`)).then(() => undefined),
  };
}

/** The server ends a closed connection's session a moment later; until then the database cannot be renamed. */
async function renameWhenFree(admin: pg.Client, from: string, to: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await admin.query(`alter database ${from} rename to ${to}`);
      return;
    } catch (error) {
      // 55006 object_in_use: "database is being accessed by other users".
      if ((error as { code?: string }).code !== '55006' || attempt === 50) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/**
 * A PostgreSQL database with every migration applied, which test databases
 * copy (CREATE DATABASE … TEMPLATE) rather than each migrating its own. Named
 * by the migrations' hash, so it is made once per set of migrations, and
 * renamed into place only when complete. Nothing may stay connected to it.
 */
export async function migratedPostgresTemplate(): Promise<string> {
  const name = `parley_test_template_${await snapshotKey()}`;
  const exists = () =>
    asAdmin(
      async (admin) => ((await admin.query('select 1 from pg_database where datname = $1', [name])).rowCount ?? 0) > 0,
    );
  if (await exists()) return name;
  const partial = `${name}_${randomBytes(4).toString('hex')}`;
  await asAdmin((admin) => admin.query(`create database ${partial}`));
  try {
    const handle = await openDatabase({ kind: 'postgres', url: databaseUrl(partial) }, { poolSize: 1 });
    try {
      await migrateDatabase(handle);
    } finally {
      await handle.close();
    }
    await asAdmin((admin) => renameWhenFree(admin, partial, name));
  } catch (error) {
    await asAdmin((admin) => admin.query(`drop database if exists ${partial} with (force)`));
    // Another worker made it first: theirs is as good.
    if (!(await exists())) throw error;
  }
  return name;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  if (testDatabaseKind === 'embedded') {
    const handle = await openPglite('memory://', {
      loadDataDir: await pgliteSnapshot('migrated'),
      thread: embeddedThread,
    });
    // Nothing to apply on the dump; here so a stale dump can never hide a migration.
    await migrateDatabase(handle);
    return { handle, drop: () => handle.close() };
  }
  const database = await createPostgresDatabase({ template: await migratedPostgresTemplate() });
  const handle = await openDatabase({ kind: 'postgres', url: database.url }, { poolSize: 4 });
  // Nothing to apply on the copy; here so a stale template can never hide a migration.
  await migrateDatabase(handle);
  return {
    handle,
    url: database.url,
    async drop() {
      await handle.close();
      await database.drop();
    },
  };
}
