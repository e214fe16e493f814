import { readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ensureDataDir } from '../kernel/app-secret.js';

/**
 * PGlite is a single-process database: two processes opening one directory
 * would corrupt it. A pid file in the data dir keeps the second one out.
 */
export class EmbeddedDatabaseBusyError extends Error {
  constructor(readonly pid: number) {
    super(`The embedded database is in use by another Parley process (pid ${pid}).`);
    this.name = 'EmbeddedDatabaseBusyError';
  }
}

export function lockFilePath(dataDir: string): string {
  return path.join(dataDir, 'parley.pid');
}

export async function acquireEmbeddedLock(dataDir: string): Promise<() => Promise<void>> {
  await ensureDataDir(dataDir);
  const file = lockFilePath(dataDir);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await writeFile(file, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        await unlink(file).catch(() => {});
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = await lockHolder(dataDir);
      if (holder !== undefined) throw new EmbeddedDatabaseBusyError(holder);
      // The holder died without cleaning up: the lock is stale.
      await unlink(file).catch(() => {});
    }
  }
  throw new Error(`Could not take the embedded database lock ${file}`);
}

/** The pid of the live process holding the lock, if any. */
export async function lockHolder(dataDir: string): Promise<number | undefined> {
  let pid: number;
  try {
    pid = Number.parseInt(await readFile(lockFilePath(dataDir), 'utf8'), 10);
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}
