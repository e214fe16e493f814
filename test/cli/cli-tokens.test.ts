import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKind } from '../helpers/database.js';
import { parleyEnvironment, runParley, startParley, type ParleyServer } from '../helpers/processes.js';
import { connectLive } from '../helpers/ws.js';

/**
 * `parley token create|list|revoke` as an operator runs them: real processes
 * beside a running server (embedded: through its control socket; PostgreSQL:
 * directly, the revoke reaching the server through Redis).
 */
let env: NodeJS.ProcessEnv;
let cleanup: (() => Promise<void>) | undefined;
let server: ParleyServer;

beforeAll(async () => {
  ({ env, cleanup } = await parleyEnvironment('cli-tokens'));
  // Generous: a fresh embedded database is created and migrated first, on a machine that may be busy.
  server = await startParley(env, 'serve', 120_000);
  const created = await parley(['createuser', 'alice', '--password', 'correct horse']);
  expect(created.code, created.stderr).toBe(0);
}, 180_000);
afterAll(async () => {
  await server?.stop('SIGKILL');
  await cleanup?.();
});

const parley = (args: string[]) => runParley(args, env);
const HOUR_MS = 3_600_000;

interface ListedToken {
  id: string;
  name: string;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  expired: boolean;
}

async function listed(username: string): Promise<ListedToken[]> {
  const result = await parley(['token', 'list', username, '--json']);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as ListedToken[];
}

// Each command is a process of its own, on a machine that may be busy.
describe(`parley token (${testDatabaseKind})`, { timeout: 60_000 }, () => {
  it('creates tokens with a name and an expiry, and lists them without their secrets', async () => {
    const forever = await parley(['token', 'create', 'alice']);
    const laptop = await parley(['token', 'create', 'alice', '--name', 'laptop', '--expires-in', '12h']);
    for (const result of [forever, laptop]) {
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/^prl_[0-9A-Za-z]{44}\n$/);
    }

    const tokens = await listed('alice');
    expect(tokens.map((token) => token.name)).toEqual(['laptop', 'cli']);
    const [withExpiry, without] = tokens;
    const lifetime = Date.parse(withExpiry!.expires_at!) - Date.parse(withExpiry!.created_at);
    expect(Math.abs(lifetime - 12 * HOUR_MS)).toBeLessThan(60_000);
    expect(without).toMatchObject({ expires_at: null, expired: false, last_used_at: null });

    const table = await parley(['token', 'list', 'alice']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^id\s+name\s+created\s+last used\s+expires\n/);
    expect(table.stdout).toMatch(new RegExp(`${without!.id}\\s+cli\\s+\\S+\\s+never\\s+never`));
    for (const secret of [forever.stdout.trim(), laptop.stdout.trim()]) {
      expect(table.stdout).not.toContain(secret.slice(4, 16));
    }
  });

  // The command line itself is refused before any database is opened: the same on every database.
  if (testDatabaseKind === 'embedded') {
    it('exits 2 with the expected form on a bad --expires-in, and creates nothing; 2 without an argument', async () => {
      const before = (await listed('alice')).length;
      for (const bad of ['soon', '0', '1.5h', '3651d']) {
        const result = await parley(['token', 'create', 'alice', '--expires-in', bad]);
        expect(result.code, bad).toBe(2);
        expect(result.stdout).toBe('');
        expect(result.stderr).toContain('Expected a duration such as 30d, 12h, 45m or 3600 (seconds)');
      }
      expect((await listed('alice')).length).toBe(before);
      expect((await parley(['token', 'create', 'alice', '--expires-in', '3600'])).code).toBe(0);

      expect((await parley(['token', 'revoke'])).code).toBe(2);
      expect((await parley(['token', 'list'])).code).toBe(2);
    });
  }

  it('exits 1 for a user or a token that does not exist', async () => {
    const nobody = await parley(['token', 'list', 'nobody']);
    expect(nobody.code).toBe(1);
    expect(nobody.stderr).toContain('no user named "nobody"');

    const unknown = await parley(['token', 'revoke', 'no-such-id']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no token with id "no-such-id"');
  });

  it('revokes a token by id: refused at once, its socket closed, others untouched', async () => {
    const doomed = (await parley(['token', 'create', 'alice', '--name', 'doomed'])).stdout.trim();
    const kept = (await parley(['token', 'create', 'alice', '--name', 'kept'])).stdout.trim();
    const doomedSocket = await connectLive(server.url, { token: doomed });
    const keptSocket = await connectLive(server.url, { token: kept });
    try {
      const closed = new Promise<{ code: number; reason: string }>((resolve) =>
        doomedSocket.socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
      );
      const id = (await listed('alice')).find((token) => token.name === 'doomed')!.id;

      const revoked = await parley(['token', 'revoke', id]);
      expect(revoked.code, revoked.stderr).toBe(0);
      expect(revoked.stdout).toBe(`Revoked token ${id} ("doomed") of alice.\n`);

      expect(await closed).toEqual({ code: 4001, reason: 'token revoked' });
      const me = (token: string) =>
        fetch(`${server.url}/api/v1/auth/me/`, { headers: { authorization: `Bearer ${token}` } });
      if (testDatabaseKind === 'embedded') {
        // The revoke ran inside this very server, so its token cache forgot the token at once.
        expect((await me(doomed)).status).toBe(401);
      }
      expect((await me(kept)).status).toBe(200);
      expect(keptSocket.socket.readyState).toBe(keptSocket.socket.OPEN);
      expect((await listed('alice')).map((token) => token.name)).not.toContain('doomed');
      expect((await parley(['token', 'revoke', id])).code).toBe(1);
    } finally {
      await Promise.all([doomedSocket.close(), keptSocket.close()]);
    }
  });

  it('signin_link prints a one-time link to the dashboard, and refuses an unknown user or a bad lifetime', async () => {
    const made = await parley(['signin_link', 'Alice', '--minutes', '30']);
    expect(made.code, made.stderr).toBe(0);
    const link = new URL(made.stdout.trim());
    // PUBLIC_URL (here unset: this server's own address, as configured) followed by the sign-in page.
    expect(link.pathname).toBe('/sign-in');
    expect(link.hash).toMatch(/^#link=[\w-]{43}$/);
    expect(made.stderr).toContain('It signs in once');
    const redeem = () =>
      fetch(`${server.url}/api/v1/auth/session/link/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: link.hash.slice('#link='.length) }),
      });
    const signedIn = await redeem();
    expect(signedIn.status).toBe(200);
    expect(await signedIn.json()).toMatchObject({ user: { username: 'alice' } });
    expect((await redeem()).status).toBe(401);

    const nobody = await parley(['signin_link', 'nobody']);
    expect(nobody.code).toBe(1);
    expect(nobody.stderr).toContain('no user named "nobody"');
    for (const minutes of ['0', 'soon', '20000']) {
      const refused = await parley(['signin_link', 'alice', '--minutes', minutes]);
      expect(refused.code, minutes).not.toBe(0);
      expect(refused.stdout, minutes).toBe('');
      expect(refused.stderr, minutes).toMatch(/--minutes|whole number/);
    }
  });
});
