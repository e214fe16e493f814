import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKind } from '../helpers/database.js';
import { parleyEnvironment, runParley, startParley, type ParleyServer } from '../helpers/processes.js';

/**
 * `GEMINI_API_KEY=x parley ai_control status` beside a running server. With
 * the embedded database the command runs inside the server, with the server's
 * environment: the CLI says so, and names each variable the server does not
 * share. With PostgreSQL it runs in the CLI, with the shell's.
 */
const SHELL_KEY = 'AIza-only-in-this-shell-0123456789';
let env: NodeJS.ProcessEnv;
let cleanup: (() => Promise<void>) | undefined;
let server: ParleyServer | undefined;

beforeAll(async () => {
  ({ env, cleanup } = await parleyEnvironment('forwarded', { PARLEY_TIMEZONE: 'Europe/Lisbon' }));
  server = await startParley(env);
}, 90_000);
afterAll(async () => {
  await server?.stop('SIGKILL');
  await cleanup?.();
});

const NOTICE =
  /^Running in the Parley server that is already running \(pid (\d+)\), which holds the database; it uses its own environment\.$/;
const warning = (name: string) =>
  `Warning: ${name} is set in this shell but the running server has a different value (or none); the command uses the server's. Restart the server with it to change that.`;

async function status(extra: Record<string, string>) {
  const result = await runParley(['ai_control', 'status', '--json'], { ...env, ...extra });
  expect(result.code, result.stderr).toBe(0);
  return {
    stderr: result.stderr.trimEnd().split('\n'),
    keyConfigured: (JSON.parse(result.stdout) as { api_key_configured: boolean }).api_key_configured,
  };
}

describe(`a command beside a running server (${testDatabaseKind})`, { timeout: 60_000 }, () => {
  if (testDatabaseKind === 'embedded') {
    it('says it runs in the server, and warns of each variable the shell sets that the server does not share', async () => {
      const result = await status({
        GEMINI_API_KEY: SHELL_KEY,
        PARLEY_TIMEZONE: 'UTC',
        PARLEY_PASSWORD: 'not compared',
      });
      expect(result.stderr[0]).toMatch(NOTICE);
      expect(Number(NOTICE.exec(result.stderr[0]!)![1])).toBe(server!.process.pid);
      expect(result.stderr.slice(1)).toEqual([warning('GEMINI_API_KEY'), warning('PARLEY_TIMEZONE')]);
      // The command still ran, with the server's environment: no key there.
      expect(result.keyConfigured).toBe(false);
      // The key itself went nowhere: not printed, not logged by the server.
      expect(result.stderr.join('\n')).not.toContain(SHELL_KEY);
      expect(server!.output()).not.toContain(SHELL_KEY);
    });

    it('only says where it runs when the shell and the server agree', async () => {
      const result = await status({});
      expect(result.stderr).toHaveLength(1);
      expect(result.stderr[0]).toMatch(NOTICE);
      expect(result.keyConfigured).toBe(false);
    });
  } else {
    it('runs in the CLI itself, with the shell environment, and says nothing about a server', async () => {
      const result = await status({ GEMINI_API_KEY: SHELL_KEY });
      expect(result.stderr).toEqual(['']);
      expect(result.keyConfigured).toBe(true);
    });
  }
});
