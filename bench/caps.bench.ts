/**
 * Caps under concurrency (issue #15): 20 concurrent `ask`s against a daily cap
 * that fits 5 calls (sized by a first ask, set with `ai_control quota`). Every call reserves its worst case before it starts, so
 * at most one call more than fits may reach the model; the rest are handed to
 * people with `quota_exceeded`. Runs on embedded Parley, and on PostgreSQL +
 * Redis with two `serve` processes sharing the cap (skipped without them).
 *
 * BENCH_CAPS_ASKS (20), BENCH_CAPS_FITS (5), BENCH_CAPS_DELAY_MS (300: how long
 * the emulator takes to answer, so the asks overlap), BENCH_CAPS_TARGETS
 * (embedded,postgres).
 */
import { buildIfNeeded } from '../scripts/build.js';
import { freePort, startServer, type ServerProcess } from './lib/process.js';
import {
  APP_SECRET,
  Cleanups,
  createBusiness,
  findPostgres,
  findRedis,
  freshDatabase,
  freshRedisPrefix,
  log,
  machine,
  messageOf,
  numberFromEnv,
  parleyCli,
  parleyEnv,
  parseTargets,
  print,
  ROOT,
  runBench,
  startEmulator,
  tempDir,
  USERNAME,
  writeResults,
} from './lib/setup.js';

type TargetName = 'embedded' | 'postgres';
const TARGETS: Record<TargetName, string> = {
  embedded: 'parley (embedded)',
  postgres: 'parley (postgres + redis, 2 processes)',
};

/** Short answers, and a longest answer just above them: a call's worst case is close to what it uses. */
const ANSWER = 'We open at nine.';
const MAX_TOKENS = 16;

const config = {
  asks: numberFromEnv('BENCH_CAPS_ASKS', 20),
  fits: numberFromEnv('BENCH_CAPS_FITS', 5),
  delayMs: numberFromEnv('BENCH_CAPS_DELAY_MS', 300),
  targets: parseTargets('BENCH_CAPS_TARGETS', 'embedded,postgres', TARGETS),
};
const cleanups = new Cleanups();
cleanups.onSignals();

interface TargetResult {
  target: TargetName;
  asks: number;
  /** What one call uses (the emulator counts the prompt as sent), measured by a first ask. */
  callTokens: number;
  /** The room left under the cap when the burst starts: `fits` calls. */
  roomTokens: number;
  modelCalls: number;
  answered: number;
  handedToPeople: number;
  otherOutcomes: Record<string, number>;
  /** Used by the burst, and how far past the room it went. */
  tokensUsed: number;
  overshootTokens: number;
  elapsedMs: number;
}

interface Parleys {
  ports: number[];
  token: string;
  env: Record<string, string>;
}

async function startParleys(target: TargetName, geminiUrl: string): Promise<Parleys> {
  const base: Record<string, string> = parleyEnv(geminiUrl, await tempDir(cleanups));
  if (target === 'postgres') {
    const postgres = await findPostgres();
    const redis = await findRedis();
    if ('skipped' in postgres) throw new Error(postgres.skipped);
    if ('skipped' in redis) throw new Error(redis.skipped);
    base.DATABASE_URL = await freshDatabase(postgres.url, cleanups);
    base.APP_SECRET = APP_SECRET;
    base.REDIS_URL = redis.url;
    base.PARLEY_REDIS_PREFIX = freshRedisPrefix(redis.url, cleanups);
  }
  const ports: number[] = [];
  // One after the other: the first migrates the database the second then finds ready.
  for (let index = 0; index < (target === 'postgres' ? 2 : 1); index++) {
    const port = await freePort();
    const server: ServerProcess = await startServer({
      name: `${TARGETS[target]} #${index + 1}`,
      args: ['bin/parley.js', 'serve'],
      env: { ...base, PORT: String(port) },
      port,
      cwd: ROOT,
    });
    cleanups.push(() => server.stop());
    ports.push(port);
  }
  const env = { ...base, PORT: String(ports[0]) };
  return { ports, env, token: await createBusiness(env, ports[0]!, USERNAME) };
}

/** The bench business's API on each server. */
function client({ ports, token }: Parleys) {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const url = (port: number, path: string) => `http://127.0.0.1:${port}/api/v1/ai/${path}`;
  return {
    async configure(body: Record<string, unknown>) {
      const response = await fetch(url(ports[0]!, 'config/'), { method: 'PUT', headers, body: JSON.stringify(body) });
      if (response.status !== 200) throw new Error(`PUT /ai/config/ answered ${response.status}`);
    },
    async ask(index: number, customer: string) {
      const response = await fetch(url(ports[index % ports.length]!, 'ask/'), {
        method: 'POST',
        headers,
        body: JSON.stringify({ question: 'When do you open?', customer_id: customer }),
      });
      return (await response.json()) as { auto_response_generated?: boolean; reason?: string };
    },
    async usedToday() {
      const response = await fetch(url(ports[0]!, 'usage/stats/'), { headers });
      return ((await response.json()) as { quota: { used_today: number } }).quota.used_today;
    },
  };
}

async function benchTarget(target: TargetName): Promise<TargetResult> {
  const mark = cleanups.mark();
  let calls = 0;
  const gemini = await startEmulator(
    {
      onRequest: (request) => {
        if (request.method === 'generateContent' || request.method === 'streamGenerateContent') calls++;
      },
      // No usage given: the emulator reports the prompt's size as sent, and the answer's.
      respond: async () => {
        await new Promise((resolve) => setTimeout(resolve, config.delayMs));
        return { text: ANSWER };
      },
    },
    cleanups,
  );
  try {
    log(`${TARGETS[target]}: starting…`);
    const parleys = await startParleys(target, gemini.url);
    const api = client(parleys);
    await api.configure({ max_tokens: MAX_TOKENS });
    // One call first, to size the cap in calls: every call of the burst is the same size.
    await api.ask(0, 'first-customer');
    const callTokens = await api.usedToday();
    const room = config.fits * callTokens;
    const cli = parleyCli(parleys.env);
    await cli('ai_control', 'quota', '--user', USERNAME, '--daily-tokens', String(callTokens + room));
    // Servers other than the one the command ran in see a new cap within their caps cache's 5 s.
    if (parleys.ports.length > 1 || target !== 'embedded') await new Promise((resolve) => setTimeout(resolve, 5_500));
    calls = 0;

    const started = performance.now();
    const answers = await Promise.all(Array.from({ length: config.asks }, (_, i) => api.ask(i, `walk-in-${i}`)));
    const elapsedMs = Math.round(performance.now() - started);
    const burstTokens = (await api.usedToday()) - callTokens;
    const outcomes: Record<string, number> = {};
    for (const answer of answers) {
      const outcome = answer.auto_response_generated ? 'answered' : (answer.reason ?? 'unknown');
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    }
    const { answered = 0, quota_exceeded: handedToPeople = 0, ...otherOutcomes } = outcomes;
    return {
      target,
      asks: config.asks,
      callTokens,
      roomTokens: room,
      modelCalls: calls,
      answered,
      handedToPeople,
      otherOutcomes,
      tokensUsed: burstTokens,
      overshootTokens: Math.max(0, burstTokens - room),
      elapsedMs,
    };
  } finally {
    await cleanups.runFrom(mark);
  }
}

async function main(): Promise<void> {
  buildIfNeeded();
  const { loadAverage: loadAverageAtStart, ...host } = machine();
  log(
    `bench: ${config.asks} concurrent asks against a cap with room for ${config.fits} calls; ` +
      `the emulator answers in ${config.delayMs} ms`,
  );
  const results: TargetResult[] = [];
  const failures: { target: TargetName; error: string }[] = [];
  for (const target of config.targets) {
    try {
      results.push(await benchTarget(target));
    } catch (error) {
      log(`${TARGETS[target]} skipped or failed: ${messageOf(error)}`);
      failures.push({ target, error: messageOf(error) });
    }
  }
  await cleanups.runFrom(0);

  const limit = config.fits + 1;
  print();
  print(
    `${'target'.padEnd(40)} ${'calls'.padStart(5)} ${'answered'.padStart(8)} ${'to people'.padStart(9)} ` +
      `${'tokens/room'.padStart(11)} ${'overshoot'.padStart(9)}  verdict`,
  );
  for (const result of results) {
    const met = result.modelCalls <= limit && result.answered + result.handedToPeople === result.asks;
    print(
      `${TARGETS[result.target].padEnd(40)} ${String(result.modelCalls).padStart(5)} ${String(result.answered).padStart(8)} ` +
        `${String(result.handedToPeople).padStart(9)} ${`${result.tokensUsed}/${result.roomTokens}`.padStart(11)} ` +
        `${String(result.overshootTokens).padStart(9)}  ${met ? 'met' : 'NOT met'} (target <= ${limit} calls, the rest to people)`,
    );
  }
  for (const failure of failures) print(`${TARGETS[failure.target]}: not measured (${failure.error})`);
  await writeResults('caps', {
    config: { ...config, maxTokens: MAX_TOKENS },
    machine: { ...host, loadAverageAtStart, loadAverageAtEnd: machine().loadAverage },
    results,
    failures,
  });
  if (results.some((result) => result.modelCalls > limit)) process.exitCode = 1;
}

await runBench(main, cleanups);
