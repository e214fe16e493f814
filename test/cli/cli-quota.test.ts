import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GeminiFake } from '../fakes/gemini.js';
import { testDatabaseKind } from '../helpers/database.js';
import { parleyEnvironment, runParley, startParley, type ParleyServer } from '../helpers/processes.js';

/** `ai_control quota`, run as an operator would, beside a running server that enforces it. */
let env: NodeJS.ProcessEnv;
let gemini: GeminiFake;
let server: ParleyServer;
let cleanup: (() => Promise<void>) | undefined;
let token: string;

const parley = (args: string[]) => runParley(args, env);
const modelCalls = () =>
  gemini.requests.filter((r) => r.method === 'generateContent' || r.method === 'streamGenerateContent').length;

async function ask(customer: string) {
  const response = await fetch(`${server.url}/api/v1/ai/ask/`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ question: 'Open today?', customer_id: customer }),
  });
  return response.json() as Promise<Record<string, unknown>>;
}

beforeAll(async () => {
  gemini = await GeminiFake.start({ apiKey: 'quota-key' });
  ({ env, cleanup } = await parleyEnvironment('cli-quota', {
    GEMINI_API_KEY: 'quota-key',
    GEMINI_BASE_URL: gemini.url,
    GEMINI_RETRIES: '0',
  }));
  server = await startParley(env);
  await parley(['createuser', 'alice', '--password', 'correct horse']);
  token = (await parley(['token', 'create', 'alice'])).stdout.trim();
  await parley(['ai_control', 'enable', '--user', 'alice']);
});

afterAll(async () => {
  await server?.stop('SIGKILL');
  await gemini?.close();
  await cleanup?.();
});

describe(`ai_control quota (${testDatabaseKind})`, () => {
  it('shows a business without caps', async () => {
    const shown = await parley(['ai_control', 'quota', '--user', 'alice']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toBe(
      [
        'Quota for alice (calendar days and months in UTC):',
        '  daily:   0 tokens used today (no cap)',
        '  monthly: 0 tokens used this month (no cap)',
        '  status:  no caps',
        "  weight:  1 (its turns on the shared key's per-minute budget when contended; 1 is an equal share)",
        '',
      ].join('\n'),
    );
  });

  it('sets caps that stop the next model call once used up', async () => {
    const set = await parley([
      'ai-control',
      'quota',
      '--user',
      'alice',
      '--daily-tokens',
      '500',
      '--monthly-tokens',
      '9000',
    ]);
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('Updated the quota of alice.');
    expect(set.stdout).toContain('0 of 500 tokens used today');
    expect(set.stdout).toContain('0 of 9,000 tokens used this month');

    gemini.enqueue({ text: 'Yes, until six.', usage: { promptTokenCount: 550, candidatesTokenCount: 50 } });
    expect(await ask('c1')).toMatchObject({ answer: 'Yes, until six.', auto_response_generated: true });
    expect(modelCalls()).toBe(1);
    expect(await ask('c1')).toMatchObject({ answer: null, auto_response_generated: false, reason: 'quota_exceeded' });
    expect(modelCalls()).toBe(1);

    const json = await parley(['ai_control', 'quota', '--user', 'alice', '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      username: 'alice',
      daily_tokens: 500,
      daily_tokens_source: 'own',
      monthly_tokens: 9000,
      monthly_tokens_source: 'own',
      used_today: 600,
      used_this_month: 600,
      weight: 1,
      remaining: 0,
      exceeded: true,
    });
    const text = await parley(['ai_control', 'quota', '--user', 'alice']);
    expect(text.stdout).toContain('EXCEEDED: AI replies stop with reason quota_exceeded');

    const lifted = await parley(['ai_control', 'quota', '--user', 'alice', '--daily-tokens', '0', '--json']);
    expect(JSON.parse(lifted.stdout)).toMatchObject({
      daily_tokens: null,
      daily_tokens_source: 'own',
      monthly_tokens: 9000,
      remaining: 8400,
    });
    expect((await parley(['ai_control', 'quota', '--user', 'alice'])).stdout).toContain(
      '  daily:   600 tokens used today (no cap: its own setting, whatever the default)',
    );
    // Back to the operator's default, which this server does not set.
    const reset = await parley(['ai_control', 'quota', '--user', 'alice', '--daily-tokens', 'default', '--json']);
    expect(reset.stderr).not.toContain('Error');
    expect(JSON.parse(reset.stdout)).toMatchObject({ daily_tokens: null, daily_tokens_source: 'default' });
  });

  it("sets a business's weight, kept beside its caps, and its asks still go through the shared key's gate", async () => {
    await parley(['createuser', 'bob', '--password', 'correct horse']);
    const bobToken = (await parley(['token', 'create', 'bob'])).stdout.trim();
    await parley(['ai_control', 'enable', '--user', 'bob']);
    await parley(['ai_control', 'quota', '--user', 'bob', '--daily-tokens', '5000']);
    const set = await parley(['ai_control', 'quota', '--user', 'bob', '--weight', '2.5']);
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('Updated the quota of bob.');
    expect(set.stdout).toContain('  weight:  2.5 ');
    expect(set.stdout).toContain('0 of 5,000 tokens used today');

    // The server runs with the default GEMINI_REQUESTS_PER_MINUTE (500): the call takes a slot for bob, weight 2.5.
    gemini.enqueue({ text: 'We open at nine.' });
    const response = await fetch(`${server.url}/api/v1/ai/ask/`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bobToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ question: 'When do you open?', customer_id: 'c9' }),
    });
    expect(await response.json()).toMatchObject({ answer: 'We open at nine.', auto_response_generated: true });

    const json = JSON.parse((await parley(['ai_control', 'quota', '--user', 'bob', '--json'])).stdout) as object;
    expect(json).toMatchObject({ daily_tokens: 5000, weight: 2.5 });
  });

  it('names an unknown user and exits 1', async () => {
    const ghost = await parley(['ai_control', 'quota', '--user', 'ghost', '--daily-tokens', '5']);
    expect(ghost.code).toBe(1);
    expect(ghost.stderr).toContain('no user named "ghost"');
  });

  // The command line itself is refused before any database is opened: the same on every database.
  if (testDatabaseKind === 'embedded') {
    // Eleven CLI processes one after the other: more than the default 20 s on a busy 2-core machine.
    it('treats bad numbers and a missing --user as usage errors (exit 2)', async () => {
      for (const args of [
        ['--user', 'alice', '--daily-tokens', '-5'],
        ['--user', 'alice', '--daily-tokens', 'abc'],
        ['--user', 'alice', '--monthly-tokens', '2.5'],
        ['--user', 'alice', '--monthly-tokens', '10000000000000'],
        ['--daily-tokens', '5'],
        ['--user', 'alice', '--weight', '0'],
        ['--user', 'alice', '--weight', '0.05'],
        ['--user', 'alice', '--weight', '101'],
        ['--user', 'alice', '--weight', '-1'],
        ['--user', 'alice', '--weight', 'heavy'],
      ]) {
        const result = await parley(['ai_control', 'quota', ...args]);
        expect(result.code, args.join(' ')).toBe(2);
        expect(result.stderr).not.toBe('');
      }
      const unchanged = JSON.parse((await parley(['ai_control', 'quota', '--user', 'alice', '--json'])).stdout) as {
        daily_tokens: number | null;
        weight: number;
      };
      expect(unchanged.daily_tokens).toBeNull();
      expect(unchanged.weight).toBe(1);
    }, 60_000);
  }
});
