import { chmod, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureDataDir, UnsafeDataDirError } from './app-secret.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'parley-data-dir-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const modeOf = async (dir: string) => (await stat(dir)).mode & 0o777;

describe('ensureDataDir', () => {
  it('creates a missing data dir, and its missing parents, readable by its owner only', async () => {
    const dataDir = path.join(root, 'srv', 'parley', 'data');
    await ensureDataDir(dataDir);
    expect(await modeOf(dataDir)).toBe(0o700);
    expect(await modeOf(path.join(root, 'srv'))).toBe(0o700);
    // Again, as every start does: nothing to say.
    await ensureDataDir(dataDir);
  });

  it('refuses a data dir others can read or write, saying how to fix it', async () => {
    for (const mode of [0o777, 0o755, 0o740, 0o702]) {
      const dataDir = path.join(root, `data-${mode.toString(8)}`);
      await mkdir(dataDir);
      await chmod(dataDir, mode);
      const refusal = ensureDataDir(dataDir);
      await expect(refusal).rejects.toThrow(UnsafeDataDirError);
      await expect(refusal).rejects.toThrow(`run \`chmod 700 ${dataDir}\``);
      expect(await modeOf(dataDir)).toBe(mode);
    }
  });

  it('accepts one only its owner can read and write (others may pass through)', async () => {
    for (const mode of [0o700, 0o711]) {
      const dataDir = path.join(root, `data-${mode.toString(8)}`);
      await mkdir(dataDir);
      await chmod(dataDir, mode);
      await expect(ensureDataDir(dataDir)).resolves.toBeUndefined();
    }
  });
});
