import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKind } from '../helpers/database.js';
import { parleyEnvironment, runParley, startParley, type ParleyServer } from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

/**
 * A newcomer's first hour without a Gemini key: `npm start` says why the AI is
 * silent and what to do; the conversations that began meanwhile wait for the
 * AI; restarting with simulated replies hands them back and answers.
 */
let env: NodeJS.ProcessEnv;
let server: ParleyServer | undefined;
let cleanup: (() => Promise<void>) | undefined;
let token: string;
let conversationId: string;

const parley = (args: string[]) => runParley(args, env);

async function api(method: string, url: string, body?: unknown) {
  const response = await fetch(`${server!.url}${url}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  ({ env, cleanup } = await parleyEnvironment('no-key'));
  server = await startParley(env);
  expect((await parley(['createuser', 'alice', '--password', 'correct horse'])).code).toBe(0);
  token = (await parley(['token', 'create', 'alice'])).stdout.trim();
});

afterAll(async () => {
  await server?.stop('SIGKILL');
  await cleanup?.();
});

describe(`without a Gemini key (${testDatabaseKind})`, { timeout: 60_000 }, () => {
  it('warns at start, with where a key comes from and how to simulate', async () => {
    const warning = await until(() => /No Gemini API key is configured[^\n]*/.exec(server!.output())?.[0]);
    expect(warning).toContain('https://aistudio.google.com/apikey');
    expect(warning).toContain('PARLEY_SIMULATED_MODEL=1');
  });

  it('stores the question, answers no_api_key, and keeps the conversation waiting for the AI', async () => {
    const asked = await api('POST', '/api/v1/ai/ask/', { question: 'Are you open on Sunday?', customer_id: 'ana' });
    expect(asked.status).toBe(200);
    expect(asked.body).toMatchObject({ answer: null, reason: 'no_api_key', auto_response_generated: false });
    conversationId = String(asked.body.session_id).slice('msg_'.length);
    const status = await api('GET', `/api/v1/ai/conversations/${conversationId}/status/`);
    expect(status.body).toEqual({
      conversation_id: conversationId,
      status: 'support_active',
      ai_available: false,
      reason: 'no_api_key',
      waiting_for_ai: true,
    });
  });

  it('ai_control enable switches auto-response on and says why the AI still cannot answer', async () => {
    const enabled = await parley(['ai_control', 'enable', '--user', 'alice']);
    expect(enabled.code).toBe(0);
    expect(enabled.stdout).toContain('Enabled AI auto-response for alice.');
    expect(enabled.stderr).toContain('But the AI still cannot answer.');
    expect(enabled.stderr).toContain('https://aistudio.google.com/apikey');
    // On PostgreSQL the CLI writes the database itself; the server's settings cache catches up within seconds.
    const config = await until(async () => {
      const current = (await api('GET', '/api/v1/ai/config/')).body;
      return current.auto_response_enabled === true ? current : undefined;
    });
    expect(config).toMatchObject({ api_key_configured: false, simulated: false });
  });

  it('ai_control handback leaves the waiting conversation waiting, and says why', async () => {
    const dry = await parley(['ai_control', 'handback', '--json']);
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toEqual({
      dry_run: false,
      users: [
        { username: 'alice', waiting: 1, returned_to_ai: 0, kept_with_people: 0, still_waiting_because: 'no_api_key' },
      ],
    });
    const status = await api('GET', `/api/v1/ai/conversations/${conversationId}/status/`);
    expect(status.body).toMatchObject({ status: 'support_active', waiting_for_ai: true });
  });
});

describe(`restarted with simulated replies (${testDatabaseKind})`, { timeout: 60_000 }, () => {
  it('says the replies are simulated and hands the waiting conversation back at start', async () => {
    await server!.stop('SIGTERM');
    env = { ...env, PARLEY_SIMULATED_MODEL: '1' };
    server = await startParley(env);
    const warning = await until(() => /AI replies are SIMULATED[^\n]*/.exec(server!.output())?.[0]);
    expect(warning).toContain('[Simulated]');
    expect(server.output()).not.toContain('No Gemini API key is configured');
    const status = await api('GET', `/api/v1/ai/conversations/${conversationId}/status/`);
    expect(status.body).toEqual({
      conversation_id: conversationId,
      status: 'active',
      ai_available: true,
      reason: null,
      waiting_for_ai: false,
    });
  });

  it('answers the customer with a reply labelled as simulated', async () => {
    expect((await api('GET', '/api/v1/ai/config/')).body).toMatchObject({ api_key_configured: true, simulated: true });
    const asked = await api('POST', '/api/v1/ai/ask/', { question: 'Hello?', customer_id: 'ana' });
    expect(asked.body).toMatchObject({ auto_response_generated: true, success: true });
    expect(String(asked.body.answer)).toMatch(/^\[Simulated\] /);
    expect(asked.body.session_id).toBe(`msg_${conversationId}`);
  });

  it('ai_control status says the key is simulated', async () => {
    const status = await parley(['ai_control', 'status', '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({
      simulated: true,
      users: [{ username: 'alice', conversations: { active: 1, support_active: 0, waiting_for_ai: 0 } }],
    });
  });

  it('refuses --simulated beside a real key, saying to choose', async () => {
    const refused = await runParley(['serve', '--simulated'], {
      ...env,
      PARLEY_SIMULATED_MODEL: '',
      GEMINI_API_KEY: 'a-real-key',
    });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--simulated answers with simulated replies, GEMINI_API_KEY with the real model');
    expect(refused.stdout + refused.stderr).not.toContain('a-real-key');
  });
});
