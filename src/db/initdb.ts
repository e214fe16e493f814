import { PGlite } from '@electric-sql/pglite';
import { EMBEDDED_START_PARAMS } from './pglite-params.js';

/**
 * Creates an embedded database cluster and exits. Run as a child process on
 * first start: initdb runs a second PostgreSQL instance whose memory would
 * otherwise stay with the server for its whole life.
 */
const directory = process.argv[2];
if (!directory) {
  process.stderr.write('usage: initdb.js DIRECTORY\n');
  process.exit(2);
}
const db = await PGlite.create(directory, { startParams: EMBEDDED_START_PARAMS });
await db.close();
