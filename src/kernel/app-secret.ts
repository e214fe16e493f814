import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
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

export async function ensureDataDir(dataDir: string): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
}
