/**
 * Caps under concurrency (issue #15): 20 concurrent `ask`s against a daily cap
 * that fits 5 calls. Every call reserves its worst case before it starts, so
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

/** What every call uses, as the emulator reports it. */
const CALL_TOKENS = { promptTokenCount: 150, candidatesTokenCount: 50, totalTokenCount: 200 };

const config = {
  asks: numberFromEnv('BENCH_CAPS_ASKS', 20),
  fits: numberFromEnv('BENCH_CAPS_FITS', 5),
  delayMs: numberFromEnv('BENCH_CAPS_DELAY_MS', 300),
  targets: parseTargets('BENCH_CAPS_TARGETS', 'embedded,postgres', TARGETS),
};
const cap = config.fits * CALL_TOKENS.totalTokenCount;
const cleanups = new Cleanups();
cleanups.onSignals();

interface TargetResult {
  target: TargetName;
  asks: number;
  capTokens: number;
  modelCalls: number;
  answered: number;
  handedToPeople: number;
  otherOutcomes: Record<string, number>;
  tokensUsed: number;
  overshootTokens: number;
  elapsedMs: number;
}

async function startParleys(target: TargetName, geminiUrl: string): Promise<{ ports: number[]; token: string }> {
  const base: Record<string, string> = {
    ...parleyEnv(geminiUrl, await tempDir(cleanups)),
    // The cap under test: the operator's default, for the bench business as for any without its own.
    PARLEY_DEFAULT_DAILY_TOKENS: String(cap),
    PARLEY_CUSTOMER_REPLIES_PER_HOUR: '0',
  };
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
  const token = await createBusiness({ ...base, PORT: String(ports[0]) }, ports[0]!, USERNAME);
  return { ports, token };
}

async function benchTarget(target: TargetName): Promise<TargetResult> {
  const mark = cleanups.mark();
  let calls = 0;
  const gemini = await startEmulator(
    {
      onRequest: (request) => {
        if (request.method === 'generateContent' || request.method === 'streamGenerateContent') calls++;
      },
      respond: async () => {
        await new Promise((resolve) => setTimeout(resolve, config.delayMs));
        return { text: 'We open at nine.', usage: CALL_TOKENS };
      },
    },
    cleanups,
  );
  try {
    log(`${TARGETS[target]}: starting…`);
    const { ports, token } = await startParleys(target, gemini.url);
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const started = performance.now();
    const answers = await Promise.all(
      Array.from({ length: config.asks }, async (_, index) => {
        const port = ports[index % ports.length]!;
        const response = await fetch(`http://127.0.0.1:${port}/api/v1/ai/ask/`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ question: 'When do you open?', customer_id: `walk-in-${index}` }),
        });
        return (await response.json()) as { auto_response_generated?: boolean; reason?: string };
      }),
    );
    const elapsedMs = Math.round(performance.now() - started);
    const stats = await fetch(`http://127.0.0.1:${ports[0]}/api/v1/ai/usage/stats/`, { headers });
    const { quota } = (await stats.json()) as { quota: { used_today: number } };
    const outcomes: Record<string, number> = {};
    for (const answer of answers) {
      const outcome = answer.auto_response_generated ? 'answered' : (answer.reason ?? 'unknown');
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    }
    const { answered = 0, quota_exceeded: handedToPeople = 0, ...otherOutcomes } = outcomes;
    return {
      target,
      asks: config.asks,
      capTokens: cap,
      modelCalls: calls,
      answered,
      handedToPeople,
      otherOutcomes,
      tokensUsed: quota.used_today,
      overshootTokens: Math.max(0, quota.used_today - cap),
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
    `bench: ${config.asks} concurrent asks against a cap of ${cap} tokens (${config.fits} calls of ` +
      `${CALL_TOKENS.totalTokenCount}); the emulator answers in ${config.delayMs} ms`,
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
      `${'tokens/cap'.padStart(11)} ${'overshoot'.padStart(9)}  verdict`,
  );
  for (const result of results) {
    const met = result.modelCalls <= limit && result.answered + result.handedToPeople === result.asks;
    print(
      `${TARGETS[result.target].padEnd(40)} ${String(result.modelCalls).padStart(5)} ${String(result.answered).padStart(8)} ` +
        `${String(result.handedToPeople).padStart(9)} ${`${result.tokensUsed}/${result.capTokens}`.padStart(11)} ` +
        `${String(result.overshootTokens).padStart(9)}  ${met ? 'met' : 'NOT met'} (target <= ${limit} calls, the rest to people)`,
    );
  }
  for (const failure of failures) print(`${TARGETS[failure.target]}: not measured (${failure.error})`);
  await writeResults('caps', {
    config: { ...config, capTokens: cap, callTokens: CALL_TOKENS.totalTokenCount },
    machine: { ...host, loadAverageAtStart, loadAverageAtEnd: machine().loadAverage },
    results,
    failures,
  });
  if (results.some((result) => result.modelCalls > limit)) process.exitCode = 1;
}

await runBench(main, cleanups);
