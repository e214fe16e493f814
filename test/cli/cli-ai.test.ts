import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GeminiFake } from '../fakes/gemini.js';
import { testDatabaseKind } from '../helpers/database.js';
import { until } from '../helpers/wait.js';
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
    // Allowed by the operator, unknown to the key: what `validate` must find.
    PARLEY_ALLOWED_MODELS: 'gemini-1.5-flash',
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

  it('ai_control validate names every finding; exit 1 on what is broken, with --strict on what is unfinished', async () => {
    const all = await parley(['ai_control', 'validate']);
    // Bob has the AI off and no prompts: his choice, reported, not a failure.
    expect(all.code).toBe(0);
    expect(all.stdout).toContain('alice: ready (gemini-flash-latest)');
    expect(all.stdout).toContain('bob: not set up yet (gemini-flash-latest)');
    expect(all.stdout).toContain(
      '  - AI auto-response is off, so people answer every conversation (turn it on with: parley ai_control enable --user bob)',
    );
    expect(all.stdout).toContain('  - no prompts are set, so the AI knows nothing about the business');
    expect(all.stdout).toContain('1 ready, 1 not set up yet, 0 broken.');

    const strict = await parley(['ai_control', 'validate', '--strict']);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toContain('1 AI setup failed (--strict).');

    const json = JSON.parse((await parley(['ai_control', 'validate', '--user', 'bob', '--json'])).stdout) as {
      valid: boolean;
      users: { username: string; status: string; findings: { code: string; severity: string }[] }[];
    };
    expect(json.valid).toBe(true);
    expect(json.users).toEqual([
      expect.objectContaining({
        username: 'bob',
        status: 'unfinished',
        findings: [
          expect.objectContaining({ code: 'ai_off', severity: 'unfinished' }),
          expect.objectContaining({ code: 'no_prompts', severity: 'unfinished' }),
        ],
      }),
    ]);

    // Alice has the AI on: a model her key cannot use is broken, and fails without --strict.
    await api('PUT', '/api/v1/ai/config/', { model_name: 'gemini-1.5-flash' });
    const retired = await parley(['ai_control', 'validate', '--user', 'alice']);
    expect(retired.code).toBe(1);
    expect(retired.stdout).toContain('alice: BROKEN: the AI is on but cannot answer (gemini-1.5-flash)');
    expect(retired.stdout).toContain('the model "gemini-1.5-flash" does not exist or this key cannot use it');
    const setup = await fetch(`${server.url}/api/v1/ai/setup/`, { headers: { authorization: `Bearer ${aliceToken}` } });
    // The dashboard's checklist shows the same finding.
    expect(await setup.json()).toMatchObject({
      status: 'broken',
      findings: [{ code: 'model_unavailable', message: expect.stringContaining('"gemini-1.5-flash" does not exist') }],
    });
    await api('PUT', '/api/v1/ai/config/', { model_name: 'gemini-flash-latest' });

    expect((await parley(['ai_control', 'validate', '--user', 'ghost'])).code).toBe(1);
    expect((await parley(['ai_control', 'validate', '--bogus'])).code).toBe(2);
  }, 60_000);

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

  it('test_ai_setup fails on what is broken, warns about a business not set up yet, and --strict fails on it', async () => {
    const warned = await parley(['test_ai_setup']);
    expect(warned.code).toBe(0);
    expect(warned.stdout).toContain('[ OK ] database:');
    expect(warned.stdout).toContain('[ OK ] migrations: all');
    expect(warned.stdout).toContain('[ OK ] gemini key: GEMINI_API_KEY is set');
    expect(warned.stdout).toContain('[ OK ] model: gemini-flash-latest is reachable with the key');
    expect(warned.stdout).toContain('[ OK ] user alice: ready (gemini-flash-latest)');
    expect(warned.stdout).toContain('[WARN] user bob: not set up yet: AI auto-response is off');
    expect(warned.stdout).toContain('Ready, with 1 business not set up yet (--strict fails on those).');
    if (env.REDIS_URL) expect(warned.stdout).toContain('[ OK ] redis: answers PONG');

    // Alice has the AI on and a model her key cannot use: broken, so the check fails.
    await api('PUT', '/api/v1/ai/config/', { model_name: 'gemini-1.5-flash' });
    const broken = await parley(['test_ai_setup']);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain('[FAIL] user alice: BROKEN: the AI is on but cannot answer: the model');
    expect(broken.stdout).toContain('[WARN] user bob:');
    expect(broken.stdout).toContain('1 check failed.');
    await api('PUT', '/api/v1/ai/config/', { model_name: 'gemini-flash-latest' });

    const strict = await parley(['test-ai-setup', '--strict', '--json']);
    expect(strict.code).toBe(1);
    expect(JSON.parse(strict.stdout)).toMatchObject({
      ok: false,
      strict: true,
      checks: expect.arrayContaining([{ name: 'user bob', ok: false, state: 'fail', detail: expect.any(String) }]),
    });

    const bobToken = (await parley(['token', 'create', 'bob'])).stdout.trim();
    await fetch(`${server.url}/api/v1/ai/config/`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${bobToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ auto_response_enabled: true, prompts: { manual_prompt: "Bob's bikes." } }),
    });
    const passing = await parley(['test-ai-setup', '--strict', '--json']);
    expect(passing.code).toBe(0);
    const report = JSON.parse(passing.stdout) as { ok: boolean; checks: { name: string; state: string }[] };
    expect(report.ok).toBe(true);
    expect(report.checks.map((check) => check.name)).toEqual(
      expect.arrayContaining(['database', 'migrations', 'gemini key', 'model', 'user alice', 'user bob']),
    );
    expect(report.checks.every((check) => check.state === 'ok')).toBe(true);
  }, 60_000);

  it("ai_control suspend keeps the AI off whatever the business sets, and resume restores the business's own switch", async () => {
    gemini.reset();
    const suspended = await parley(['ai_control', 'suspend', '--user', 'alice']);
    expect(suspended.code).toBe(0);
    expect(suspended.stdout).toContain('Suspended the AI of alice');
    const status = JSON.parse((await parley(['ai_control', 'status', '--json'])).stdout) as {
      users: { username: string; auto_response_enabled: boolean; suspended: boolean }[];
    };
    expect(status.users.find((row) => row.username === 'alice')).toMatchObject({
      auto_response_enabled: true,
      suspended: true,
    });
    // Another process's settings are cached for a few seconds; the model call itself reads suspension fresh.
    await until(async () =>
      ((await api('GET', '/api/v1/ai/config/')).answering_now as { reason: string }).reason === 'suspended'
        ? true
        : undefined,
    );
    // Switching auto-response on again is the business's to do, and changes nothing while suspended.
    await api('PATCH', '/api/v1/ai/config/', { auto_response_enabled: true });
    const asked = await api('POST', '/api/v1/ai/ask/', { question: 'Are you open?', customer_id: 'suspended-1' });
    expect(asked).toMatchObject({ answer: null, auto_response_generated: false, reason: 'suspended' });
    expect(gemini.requests.filter((r) => r.method.endsWith('enerateContent'))).toHaveLength(0);
    // The question is kept, and the conversation is with people.
    const session = await api('GET', `/api/v1/ai/sessions/${String(asked.session_id)}/`);
    expect(session).toMatchObject({ status: 'support_active' });
    expect(session.messages).toEqual([expect.objectContaining({ type: 'customer', text: 'Are you open?' })]);
    const conversation = await api('GET', `/api/v1/ai/conversations/${String(asked.session_id).slice(4)}/status/`);
    expect(conversation).toMatchObject({ ai_available: false, reason: 'suspended' });

    const resumed = await parley(['ai-control', 'resume', '--user', 'alice']);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain('Resumed the AI of alice');
    await until(async () =>
      ((await api('GET', '/api/v1/ai/config/')).answering_now as { ai_answers: boolean }).ai_answers ? true : undefined,
    );
    expect(await api('GET', '/api/v1/ai/config/')).toMatchObject({ auto_response_enabled: true });
    gemini.enqueue({ text: 'Yes, 9 to 5.' });
    expect(await api('POST', '/api/v1/ai/ask/', { question: 'Open?', customer_id: 'suspended-2' })).toMatchObject({
      answer: 'Yes, 9 to 5.',
    });

    expect((await parley(['ai_control', 'suspend', '--user', 'ghost'])).code).toBe(1);
    expect((await parley(['ai_control', 'suspend'])).code).toBe(2);
  }, 60_000);

  it("runs with the configuration of whoever holds the database: the embedded server's, or the CLI's own", async () => {
    const keyless = { ...env, GEMINI_API_KEY: '' };
    const result = await runParley(['ai_control', 'test'], keyless);
    const setup = await runParley(['test_ai_setup'], keyless);
    if (testDatabaseKind === 'postgres') {
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('GEMINI_API_KEY is not set');
      // Without a key, the operator's check fails, and every business with the AI on is broken.
      expect(setup.code).toBe(1);
      expect(setup.stdout).toContain('[FAIL] gemini key: GEMINI_API_KEY is not set');
      expect(setup.stdout).toContain('[FAIL] user alice: BROKEN');
    } else {
      expect(result.code).toBe(0);
      expect(setup.code).toBe(0);
    }
  });
});
