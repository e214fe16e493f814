import { buildIfNeeded } from '../scripts/build.js';
import { ensurePgliteSnapshots } from './helpers/pglite-snapshots.js';

/**
 * The process tests spawn the real `parley` bin, which runs dist/: build it once, up front.
 * The embedded test databases start from dumps of a migrated cluster: make them once too.
 */
export default async function setup(): Promise<void> {
  buildIfNeeded();
  await ensurePgliteSnapshots();
}
