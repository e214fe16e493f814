import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKind } from '../helpers/database.js';
import { parleyEnvironment, runParley, startParley, type ParleyServer } from '../helpers/processes.js';

/**
 * The CLI as an operator runs it: real processes, beside a running server.
 * Embedded: the server holds PGlite and runs the CLI's commands for it.
 * PostgreSQL: both talk to the database directly.
 */
let dataDir: string;
let env: NodeJS.ProcessEnv;
let cleanup: (() => Promise<void>) | undefined;
let server: ParleyServer | undefined;

beforeAll(async () => {
  // A first start: nothing in the data dir yet.
  ({ env, dataDir, cleanup } = await parleyEnvironment('cli', {}, { fresh: true }));
});

afterAll(async () => {
  await server?.stop('SIGKILL');
  await cleanup?.();
});

const parley = (args: string[], input?: string) => runParley(args, env, input);

async function me(url: string, token: string) {
  const response = await fetch(`${url}/api/v1/auth/me/`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe(`parley CLI (${testDatabaseKind})`, { timeout: 60_000 }, () => {
  it('creates users before any server has run', async () => {
    const created = await parley([
      'createuser',
      'alice',
      '--email',
      'alice@example.com',
      '--password',
      'correct horse',
    ]);
    expect(created.stderr).toBe('');
    expect(created).toMatchObject({ code: 0, stdout: 'Created user "alice".\n' });

    const again = await parley(['createuser', 'alice', '--password', 'another one']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('A user named "alice" already exists.');
  });

  it('exits 2 on usage errors', async () => {
    const badName = await parley(['createuser', 'not a name', '--password', 'correct horse']);
    expect(badName.code).toBe(2);
    expect(badName.stderr).toContain('username');

    const weak = await parley(['createuser', 'weakling', '--password', 'short']);
    expect(weak.code).toBe(2);
    expect(weak.stderr).toContain('at least 8 characters');
  });

  // The command line itself is refused before any database is opened: the same on every database.
  if (testDatabaseKind === 'embedded') {
    it('exits 2 on a command line it cannot parse, and 0 for --help', async () => {
      expect((await parley(['no-such-command'])).code).toBe(2);
      expect((await parley(['token', 'create'])).code).toBe(2);
      expect((await parley(['ai_control', 'enable', '--bogus'])).code).toBe(2);
      expect((await parley(['--help'])).code).toBe(0);
    });
  }

  it('works beside a running server', async () => {
    server = await startParley(env);

    const token = await parley(['token', 'create', 'alice']);
    expect(token.code).toBe(0);
    expect(token.stdout).toMatch(/^prl_[0-9A-Za-z]{44}\n$/);
    expect(await me(server.url, token.stdout.trim())).toEqual({
      status: 200,
      body: { username: 'alice', email: 'alice@example.com', is_admin: false, default_reply_handler: 'AI' },
    });

    // A password piped on standard input, as a script would.
    const bob = await parley(['createuser', 'bob', '--admin'], 'bobs password\n');
    expect(bob).toMatchObject({ code: 0, stdout: 'Created administrator "bob".\n' });
    const login = await fetch(`${server.url}/api/v1/auth/token/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'username=bob&password=bobs+password',
    });
    expect(login.status).toBe(200);

    const enable = await parley(['ai_control', 'enable', '--user', 'alice']);
    expect(enable.code).toBe(0);
    expect(enable.stdout).toContain('Enabled AI auto-response for alice.');

    const status = await parley(['ai-control', 'status', '--json']);
    expect(status.code).toBe(0);
    const report = JSON.parse(status.stdout) as { api_key_configured: boolean; users: Record<string, unknown>[] };
    expect(report.api_key_configured).toBe(false);
    expect(report.users).toEqual([
      expect.objectContaining({ username: 'alice', auto_response_enabled: true, model_name: 'gemini-flash-latest' }),
      expect.objectContaining({
        username: 'bob',
        auto_response_enabled: false,
        conversations: { active: 0, support_active: 0, waiting_for_ai: 0 },
      }),
    ]);

    const table = await parley(['ai_control', 'status']);
    expect(table.stdout).toContain('Last model health check: none yet (it runs every 12 hours)');
    expect(table.stdout).toMatch(/alice\s+enabled\s+AI\s+gemini-flash-latest\s+no\s+0\s+0\s+0/);

    const disableAll = await parley(['ai_control', 'disable']);
    expect(disableAll.stdout).toContain('Disabled AI auto-response for 2 users.');

    expect((await parley(['ai_control', 'enable', '--user', 'ghost'])).code).toBe(1);
    const ghostToken = await parley(['token', 'create', 'ghost']);
    expect(ghostToken.code).toBe(1);
    expect(ghostToken.stdout).toBe('');

    expect((await parley(['migrate'])).stdout).toContain('up to date');
  });

  it('shuts down cleanly on SIGTERM and keeps the data across a restart', async () => {
    const token = (await parley(['token', 'create', 'alice'])).stdout.trim();
    expect(await server!.stop('SIGTERM')).toBe(0);
    if (testDatabaseKind === 'embedded') {
      expect(existsSync(path.join(dataDir, 'parley.pid'))).toBe(false);
      expect(existsSync(path.join(dataDir, 'parley.sock'))).toBe(false);
    }

    // With no server, the CLI opens the database itself.
    expect((await parley(['token', 'create', 'alice'])).code).toBe(0);

    server = await startParley(env);
    expect((await me(server.url, token)).status).toBe(200);
  });

  if (testDatabaseKind === 'embedded') {
    it('refuses a second server on the same embedded database', async () => {
      const second = await runParley(['serve'], { ...env, PORT: '0' });
      expect(second.code).toBe(1);
      expect(second.stderr).toContain('The embedded database is in use by another Parley process');
    });
  }

  it('stops at start-up on invalid configuration, naming the variable', async () => {
    const result = await runParley(['serve'], { ...env, PORT: 'eighty' });
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe('Invalid configuration: PORT must be a port number (got "eighty")');
  });
});
