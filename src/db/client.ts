import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import type { DatabaseConfig } from '../app/config.js';
import { acquireEmbeddedLock } from './lock.js';
import * as schema from './schema/index.js';

export type Schema = typeof schema;
/** What domain code sees: the same Drizzle API over PGlite and over PostgreSQL. */
export type Database = PgDatabase<PgQueryResultHKT, Schema>;
/** A transaction handle; every function taking `Database` accepts one too. */
export type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];

export interface DatabaseHandle {
  db: Database;
  kind: DatabaseConfig['kind'];
  /** Cheap round trip for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
  /** Set only for the embedded database; the migrator needs the concrete driver. */
  pglite?: PGlite;
  pool?: pg.Pool;
}

export interface OpenOptions {
  /** Where the embedded lock lives; required for embedded on-disk databases. */
  dataDir?: string;
  poolSize?: number;
  onPoolError?: (error: Error) => void;
}

export async function openDatabase(config: DatabaseConfig, options: OpenOptions = {}): Promise<DatabaseHandle> {
  if (config.kind === 'postgres') return openPostgres(config.url, options);
  const release = options.dataDir ? await acquireEmbeddedLock(options.dataDir) : async () => {};
  try {
    const handle = await openPglite(config.directory);
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

/** `directory` may be `memory://` for tests. */
export async function openPglite(directory: string): Promise<DatabaseHandle> {
  const client = await PGlite.create(directory);
  const db = drizzlePglite({ client, schema, casing: 'snake_case' }) as unknown as Database;
  return {
    db,
    kind: 'embedded',
    pglite: client,
    async ping() {
      await client.query('select 1');
    },
    async close() {
      if (!client.closed) await client.close();
    },
  };
}

function openPostgres(url: string, options: OpenOptions): DatabaseHandle {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 5_000,
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', (error) => options.onPoolError?.(error));
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
