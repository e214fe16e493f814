import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, startParley, type ParleyServer } from '../helpers/processes.js';
import { until } from '../helpers/wait.js';
import { SESSION_PLACEHOLDER } from '../../src/cli/demo.js';

interface AskAnswer {
  session_id: string;
  answer: string | null;
  auto_response_generated: boolean;
  reason?: string;
}

/** The banner's hand-back command for one conversation, read as curl would: method, URL, headers and form body. */
function handBackCommand(output: string, conversation: string) {
  const lines = output.split('\n');
  const start = lines.findIndex((line) => line.startsWith('Hand it back to the AI'));
  expect(start).toBeGreaterThan(0);
  let command = '';
  for (const line of lines.slice(start + 1)) {
    command += line.replace(/\\$/, '');
    if (!line.endsWith('\\')) break;
  }
  expect(command).toContain(SESSION_PLACEHOLDER);
  command = command.replace(SESSION_PLACEHOLDER, conversation);
  const words = [...command.matchAll(/"([^"]*)"|(\S+)/g)].map((match) => match[1] ?? match[2]!);
  expect(words[0]).toBe('curl');
  const parsed = { method: 'GET', url: '', headers: {} as Record<string, string>, body: '' };
  for (let i = 1; i < words.length; i++) {
    const word = words[i]!;
    if (word === '-s') continue;
    else if (word === '-X') parsed.method = words[++i]!;
    else if (word === '-H') {
      const [name, ...value] = words[++i]!.split(':');
      parsed.headers[name!.toLowerCase()] = value.join(':').trim();
    } else if (word === '-d') {
      // As curl sends -d.
      parsed.headers['content-type'] = 'application/x-www-form-urlencoded';
      parsed.body = [parsed.body, words[++i]!].filter(Boolean).join('&');
    } else parsed.url = word;
  }
  return parsed;
}

/** `parley demo` as a newcomer runs it: no key, no database, an answer from the bakery's FAQ. */
let dataDir: string;
let demo: ParleyServer | undefined;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'parley-demo-'));
  // Even with production settings in the environment, the demo keeps to its own embedded database.
  demo = await startParley(cleanEnv({ PARLEY_DATA_DIR: dataDir, DATABASE_URL: '', GEMINI_API_KEY: '' }), 'demo');
});
afterAll(async () => {
  await demo?.stop('SIGTERM');
  await rm(dataDir, { recursive: true, force: true });
});

describe('parley demo', { timeout: 60_000 }, () => {
  it('prints a token and answers as the demo bakery, plainly simulated', async () => {
    // The banner with the token follows the "listening" line the start helper waits for.
    const token = await until(() => /API token:\s+(prl_\w+)/.exec(demo!.output())?.[1]);
    expect(token).toMatch(/^prl_/);
    expect(demo!.output()).toContain('SIMULATED');
    expect(demo!.output()).toContain(`or open ${demo!.url}/ and sign in as demo / demo-password.`);
    // The dashboard it names is there, and its link signs the browser in to the bakery, once.
    const link = new URL(
      await until(() => new RegExp(`^\\s+(${demo!.url}/sign-in#link=\\S+)$`, 'm').exec(demo!.output())?.[1]),
    );
    const page = await fetch(new URL(link.pathname, link));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="app">');
    const redeem = () =>
      fetch(`${demo!.url}/api/v1/auth/session/link/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: demo!.url },
        body: JSON.stringify({ token: link.hash.slice('#link='.length) }),
      });
    const signedIn = await redeem();
    expect(signedIn.status).toBe(200);
    expect(await signedIn.json()).toMatchObject({ user: { username: 'demo' } });
    expect(signedIn.headers.get('set-cookie')).toMatch(/^parley_session=/);
    expect((await redeem()).status).toBe(401);

    const response = await fetch(`${demo!.url}/api/v1/ai/ask/`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'question=Are+you+open+on+Sunday%3F&customer_id=ana%40example.com',
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { answer: string; auto_response_generated: boolean };
    expect(body.auto_response_generated).toBe(true);
    expect(body.answer.startsWith('[Simulated] ')).toBe(true);
    expect(body.answer).toContain('closed on Sundays');
  });

  it('tells the customer when it hands over to people, and its banner shows how to hand back', async () => {
    const token = await until(() => /API token:\s+(prl_\w+)/.exec(demo!.output())?.[1]);
    const ask = async (question: string) => {
      const response = await fetch(`${demo!.url}/api/v1/ai/ask/`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ question, customer_id: 'bea@example.com' }).toString(),
      });
      expect(response.status).toBe(200);
      return (await response.json()) as AskAnswer;
    };

    // The banner's own question for a person is what the simulated model hands over on.
    const handover = await until(
      () => /-d question="([^"]+)" -d customer_id=\S+\n\nHand it back/.exec(demo!.output())?.[1],
    );
    expect(handover).toBe('Can I talk to a person?');
    const handedOver = await ask(handover);
    expect(handedOver).toMatchObject({
      answer: "I've passed your message to the team at Rosa's Bakery; someone will answer here shortly.",
      auto_response_generated: false,
      reason: 'handed_over',
    });
    // With people now, the AI stays out of it.
    expect(await ask('Do you deliver?')).toMatchObject({ answer: null, reason: 'manual_handling' });

    // The banner says to put in the session id as the answer gave it.
    const back = handBackCommand(demo!.output(), handedOver.session_id);
    const response = await fetch(back.url, { method: back.method, headers: back.headers, body: back.body });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'active' });

    const answered = await ask('Do you deliver?');
    expect(answered.auto_response_generated).toBe(true);
    expect(answered.answer).toMatch(/^\[Simulated\] .*within 3 km/);
  });

  it('shuts down cleanly', async () => {
    expect(await demo!.stop('SIGTERM')).toBe(0);
    demo = undefined;
  });
});
