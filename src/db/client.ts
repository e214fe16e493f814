import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import type pg from 'pg';
import type { DatabaseConfig } from '../kernel/config.js';
import { acquireEmbeddedLock } from './lock.js';
import { PgliteThread, type EmbeddedClient } from './pglite-thread.js';
import { prepareRepeatedStatements, runUnprepared } from './prepared-statements.js';
import * as schema from './schema/index.js';

export type Schema = typeof schema;
/** What domain code sees: the same Drizzle API over PGlite and over PostgreSQL. */
export type Database = PgDatabase<PgQueryResultHKT, Schema>;

/**
 * Rows of a raw `db.execute`: node-postgres and PGlite both return `{ rows }`,
 * but Drizzle's generic type cannot say so for both drivers at once.
 */
export function rowsOf<T>(result: unknown): T[] {
  return (result as { rows: T[] }).rows;
}

export interface DatabaseHandle {
  db: Database;
  kind: DatabaseConfig['kind'];
  /** Cheap round trip for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
  /** Set only for the embedded database; the migrator needs the driver. */
  embedded?: EmbeddedClient;
  /** Set only for an embedded database on this thread (tests dump it). */
  pglite?: PGlite;
  pool?: pg.Pool;
}

/**
 * Where the embedded database runs: on a thread of its own (servers and the
 * CLI: queries never stall HTTP, WebSockets or timers), or on the caller's
 * (tests, which start hundreds of databases and wait on each query anyway).
 */
export type EmbeddedThread = 'own' | 'caller';

export interface OpenOptions {
  /** Where the embedded lock lives; required for embedded on-disk databases. */
  dataDir?: string;
  poolSize?: number;
  onPoolError?: (error: Error) => void;
}

export async function openDatabase(config: DatabaseConfig, options: OpenOptions = {}): Promise<DatabaseHandle> {
  if (config.kind === 'postgres') return openPostgres(config, options);
  const release = options.dataDir ? await acquireEmbeddedLock(options.dataDir) : async () => {};
  try {
    const handle = await openPglite(config.directory, { thread: 'own' });
    return {
      ...handle,
      async close() {
        await handle.close();
        await release();
      },
    };
  } catch (error) {
    await release();
    throw error;
  }
}

/**
 * `directory` may be `memory://` for tests, which can start it from a dump of
 * another cluster (`loadDataDir`) rather than pay for initdb each time.
 */
export async function openPglite(
  directory: string,
  options: { loadDataDir?: Blob; thread?: EmbeddedThread } = {},
): Promise<DatabaseHandle> {
  if (!directory.includes('://')) initEmbeddedCluster(directory);
  const { thread = 'caller', loadDataDir } = options;
  const pglite = thread === 'caller' ? await openInCaller(directory, loadDataDir) : undefined;
  const client: EmbeddedClient = pglite
    ? await withPreparedStatements(pglite)
    : await PgliteThread.start({ directory, ...(loadDataDir ? { loadDataDir } : {}) });
  return {
    // Drizzle's PGlite driver calls only what EmbeddedClient declares, though its types name PGlite.
    db: drizzlePglite({ client: client as PGlite, schema, casing: 'snake_case' }) as unknown as Database,
    kind: 'embedded',
    embedded: client,
    ...(pglite ? { pglite } : {}),
    async ping() {
      await client.query('select 1');
    },
    async close() {
      if (!client.closed) await client.close();
    },
  };
}

// pg is loaded only in PostgreSQL mode: the embedded server does not pay for it.
async function openPostgres(
  { url, preparedStatements = true }: Extract<DatabaseConfig, { kind: 'postgres' }>,
  options: OpenOptions,
): Promise<DatabaseHandle> {
  const { default: pg } = await import('pg');
  const { drizzle: drizzlePg } = await import('drizzle-orm/node-postgres');
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 5_000,
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', (error) => options.onPoolError?.(error));
  if (preparedStatements) prepareRepeatedStatements(pool);
  else runUnprepared(pool);
  const db = drizzlePg({ client: pool, schema, casing: 'snake_case' }) as unknown as Database;
  let closed = false;
  return {
    db,
    kind: 'postgres',
    pool,
    async ping() {
      await db.execute(sql`select 1`);
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}

/**
 * PGlite's JavaScript is loaded where the database runs: a server whose database has a thread of its own
 * (openDatabase) never loads it on the main thread, where V8 would keep its ~0.5 MB of source for nothing.
 */
async function openInCaller(directory: string, loadDataDir: Blob | undefined): Promise<PGlite> {
  const [{ PGlite }, { EMBEDDED_START_PARAMS }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('./pglite-params.js'),
  ]);
  return PGlite.create(directory, { startParams: EMBEDDED_START_PARAMS, ...(loadDataDir ? { loadDataDir } : {}) });
}

/** PGlite on this thread, its repeated statements prepared as on the database's own thread. */
async function withPreparedStatements(pglite: PGlite): Promise<EmbeddedClient> {
  const { preparingQuery } = await import('./pglite-prepared.js');
  return {
    query: preparingQuery(pglite),
    exec: (query, options) => pglite.exec(query, options),
    transaction: (callback) => pglite.transaction(callback),
    close: () => pglite.close(),
    get closed() {
      return pglite.closed;
    },
  };
}

/** Runs initdb for a new on-disk database in a child process (see initdb.ts). */
function initEmbeddedCluster(directory: string): void {
  if (existsSync(path.join(directory, 'PG_VERSION'))) return;
  const script = fileURLToPath(new URL('./initdb.js', import.meta.url));
  // Running from TypeScript sources (tests) there is no compiled script: PGlite then runs initdb in-process.
  if (!existsSync(script)) return;
  const result = spawnSync(process.execPath, [script, directory], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (result.status !== 0) {
    throw new Error(`Could not create the embedded database in ${directory}: ${result.stderr.toString().trim()}`);
  }
}
