import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKind } from '../helpers/database.js';
import { parleyEnvironment, runParley } from '../helpers/processes.js';

/** `parley createuser` and the commands that name a user, as an operator types them (no server running). */
let env: NodeJS.ProcessEnv;
let cleanup: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ env, cleanup } = await parleyEnvironment('createuser', { PARLEY_PASSWORD_COST: '10' }));
});
afterAll(async () => {
  await cleanup?.();
});

const parley = (args: string[]) => runParley(args, env);

describe(`parley createuser (${testDatabaseKind})`, { timeout: 60_000 }, () => {
  // Help is printed before any database is opened: the same on every database.
  if (testDatabaseKind === 'embedded') {
    it('documents the password rule in its help', async () => {
      const help = await parley(['createuser', '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/--password <password>\s+at least 8 characters, not all digits/);
    });
  }

  it('says a name is taken before anything about the password, whatever the case it is typed in', async () => {
    expect(await parley(['createuser', 'alice', '--password', 'correct horse'])).toMatchObject({
      code: 0,
      stdout: 'Created user "alice".\n',
    });

    const same = await parley(['createuser', 'alice', '--password', 'short']);
    expect(same).toMatchObject({ code: 1, stdout: '', stderr: 'Error: A user named "alice" already exists.\n' });

    const upper = await parley(['createuser', 'ALICE', '--password', 'short']);
    expect(upper).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'Error: A user named "alice" already exists (usernames are the same whatever their case).\n',
    });
  });

  it('refuses a short password for a new name, saying the rule', async () => {
    const weak = await parley(['createuser', 'bob', '--password', 'short']);
    expect(weak.code).toBe(2);
    expect(weak.stderr).toBe('Error: password: The password must be at least 8 characters.\n');
    // Nothing was created: the same name with a good password works.
    expect((await parley(['createuser', 'Bob', '--password', 'long enough'])).stdout).toBe('Created user "Bob".\n');
  });

  it('finds a user for token and ai_control whatever the case typed, and answers with the spelling kept', async () => {
    const token = await parley(['token', 'create', 'ALICE']);
    expect(token.code).toBe(0);
    expect(token.stdout).toMatch(/^prl_\w+\n$/);

    expect((await parley(['ai_control', 'enable', '--user', 'BOB'])).stdout).toBe(
      'Enabled AI auto-response for Bob.\n',
    );

    const validate = await parley(['ai_control', 'validate', '--user', 'Alice', '--json']);
    const report = JSON.parse(validate.stdout) as { users: { username: string }[] };
    expect(report.users.map((user) => user.username)).toEqual(['alice']);
  });
});
