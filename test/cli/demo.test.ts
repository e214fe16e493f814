import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, startParley, type ParleyServer } from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

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

describe('parley demo', () => {
  it('prints a token and answers as the demo bakery, plainly simulated', async () => {
    // The banner with the token follows the "listening" line the start helper waits for.
    const token = await until(() => /API token:\s+(prl_\w+)/.exec(demo!.output())?.[1]);
    expect(token).toMatch(/^prl_/);
    expect(demo!.output()).toContain('SIMULATED');

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

  it('shuts down cleanly', async () => {
    expect(await demo!.stop('SIGTERM')).toBe(0);
    demo = undefined;
  });
});
