import { randomBytes } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from './config.js';

const SECRET_FILE = 'app-secret';

/**
 * In embedded mode the secret is generated once and kept beside the database,
 * readable only by its owner, so a fresh clone needs no configuration.
 */
export async function withAppSecret(config: Config): Promise<Config & { appSecret: string }> {
  if (config.appSecret) return { ...config, appSecret: config.appSecret };
  await ensureDataDir(config.dataDir);
  const file = path.join(config.dataDir, SECRET_FILE);
  let secret: string;
  try {
    secret = (await readFile(file, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    secret = randomBytes(32).toString('hex');
    try {
      await writeFile(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    } catch (writeError) {
      // Another process wrote it first: use theirs.
      if ((writeError as NodeJS.ErrnoException).code !== 'EEXIST') throw writeError;
      secret = (await readFile(file, 'utf8')).trim();
    }
  }
  if (secret.length < 32) throw new Error(`${file} is damaged: expected at least 32 characters`);
  return { ...config, appSecret: secret };
}

/** The data dir holds the database, the generated APP_SECRET and the control socket: its owner's alone. */
export class UnsafeDataDirError extends Error {
  constructor(dataDir: string, mode: number) {
    super(
      `The data directory ${dataDir} can be read or written by other users (mode ${mode.toString(8).padStart(4, '0')}): run \`chmod 700 ${dataDir}\` and start Parley again.`,
    );
    this.name = 'UnsafeDataDirError';
  }
}

/** Creates the data dir as 0700, or refuses one that others can read or write. */
export async function ensureDataDir(dataDir: string): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const { mode } = await stat(dataDir);
  if ((mode & 0o066) !== 0) throw new UnsafeDataDirError(dataDir, mode & 0o7777);
}
