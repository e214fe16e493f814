import { PGlite } from '@electric-sql/pglite';

/**
 * PGlite's defaults size shared buffers for a big server (about 160 MB, all of
 * it resident). One small business's conversations fit in far less; 16 MB
 * roughly halves the embedded server's memory.
 */
export const EMBEDDED_START_PARAMS = [
  ...PGlite.defaultStartParams,
  '-c',
  'shared_buffers=16MB',
  '-c',
  'wal_buffers=1MB',
];
