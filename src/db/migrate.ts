import { fileURLToPath } from 'node:url';
import type { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import type { DatabaseHandle } from './client.js';

/** Resolves from both `src/db` (tests) and `dist/server` (the built bundle). */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../src/db/migrations', import.meta.url));

// Any constant works; it only has to be the same in every Parley process.
const MIGRATION_LOCK_KEY = 0x7061726c; // "parl"

export interface MigrationResult {
  applied: number;
  total: number;
}

/**
 * Applies pending migrations. On PostgreSQL an advisory lock serialises
 * concurrent starters (several `serve`/`worker` processes booting at once).
 */
export async function migrateDatabase(handle: DatabaseHandle): Promise<MigrationResult> {
  try {
    return await applyMigrations(handle);
  } catch (error) {
    throw refusal(error) ?? error;
  }
}

/**
 * A migration that cannot apply to the data it finds stops with a message
 * written for the operator (RAISE EXCEPTION, SQLSTATE P0001), and the whole
 * upgrade is rolled back. That message is the error, not the failed query.
 */
export class MigrationRefusedError extends Error {
  constructor(reason: string) {
    super(`The database cannot be upgraded: ${reason}`);
    this.name = 'MigrationRefusedError';
  }
}

function refusal(error: unknown): MigrationRefusedError | undefined {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    if ((cause as { code?: unknown }).code === 'P0001') return new MigrationRefusedError(cause.message);
  }
  return undefined;
}

async function applyMigrations(handle: DatabaseHandle): Promise<MigrationResult> {
  const total = readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER }).length;
  const embedded = handle.embedded;
  if (embedded) {
    const query = (text: string) => embedded.query<{ n: number }>(text).then((r) => r.rows);
    const before = await countApplied(query);
    // The migrator calls only what EmbeddedClient declares, though its types name PGlite.
    await migratePglite(drizzlePglite({ client: embedded as PGlite }), { migrationsFolder: MIGRATIONS_FOLDER });
    return { applied: (await countApplied(query)) - before, total };
  }
  if (!handle.pool) throw new Error('migrateDatabase needs a PGlite or PostgreSQL handle');
  const { drizzle: drizzlePg } = await import('drizzle-orm/node-postgres');
  const { migrate: migratePg } = await import('drizzle-orm/node-postgres/migrator');
  const client = await handle.pool.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      const query = (text: string) => client.query<{ n: number }>(text).then((r) => r.rows);
      const before = await countApplied(query);
      await migratePg(drizzlePg({ client }), { migrationsFolder: MIGRATIONS_FOLDER });
      return { applied: (await countApplied(query)) - before, total };
    } finally {
      await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
}

/** How many of the migrations this build knows are applied to the database. */
export async function migrationStatus(handle: DatabaseHandle): Promise<MigrationResult> {
  const total = readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER }).length;
  const embedded = handle.embedded;
  const query = embedded
    ? (text: string) => embedded.query<{ n: number }>(text).then((r) => r.rows)
    : (text: string) => handle.pool!.query<{ n: number }>(text).then((r) => r.rows);
  return { applied: await countApplied(query), total };
}

async function countApplied(query: (text: string) => Promise<{ n: number }[]>): Promise<number> {
  // Two statements: a subquery naming a missing table fails at parse time.
  const [exists] = await query(`select (to_regclass('drizzle.__drizzle_migrations') is not null)::int as n`);
  if (!exists?.n) return 0;
  const [row] = await query('select count(*)::int as n from drizzle.__drizzle_migrations');
  return Number(row?.n ?? 0);
}
