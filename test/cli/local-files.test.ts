import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanEnv, runParley, startParley, type ParleyServer } from '../helpers/processes.js';

/** What `parley serve` leaves on disk beside the embedded database is its owner's alone. */
let root: string;
let server: ParleyServer | undefined;

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'parley-files-'));
});
afterEach(async () => {
  await server?.stop();
  server = undefined;
  await rm(root, { recursive: true, force: true });
});

const modeOf = async (file: string) => (await stat(file)).mode & 0o777;

describe('the data dir and the control socket', { timeout: 60_000 }, () => {
  it('refuses to start on a data dir anyone can read and write, with one line saying what to do', async () => {
    const dataDir = path.join(root, 'data');
    await mkdir(dataDir);
    await chmod(dataDir, 0o777);

    const result = await runParley(['serve'], cleanEnv({ PARLEY_DATA_DIR: dataDir, PORT: '0' }));
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      `Error: The data directory ${dataDir} can be read or written by other users (mode 0777): run \`chmod 700 ${dataDir}\` and start Parley again.`,
    ]);
    // Nothing was written there: no secret, no database, no lock.
    expect(await readdir(dataDir)).toEqual([]);
  });

  it('starts on a data dir only its owner can use, and its control socket is 0600', async () => {
    const dataDir = root;
    expect(await modeOf(dataDir)).toBe(0o700);
    server = await startParley(cleanEnv({ PARLEY_DATA_DIR: dataDir }), 'serve', 90_000);
    expect(await modeOf(dataDir)).toBe(0o700);
    expect(await modeOf(path.join(dataDir, 'parley.sock'))).toBe(0o600);
    expect(await modeOf(path.join(dataDir, 'app-secret'))).toBe(0o600);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    // The CLI still reaches the server through the socket.
    const status = await runParley(['ai_control', 'status', '--json'], cleanEnv({ PARLEY_DATA_DIR: dataDir }));
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toBeDefined();

    expect(await server.stop()).toBe(0);
    server = undefined;
    expect(existsSync(path.join(dataDir, 'parley.sock'))).toBe(false);
  }, 120_000);
});
