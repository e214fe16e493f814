import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openPglite } from '../../src/db/client.js';
import { MIGRATIONS_FOLDER, migrateDatabase } from '../../src/db/migrate.js';

/**
 * Dumps of an in-memory PGlite cluster, so a test database starts in about a
 * second instead of running initdb (and every migration) again in each file.
 * `empty`: a fresh cluster, for the migration tests that apply migrations
 * themselves; `migrated`: the same with every migration applied.
 *
 * Kept in node_modules/.cache under a key of the migrations and PGlite's
 * version, so a new migration or a PGlite upgrade makes new dumps (as for
 * the process tests' migrated data dir, processes.ts).
 */
export type PgliteSnapshot = 'empty' | 'migrated';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const snapshotCacheDir = path.join(root, 'node_modules', '.cache', 'parley-test');

export async function snapshotKey(): Promise<string> {
  const hash = createHash('sha256');
  const pglite = JSON.parse(
    await readFile(path.join(root, 'node_modules', '@electric-sql', 'pglite', 'package.json'), 'utf8'),
  ) as { version: string };
  hash.update(pglite.version);
  const files = (await readdir(MIGRATIONS_FOLDER, { recursive: true })).sort();
  for (const file of files) {
    const full = path.join(MIGRATIONS_FOLDER, file);
    if (!file.endsWith('.sql') && !file.endsWith('.json')) continue;
    hash.update(file).update(await readFile(full));
  }
  return hash.digest('hex').slice(0, 16);
}

const snapshotPath = (key: string, kind: PgliteSnapshot) => path.join(snapshotCacheDir, `pglite-${kind}-${key}.tar`);

/** Writes both dumps unless they exist; a file is renamed into place whole, so a reader never sees half of one. */
export async function ensurePgliteSnapshots(): Promise<void> {
  const key = await snapshotKey();
  if (existsSync(snapshotPath(key, 'empty')) && existsSync(snapshotPath(key, 'migrated'))) return;
  await mkdir(snapshotCacheDir, { recursive: true });
  const handle = await openPglite('memory://');
  try {
    const write = async (kind: PgliteSnapshot) => {
      const dump = await handle.pglite!.dumpDataDir('none');
      const partial = `${snapshotPath(key, kind)}.${randomBytes(4).toString('hex')}.tmp`;
      await writeFile(partial, Buffer.from(await dump.arrayBuffer()));
      await rename(partial, snapshotPath(key, kind));
    };
    await write('empty');
    await migrateDatabase(handle);
    await write('migrated');
  } finally {
    await handle.close();
  }
  // What was made for older migrations only takes space.
  for (const file of await readdir(snapshotCacheDir)) {
    if (!file.includes(key)) await rm(path.join(snapshotCacheDir, file), { recursive: true, force: true });
  }
}

/** A dump to start an in-memory PGlite from (made here if the global setup did not). */
export async function pgliteSnapshot(kind: PgliteSnapshot): Promise<Blob> {
  const file = snapshotPath(await snapshotKey(), kind);
  if (!existsSync(file)) await ensurePgliteSnapshots();
  return new Blob([await readFile(file)]);
}
