import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKind } from '../helpers/database.js';
import { parleyEnvironment, runParley, startParley, type ParleyServer } from '../helpers/processes.js';

/** `npm start` while something else holds the port: one line saying what to do, exit 1, no stack. */
let env: NodeJS.ProcessEnv;
let cleanup: (() => Promise<void>) | undefined;
let occupier: net.Server;
let port: number;
let server: ParleyServer | undefined;

beforeAll(async () => {
  // A first start, so the failed one has the most to leave behind.
  ({ env, cleanup } = await parleyEnvironment('busy-port', {}, { fresh: true }));
  occupier = net.createServer();
  await new Promise<void>((resolve) => occupier.listen(0, '127.0.0.1', resolve));
  port = (occupier.address() as net.AddressInfo).port;
});
afterAll(async () => {
  await server?.stop('SIGKILL');
  await new Promise((resolve) => occupier.close(resolve));
  await cleanup?.();
});

describe(`parley serve on a port in use (${testDatabaseKind})`, { timeout: 60_000 }, () => {
  it('says so in one line naming PORT, and exits 1', async () => {
    const result = await runParley(['serve'], { ...env, PORT: String(port), HOST: '127.0.0.1' });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `Error: port ${port} is already in use (is another Parley running?). Set PORT to a free port, e.g. PORT=${port + 1} npm start.\n`,
    );
    expect(`${result.stdout}${result.stderr}`).not.toMatch(/EADDRINUSE|\n\s+at /);
  });

  it('leaves nothing behind that stops the next start on a free port', async () => {
    server = await startParley(env);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});
