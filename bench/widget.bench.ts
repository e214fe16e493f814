/**
 * `npm run bench:widget`: the website widget's answer latency (issue #16). One business with one
 * widget; 50 visitors at once (by default), each with its own visitor token and socket, each
 * writing through `POST …/messages/` and waiting for the answer before writing again. Per
 * message: from the send to the first `ai.delta` frame on the visitor's socket, minus the time
 * the emulated model itself took to its first streamed piece for that message, which is Parley's
 * added time (target: p50 ≤ 100 ms, p95 ≤ 250 ms). The model's time to first piece is also
 * measured straight from a client, without Parley. On Parley embedded and on PostgreSQL + Redis.
 * See bench/README.md for the environment variables.
 */
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { buildIfNeeded, needsBuild } from '../scripts/build.js';
import type { EmulatorRequest } from '../src/emulator/gemini.js';
import { cpuSecondsOf, freePort, memoryOf, startServer } from './lib/process.js';
import {
  APP_SECRET,
  buildStamp,
  Cleanups,
  cpuProfileArgs,
  createBusiness,
  findPostgres,
  findRedis,
  freshDatabase,
  freshRedisPrefix,
  GEMINI_KEY,
  log,
  machine,
  messageOf,
  NPM_START,
  numberFromEnv,
  parleyEnv,
  parseTargets,
  print,
  type Reachable,
  redact,
  ROOT,
  runBench,
  startEmulator,
  tempDir,
  writeResults,
} from './lib/setup.js';
import { ms, percentiles, table, TARGET_ADDED, verdict, type TargetResult } from './widget/report.js';
import { connectVisitor, SITE, type Visitor } from './widget/visitor.js';

type TargetName = 'embedded' | 'postgres';
const TARGETS: Record<TargetName, string> = {
  embedded: 'parley (embedded)',
  postgres: 'parley (pg+redis)',
};

const config = {
  visitors: Math.max(1, Math.round(numberFromEnv('BENCH_WIDGET_VISITORS', 50))),
  messages: Math.max(1, Math.round(numberFromEnv('BENCH_WIDGET_MESSAGES', 10))),
  warmupMessages: Math.round(numberFromEnv('BENCH_WIDGET_WARMUP_MESSAGES', 2)),
  modelFirstPieceMs: numberFromEnv('BENCH_WIDGET_MODEL_MS', 200),
  pauseMs: numberFromEnv('BENCH_WIDGET_PAUSE_MS', 2000),
  cpuProfile: process.env.BENCH_CPU_PROF === '1',
  targets: parseTargets('BENCH_WIDGET_TARGETS', 'embedded,postgres', TARGETS),
};

const cleanups = new Cleanups();
cleanups.onSignals();

// ---- The model: waits its first-piece time, then streams; notes its own time per message -------

/** When a model call reached the emulator and how long it took to its first piece, by message tag. */
const modelCalls = new Map<string, { arrivedAt: number; ms: number }>();

async function respond(request: EmulatorRequest) {
  const arrived = performance.now();
  const contents = (request.body as { contents?: unknown[] } | undefined)?.contents ?? [];
  const tag = /\b(m\d+-\d+)\b/.exec(JSON.stringify(contents.at(-1)))?.[1];
  if (config.modelFirstPieceMs > 0) await new Promise((resolve) => setTimeout(resolve, config.modelFirstPieceMs));
  // The emulator writes the first piece as soon as this returns.
  if (tag) modelCalls.set(tag, { arrivedAt: arrived, ms: performance.now() - arrived });
  return { chunks: ['We open ', 'at nine, ', 'every day.'] };
}

/** The model's time to first piece seen from a client (as Parley calls it, but without Parley). */
async function directModelTimes(geminiUrl: string, count: number): Promise<number[]> {
  const times: number[] = [];
  const one = async (index: number) => {
    const started = performance.now();
    const response = await fetch(`${geminiUrl}/v1beta/models/gemini-flash-latest:streamGenerateContent?alt=sse`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': GEMINI_KEY },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: `direct ${index}` }] }] }),
    });
    const reader = response.body!.getReader();
    await reader.read();
    times.push(performance.now() - started);
    await reader.cancel();
  };
  // As many at once as there are visitors, as in the measured phase.
  for (let index = 0; index < count; index += config.visitors) {
    await Promise.all(Array.from({ length: Math.min(config.visitors, count - index) }, (_, n) => one(index + n)));
  }
  return times;
}

// ---- One target ---------------------------------------------------------------------------

interface Sample {
  /** Send → 202 on the visitor's POST. */
  acceptedMs: number;
  /** Send → first `ai.delta` frame on the visitor's socket. */
  firstDeltaMs: number;
  /** The emulator's own time to first piece for this message. */
  modelMs: number;
  /** Send → the model call reaching the emulator: Parley's part before the model. */
  toModelMs: number;
}

async function startTarget(target: TargetName, geminiUrl: string, postgres: Reachable, redis: Reachable) {
  const env = parleyEnv(geminiUrl, await tempDir(cleanups));
  // The widget's own limits: 50 visitors from one address, each writing far faster than a person.
  env.PARLEY_WIDGET_VISITORS_PER_IP_PER_HOUR = '0';
  env.PARLEY_WIDGET_MESSAGES_PER_MINUTE = '0';
  if (target === 'postgres') {
    if ('skipped' in postgres) throw new Error(postgres.skipped);
    if ('skipped' in redis) throw new Error(redis.skipped);
    env.DATABASE_URL = await freshDatabase(postgres.url, cleanups);
    env.REDIS_URL = redis.url;
    env.PARLEY_REDIS_PREFIX = freshRedisPrefix(redis.url, cleanups);
    env.APP_SECRET = APP_SECRET;
  }
  const port = await freePort();
  // Embedded runs as `npm start` runs it, which keeps its memory down.
  const nodeFlags = target === 'embedded' ? NPM_START.nodeFlags : [];
  if (target === 'embedded') Object.assign(env, NPM_START.env);
  const server = await startServer({
    name: TARGETS[target],
    args: [
      ...nodeFlags,
      ...cpuProfileArgs(config.cpuProfile, `widget-${target}`),
      'bin/parley.js',
      'serve',
      '--worker',
    ],
    env: { ...env, PORT: String(port) },
    port,
    cwd: ROOT,
  });
  cleanups.push(() => server.stop());

  const token = await createBusiness(env, port, 'bench-widget');
  const api = async (method: string, path: string, body: unknown) => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
    return JSON.parse(text) as Record<string, unknown>;
  };
  // The lowest reply wait (Parley still waits a 1 ms timer): the figure is Parley's, not the debounce.
  await api('PUT', '/api/v1/ai/config/', { auto_response_enabled: true, reply_debounce_ms: 0 });
  const channel = await api('POST', '/api/v1/channels/', { type: 'website', allowed_origins: [SITE] });
  const publicId = (channel.widget as { public_id: string }).public_id;
  return { server, publicId };
}

/**
 * Each visitor writes `warmup` unmeasured messages, then `count` measured ones, one after the other,
 * each after the last one's answer. There is no barrier between the two phases: waiting for every
 * visitor's warm-up to end would start the measured phase with all of them writing in the same
 * millisecond, a burst that people reading answers at their own pace do not make.
 */
async function converse(visitors: Visitor[], warmup: number, count: number, into: Sample[], errors: string[]) {
  await Promise.all(
    visitors.map(async (visitor, index) => {
      for (let n = 0; n < warmup + count; n++) {
        const measured = n >= warmup;
        // Round 0 is the warm-up, round 1 the measured phase: no tag repeats.
        const tag = measured ? `m${index}-1${n - warmup}` : `m${index}-0${n}`;
        try {
          const timing = await visitor.ask(`${tag} when do you open?`, tag);
          const model = modelCalls.get(tag);
          if (model === undefined) throw new Error(`the model was not asked about ${tag}`);
          const { acceptedMs, firstDeltaMs } = timing;
          if (measured)
            into.push({ acceptedMs, firstDeltaMs, modelMs: model.ms, toModelMs: model.arrivedAt - timing.sentAt });
        } catch (error) {
          errors.push(`${measured ? '' : 'warm-up: '}${messageOf(error)}`);
        }
        // A visitor reads the answer before writing again: on average pauseMs, from half to one and a
        // half of it, so that 50 of them drift out of step as people do.
        await new Promise((resolve) => setTimeout(resolve, config.pauseMs * (0.5 + Math.random())));
      }
    }),
  );
}

async function benchTarget(
  target: TargetName,
  geminiUrl: string,
  postgres: Reachable,
  redis: Reachable,
): Promise<TargetResult> {
  const label = TARGETS[target];
  const mark = cleanups.mark();
  log(`${label}: starting…`);
  try {
    const { server, publicId } = await startTarget(target, geminiUrl, postgres, redis);
    log(`  ${config.visitors} visitors: a token and a socket each…`);
    const visitors = await Promise.all(
      Array.from({ length: config.visitors }, () => connectVisitor(server.port, publicId)),
    );
    cleanups.push(async () => visitors.forEach((visitor) => visitor.close()));

    log(`  ${config.warmupMessages} warm-up messages, then ${config.messages} measured, each`);
    const samples: Sample[] = [];
    const errors: string[] = [];
    // The emulator and the visitors live in this process: while its own event loop is held up,
    // every timestamp it takes is late, so its delays are reported beside the figures.
    const benchLoop = monitorEventLoopDelay({ resolution: 10 });
    benchLoop.enable();
    const cpuBefore = await cpuSecondsOf(server.pid);
    const started = performance.now();
    await converse(visitors, config.warmupMessages, config.messages, samples, errors);
    const durationMs = performance.now() - started;
    benchLoop.disable();
    const cpuAfter = await cpuSecondsOf(server.pid);
    const memory = await memoryOf(server.pid);
    return {
      target,
      label,
      visitors: config.visitors,
      samples: samples.length,
      errors,
      accepted: percentiles(samples.map((sample) => sample.acceptedMs)),
      firstDelta: percentiles(samples.map((sample) => sample.firstDeltaMs)),
      model: percentiles(samples.map((sample) => sample.modelMs)),
      added: percentiles(samples.map((sample) => sample.firstDeltaMs - sample.modelMs)),
      toModel: percentiles(samples.map((sample) => sample.toModelMs)),
      afterModel: percentiles(samples.map((sample) => sample.firstDeltaMs - sample.toModelMs - sample.modelMs)),
      durationMs,
      serverCpuMsPerMessage:
        cpuBefore === undefined || cpuAfter === undefined
          ? Number.NaN
          : // Over the warm-up too: the phases overlap, visitor by visitor.
            ((cpuAfter - cpuBefore) * 1000) / Math.max(1, samples.length + config.visitors * config.warmupMessages),
      rssMb: memory?.rssMb,
      benchLoopDelay: { p99Ms: benchLoop.percentile(99) / 1e6, maxMs: benchLoop.max / 1e6 },
    };
  } finally {
    await cleanups.runFrom(mark);
  }
}

// ---- Main ---------------------------------------------------------------------------------

async function main(): Promise<void> {
  buildIfNeeded();
  const buildBefore = await buildStamp(ROOT);
  // On a shared machine the load decides much of the tail: it is printed beside the figures.
  const loadBefore = os.loadavg()[0]!;
  const needsServers = config.targets.includes('postgres');
  const postgres: Reachable = needsServers ? await findPostgres() : { skipped: 'not needed' };
  const redis: Reachable = needsServers ? await findRedis() : { skipped: 'not needed' };
  const skipped = 'skipped' in postgres ? postgres.skipped : 'skipped' in redis ? redis.skipped : undefined;
  const targets = config.targets.filter((target) => target === 'embedded' || !skipped);
  if (needsServers && skipped) log(`PostgreSQL + Redis row skipped: ${skipped}`);

  const gemini = await startEmulator({ respond }, cleanups);
  log(
    `bench:widget: ${targets.join(', ')}; ${config.visitors} visitors × ${config.messages} messages ` +
      `after ${config.warmupMessages} warm-up, ${config.pauseMs} ms between a visitor's messages on average; ` +
      `the model's first piece after ${config.modelFirstPieceMs} ms`,
  );
  const direct = percentiles(await directModelTimes(gemini.url, config.visitors * 2));

  const results: TargetResult[] = [];
  const failures: { target: TargetName; error: string }[] = [];
  for (const target of targets) {
    try {
      results.push(await benchTarget(target, gemini.url, postgres, redis));
    } catch (error) {
      log(`${TARGETS[target]} failed: ${messageOf(error)}`);
      failures.push({ target, error: messageOf(error) });
    }
  }
  await cleanups.runFrom(0);
  const buildAfter = await buildStamp(ROOT);
  const srcChanged = buildAfter !== buildBefore || needsBuild();

  print();
  for (const line of table(results)) print(line);
  print(
    `model straight from a client (${config.visitors} at once): first piece p50 ${ms(direct.p50Ms)}, p95 ${ms(direct.p95Ms)}`,
  );
  print(
    "first delta: the visitor's POST …/messages/ to the first ai.delta on their socket; model: the emulator's own time " +
      'to the first piece of that answer; added = first delta − model, per message, in two parts: ' +
      'to model (the send to the model call arriving) and after (its first piece leaving to the ai.delta). ' +
      "bench lag: how late this process's own event loop ran (its emulator and visitors' timestamps are that late).",
  );
  for (const result of results) {
    print(
      `${result.label}: added p50 ${ms(result.added.p50Ms)}, p95 ${ms(result.added.p95Ms)} ` +
        `(target <= ${TARGET_ADDED.p50Ms} / <= ${TARGET_ADDED.p95Ms} ms, 0 errors): ${verdict(result) ? 'met' : 'NOT MET'}`,
    );
    if (result.errors.length > 0) print(`  errors, e.g.: ${result.errors.slice(0, 3).join(' | ')}`);
  }
  print(
    `machine: ${os.cpus().length} CPUs, load average (1 min) ${loadBefore.toFixed(1)} at the start, ` +
      `${os.loadavg()[0]!.toFixed(1)} at the end`,
  );
  if (needsServers && skipped) print(`PostgreSQL + Redis row skipped: ${skipped}`);
  for (const failure of failures) print(`${TARGETS[failure.target]} failed: ${failure.error}`);
  if (srcChanged)
    print('warning: src/ changed during the run (Parley rebuilds itself); the rows may measure different code.');

  await writeResults('widget', {
    benchmark: 'website widget: visitor message → first ai.delta',
    date: new Date().toISOString(),
    machine: { ...machine(), loadAverageAtStart: loadBefore },
    config: {
      ...config,
      postgres: 'url' in postgres ? redact(postgres.url) : null,
      redis: 'url' in redis ? redact(redis.url) : null,
      skipped: skipped ?? null,
    },
    parleyBuild: { before: buildBefore ?? null, after: buildAfter ?? null, srcChangedDuringRun: srcChanged },
    directModel: direct,
    results,
    failures,
  });
  if (failures.length > 0 || results.some((result) => result.errors.length > 0)) process.exitCode = 1;
}

await runBench(main, cleanups);
