import { PGlite } from '@electric-sql/pglite';

/**
 * PGlite allocates PostgreSQL's shared memory at start and zeroes it, so all
 * of it stays resident for the life of the server, used or not; its defaults
 * size it for a big server (about 160 MB of shared buffers).
 *
 * - 4 MB of shared buffers (512 pages): one small business's hot pages (the
 *   newest messages, the indexes' right edges) fit, and a page that does not is
 *   read back from the operating system's cache.
 * - 256 kB of WAL buffers: PGlite commits one statement or transaction at a
 *   time, and each commit writes the WAL out.
 * - 5 connection slots: PGlite is one session, and each unused slot still
 *   costs its share of the lock and process tables (2 MiB for the default 100).
 *
 * PostgreSQL rounds its shared memory up to 2 MiB: these come to 8 MiB, where
 * 16 MB of shared buffers, 1 MB of WAL buffers and 100 connections took 24.
 */
export const EMBEDDED_START_PARAMS = [
  ...PGlite.defaultStartParams,
  '-c',
  'shared_buffers=4MB',
  '-c',
  'wal_buffers=256kB',
  '-c',
  'max_connections=5',
];
