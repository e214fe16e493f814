import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, openPglite, type DatabaseHandle } from '../../src/db/client.js';
import { migrateDatabase } from '../../src/db/migrate.js';
import { pgliteSnapshot } from './pglite-snapshots.js';

/**
 * Which database the suite runs on: in-memory PGlite by default, or a fresh
 * PostgreSQL database per test file when PARLEY_TEST_DB=postgres (the
 * `postgres` Vitest project, which needs TEST_DATABASE_URL).
 */
export const testDatabaseKind: 'embedded' | 'postgres' =
  process.env.PARLEY_TEST_DB === 'postgres' ? 'postgres' : 'embedded';

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

/** Creates an empty PostgreSQL database and returns its URL. */
export async function createPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const adminUrl = postgresAdminUrl();
  const name = `parley_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}

export async function createTestDatabase(): Promise<TestDatabase> {
  if (testDatabaseKind === 'embedded') {
    const handle = await openPglite('memory://', { loadDataDir: await pgliteSnapshot('migrated') });
    // Nothing to apply on the dump; here so a stale dump can never hide a migration.
    await migrateDatabase(handle);
    return { handle, drop: () => handle.close() };
  }
  const database = await createPostgresDatabase();
  const handle = await openDatabase({ kind: 'postgres', url: database.url }, { poolSize: 4 });
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
