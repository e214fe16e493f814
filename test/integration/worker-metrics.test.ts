import { Queue as BullQueue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GeminiFake } from '../fakes/gemini.js';
import { modelHealthCheck } from '../../src/jobs/scheduled.jobs.js';
import { createPostgresDatabase } from '../helpers/database.js';
import { cleanEnv, runParley, startParleyWorker, type ParleyProcess } from '../helpers/processes.js';
import { freePort, until } from '../helpers/wait.js';
import { testRedisPrefix } from '../helpers/redis-prefix.js';

/** A `parley worker` with PARLEY_METRICS_PORT: what it does is scrapeable though it serves no API. */
const GEMINI_KEY = 'worker-metrics-gemini-key';
// Its own namespace in the shared Redis, so other suites' processes never take its jobs.
const prefix = testRedisPrefix('worker-metrics');

let database: Awaited<ReturnType<typeof createPostgresDatabase>>;
let gemini: GeminiFake;
let worker: ParleyProcess;
let metricsUrl: string;
let env: NodeJS.ProcessEnv;
let port: number;

const metric = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

beforeAll(async () => {
  database = await createPostgresDatabase();
  gemini = await GeminiFake.start({ apiKey: GEMINI_KEY });
  port = await freePort();
  env = cleanEnv({
    DATABASE_URL: database.url,
    REDIS_URL: process.env.TEST_REDIS_URL!,
    APP_SECRET: 'worker-metrics-secret-worker-metrics-0123',
    PARLEY_REDIS_PREFIX: prefix,
    PARLEY_METRICS_PORT: String(port),
    HOST: '127.0.0.1',
    GEMINI_API_KEY: GEMINI_KEY,
    GEMINI_BASE_URL: gemini.url,
    GEMINI_RETRIES: '0',
  });
  worker = await startParleyWorker(env);
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  expect(worker.output()).toContain(metricsUrl);
});
afterAll(async () => {
  if (worker.process.exitCode === null) worker.process.kill('SIGKILL');
  await gemini.close();
  await database.drop();
});

describe('parley worker with PARLEY_METRICS_PORT', () => {
  it('serves /metrics with its queue and the model calls its jobs make, and /healthz', async () => {
    const health = await fetch(new URL('/healthz', metricsUrl));
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });

    const first = await fetch(metricsUrl);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await first.text();
    expect(text).toContain('# TYPE parley_process_cpu_seconds_total counter');
    // Each schedule waits as one delayed job until its time.
    expect(metric(text, 'parley_queue_jobs{queue="cleanup-sessions",state="delayed"}')).toBe(1);

    // The model health check, run now by this worker rather than at its scheduled time.
    gemini.enqueue({
      text: 'pong',
      usage: { promptTokenCount: 17, candidatesTokenCount: 1, totalTokenCount: 18 },
    });
    const queue = new BullQueue(modelHealthCheck.name, { connection: { url: process.env.TEST_REDIS_URL! }, prefix });
    try {
      await queue.add(modelHealthCheck.name, {});
    } finally {
      await queue.close();
    }
    const after = await until(async () => {
      const body = await (await fetch(metricsUrl)).text();
      return metric(body, 'parley_model_calls_total{model="gemini-flash-latest",outcome="text"}') === 1
        ? body
        : undefined;
    }, 15_000);
    expect(metric(after, 'parley_model_tokens_total{model="gemini-flash-latest",kind="prompt"}')).toBe(17);
  });

  it('answers anything else in the error shape', async () => {
    const post = await fetch(metricsUrl, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(await post.json()).toMatchObject({ code: 'method_not_allowed' });
    const other = await fetch(new URL('/api/v1/ai/ask/', metricsUrl));
    expect(other.status).toBe(404);
    expect(await other.json()).toMatchObject({ code: 'not_found' });
  });

  it('a second worker on the same metrics port says so in one line naming PARLEY_METRICS_PORT, and exits 1', async () => {
    const second = await runParley(['worker'], env);
    expect(second.code).toBe(1);
    expect(second.stderr).toBe(
      `Error: port ${port} is already in use (is another Parley running?). Set PARLEY_METRICS_PORT to a free port, e.g. PARLEY_METRICS_PORT=${port + 1} parley worker.\n`,
    );
    expect(`${second.stdout}${second.stderr}`).not.toMatch(/EADDRINUSE|\n\s+at /);
    // The first one still serves.
    expect((await fetch(metricsUrl)).status).toBe(200);
  });

  it('stops listening when the worker stops', async () => {
    expect(await worker.stop('SIGTERM')).toBe(0);
    await expect(fetch(metricsUrl)).rejects.toThrow();
  });
});
