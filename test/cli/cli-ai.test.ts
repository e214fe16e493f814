import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GeminiFake } from '../fakes/gemini.js';
import { testDatabaseKind } from '../helpers/database.js';
import { parleyEnvironment, runParley, startParley, type ParleyServer } from '../helpers/processes.js';

/** The seed's management commands, run as an operator would, beside a running server. */
let env: NodeJS.ProcessEnv;
let gemini: GeminiFake;
let server: ParleyServer;
let cleanup: (() => Promise<void>) | undefined;
let aliceToken: string;

const parley = (args: string[], input?: string) => runParley(args, env, input);

async function api(method: string, url: string, body?: unknown) {
  const response = await fetch(`${server.url}${url}`, {
    method,
    headers: { authorization: `Bearer ${aliceToken}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return response.json() as Promise<Record<string, unknown>>;
}

beforeAll(async () => {
  gemini = await GeminiFake.start({ apiKey: 'cli-key' });
  ({ env, cleanup } = await parleyEnvironment('cli-ai', {
    GEMINI_API_KEY: 'cli-key',
    GEMINI_BASE_URL: gemini.url,
    GEMINI_RETRIES: '0',
  }));
  server = await startParley(env);
  await parley(['createuser', 'alice', '--password', 'correct horse']);
  await parley(['createuser', 'bob', '--password', 'correct horse']);
  aliceToken = (await parley(['token', 'create', 'alice'])).stdout.trim();
  await parley(['ai_control', 'enable', '--user', 'alice']);
  await api('PUT', '/api/v1/ai/config/', { prompts: { knowledge_source: 'Open 9 to 5.' } });
});

afterAll(async () => {
  await server?.stop('SIGKILL');
  await gemini?.close();
  await cleanup?.();
});

describe(`management commands (${testDatabaseKind})`, () => {
  it('ai_control test makes one real call and reports latency and reply', async () => {
    gemini.reset();
    gemini.enqueue({ text: 'Hello, operator!' });
    const ok = await parley(['ai_control', 'test']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^OK: gemini-flash-latest answered in \d+ ms: Hello, operator!\n$/);
    expect(gemini.requests.filter((r) => r.method === 'generateContent')).toHaveLength(1);

    const missing = await parley(['ai-control', 'test', '--model', 'gemini-1.5-flash', '--json']);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout)).toMatchObject({
      model: 'gemini-1.5-flash',
      ok: false,
      error: expect.stringContaining('model_not_found'),
    });

    gemini.enqueue({ error: { status: 503 } });
    const down = await parley(['ai_control', 'test']);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('FAILED: gemini-flash-latest');
  });

  it('ai_control validate names every problem and exits 1 while any setup is invalid', async () => {
    const all = await parley(['ai_control', 'validate']);
    expect(all.code).toBe(1);
    expect(all.stdout).toContain('alice: OK (gemini-flash-latest)');
    expect(all.stdout).toContain('bob: 2 problems');
    expect(all.stdout).toContain('AI auto-response is disabled (enable it with: parley ai_control enable --user bob)');
    expect(all.stdout).toContain('no prompts are set');
    expect(all.stdout).toContain('1 of 2 AI setups invalid.');

    expect((await parley(['ai_control', 'validate', '--user', 'alice'])).code).toBe(0);
    const json = JSON.parse((await parley(['ai_control', 'validate', '--user', 'bob', '--json'])).stdout) as {
      valid: boolean;
      users: { username: string; problems: string[] }[];
    };
    expect(json.valid).toBe(false);
    expect(json.users).toEqual([expect.objectContaining({ username: 'bob', problems: expect.any(Array) })]);
    expect(json.users[0]?.problems).toHaveLength(2);

    await api('PUT', '/api/v1/ai/config/', { model_name: 'gemini-1.5-flash' });
    const retired = await parley(['ai_control', 'validate', '--user', 'alice']);
    expect(retired.code).toBe(1);
    expect(retired.stdout).toContain('the model "gemini-1.5-flash" does not exist or this key cannot use it');
    await api('PUT', '/api/v1/ai/config/', { model_name: 'gemini-flash-latest' });

    expect((await parley(['ai_control', 'validate', '--user', 'ghost'])).code).toBe(1);
    expect((await parley(['ai_control', 'validate', '--bogus'])).code).toBe(2);
  });

  it('ai_control conversations breaks conversations down by who answers them', async () => {
    gemini.enqueue({ text: 'hi' }, { text: 'hi' });
    await api('POST', '/api/v1/ai/ask/', { question: 'hello', customer_id: 'c1' });
    const second = await api('POST', '/api/v1/ai/ask/', { question: 'hello', customer_id: 'c2' });
    await api('PUT', `/api/v1/ai/conversations/${String(second.session_id).slice(4)}/status/`, {
      status: 'support_active',
    });

    const text = await parley(['ai_control', 'conversations']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/alice\s+1\s+1\s+2/);
    expect(text.stdout).toMatch(/bob\s+0\s+0\s+0/);
    const json = JSON.parse(
      (await parley(['ai_control', 'conversations', '--user', 'alice', '--json'])).stdout,
    ) as unknown;
    expect(json).toEqual({
      users: [{ username: 'alice', active: 1, support_active: 1, total: 2 }],
      total: { active: 1, support_active: 1, total: 2 },
    });
  });

  it('ai_control sync reports the conversations it checked', async () => {
    const sync = await parley(['ai_control', 'sync']);
    expect(sync.code).toBe(0);
    expect(sync.stdout).toBe('Checked 2 conversations: all in sync.\n');
  });

  it('test_ai_setup checks everything and exits 1 until every setup is valid', async () => {
    const failing = await parley(['test_ai_setup']);
    expect(failing.code).toBe(1);
    expect(failing.stdout).toContain('[ OK ] database:');
    expect(failing.stdout).toContain('[ OK ] migrations: all');
    expect(failing.stdout).toContain('[ OK ] gemini key: GEMINI_API_KEY is set');
    expect(failing.stdout).toContain('[ OK ] model: gemini-flash-latest is reachable with the key');
    expect(failing.stdout).toContain('[FAIL] user bob:');
    if (env.REDIS_URL) expect(failing.stdout).toContain('[ OK ] redis: answers PONG');

    await parley(['ai_control', 'enable']);
    const bobToken = (await parley(['token', 'create', 'bob'])).stdout.trim();
    await fetch(`${server.url}/api/v1/ai/config/`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${bobToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ prompts: { manual_prompt: "Bob's bikes." } }),
    });
    const passing = await parley(['test-ai-setup', '--json']);
    expect(passing.code).toBe(0);
    const report = JSON.parse(passing.stdout) as { ok: boolean; checks: { name: string; ok: boolean }[] };
    expect(report.ok).toBe(true);
    expect(report.checks.map((check) => check.name)).toEqual(
      expect.arrayContaining(['database', 'migrations', 'gemini key', 'model', 'user alice', 'user bob']),
    );
  });

  it("runs with the configuration of whoever holds the database: the embedded server's, or the CLI's own", async () => {
    const keyless = { ...env, GEMINI_API_KEY: '' };
    const result = await runParley(['ai_control', 'test'], keyless);
    if (testDatabaseKind === 'postgres') {
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('GEMINI_API_KEY is not set');
    } else {
      expect(result.code).toBe(0);
    }
  });
});
