import { buildIfNeeded } from '../scripts/build.js';
import { ensurePgliteSnapshots } from './helpers/pglite-snapshots.js';
import { migratedPostgresTemplate } from './helpers/database.js';
import { migratedEmbeddedDatabase } from './helpers/processes.js';

/**
 * The process tests spawn the real `parley` bin, which runs dist/: build it once, up front.
 * Test databases start from a migrated one (in memory, in a data dir, on PostgreSQL): make those once too,
 * rather than in two workers at the same time.
 */
export default async function setup(): Promise<void> {
  buildIfNeeded();
  // The PostgreSQL template first: the embedded work below holds this process's event loop for seconds at a
  // time, and a connection opened beside it once missed pg's connect timeout.
  if (process.env.TEST_DATABASE_URL) await migratedPostgresTemplate();
  await Promise.all([ensurePgliteSnapshots(), migratedEmbeddedDatabase()]);
}
