/**
 * `npm run bench:ws`: live-event fan-out over WebSockets. 1,000 dashboard
 * clients by default (issue #17 asks for 10,000 on one process:
 * `BENCH_WS_CLIENTS=10000`), ten to a business, hold `GET /ws/` open on Parley
 * embedded (one process), on PostgreSQL + Redis as two `serve` processes
 * (clients and asks split across them, so half of every business's events
 * cross Redis) or as one. The clients live on worker threads
 * (ws/clients.worker.ts), so that reading their frames is not what is timed.
 * `ask` calls with the Gemini emulator streaming at once produce the events;
 * the bench measures how long an answer's first streamed words take from
 * leaving the model to reaching each of the business's clients, and checks that
 * every client got every answer exactly once. See bench/README.md.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { buildIfNeeded, needsBuild } from '../scripts/build.js';
import type { EmulatorRequest, GeminiEmulator } from '../src/emulator/gemini.js';
import { businessesEnv, createBusinesses } from './lib/businesses.js';
import { checkFileLimit, cpuSecondsOf, freePort, memoryOf, startServer, type ServerProcess } from './lib/process.js';
import {
  APP_SECRET,
  buildStamp,
  Cleanups,
  cpuProfileArgs,
  findPostgres,
  findRedis,
  freshDatabase,
  freshRedisPrefix,
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
import { startClientPool, type ClientPool } from './ws/client-pool.js';
import { errorsOf, percentiles, table, verdict, type TargetResult } from './ws/report.js';

type TargetName = 'embedded' | 'postgres' | 'postgres-1';
const TARGETS: Record<TargetName, string> = {
  embedded: 'parley (embedded)',
  postgres: 'parley (pg+redis, 2 serve)',
  'postgres-1': 'parley (pg+redis, 1 serve)',
};

const clients = Math.max(1, Math.round(numberFromEnv('BENCH_WS_CLIENTS', 1000)));
const config = {
  clients,
  // Ten sockets a business: a small business's few people, each with the inbox open on a device or two.
  businesses: Math.max(1, Math.round(numberFromEnv('BENCH_WS_BUSINESSES', Math.ceil(clients / 10)))),
  asks: Math.max(1, Math.round(numberFromEnv('BENCH_WS_ASKS', 200))),
  // Longer than the server's 30 s heartbeat, so that a turn of it is in the figures, as it is in production.
  minSeconds: numberFromEnv('BENCH_WS_SECONDS', 35),
  warmupAsks: Math.round(numberFromEnv('BENCH_WS_WARMUP_ASKS', 20)),
  concurrency: Math.max(1, Math.round(numberFromEnv('BENCH_WS_CONCURRENCY', 4))),
  // A thread per 2,500 clients, at most 4: on this 2-core machine more threads only share the same cores.
  threads: Math.max(1, Math.round(numberFromEnv('BENCH_WS_THREADS', Math.min(4, Math.ceil(clients / 2500))))),
  // Handshakes in flight per client thread: dashboards arrive over time, not all in one instant.
  connectInFlight: Math.max(1, Math.round(numberFromEnv('BENCH_WS_CONNECT_IN_FLIGHT', 25))),
  /** How long the connected clients sit idle before the server's memory is read. */
  idleMs: Math.round(numberFromEnv('BENCH_WS_IDLE_MS', 3000)),
  cpuProfile: process.env.BENCH_CPU_PROF === '1',
  targets: parseTargets('BENCH_WS_TARGETS', 'embedded,postgres', TARGETS),
};

const cleanups = new Cleanups();
cleanups.onSignals();
const now = () => performance.timeOrigin + performance.now();

// ---- The model: each answer's first streamed piece names its ask, and when it left -----------

/** When the emulator sent each ask's first piece of answer, by ask number (the machine's clock, ms). */
const firstPieceSentAt = new Map<number, number>();
const askStartedAt = new Map<number, number>();

function respond(request: EmulatorRequest) {
  const contents = (request.body as { contents?: unknown[] } | undefined)?.contents ?? [];
  const ask = Number(/\bq(\d+)\b/.exec(JSON.stringify(contents.at(-1)))?.[1] ?? -1);
  // Written to the wire as soon as this returns: the first SSE event goes out without a pause.
  firstPieceSentAt.set(ask, now());
  return { chunks: [`m${ask}|`, ' We are open ', 'from 9 to 5.'] };
}

// ---- One target -------------------------------------------------------------------------------

async function startTarget(target: TargetName, gemini: GeminiEmulator, postgres: Reachable, redis: Reachable) {
  const env: Record<string, string> = { ...parleyEnv(gemini.url, await tempDir(cleanups)), ...businessesEnv };
  if (target !== 'embedded') {
    if ('skipped' in postgres) throw new Error(postgres.skipped);
    if ('skipped' in redis) throw new Error(redis.skipped);
    env.DATABASE_URL = await freshDatabase(postgres.url, cleanups);
    env.REDIS_URL = redis.url;
    env.PARLEY_REDIS_PREFIX = freshRedisPrefix(redis.url, cleanups);
    env.APP_SECRET = APP_SECRET;
  }
  const count = target === 'postgres' ? 2 : 1;
  const perBusiness = Math.ceil(config.clients / config.businesses);
  // Parley's limits are raised only past their defaults: 10,000 a process, 50 a business, 10 a token
  // (each business here connects all its clients with one token).
  env.PARLEY_WS_MAX_CONNECTIONS = String(Math.max(10_000, Math.ceil(config.clients / count)));
  env.PARLEY_WS_MAX_PER_BUSINESS = String(Math.max(50, perBusiness));
  env.PARLEY_WS_MAX_PER_TOKEN = String(Math.max(10, perBusiness));
  const servers: ServerProcess[] = [];
  for (let index = 0; index < count; index++) {
    const port = await freePort();
    // Embedded runs as `npm start` runs it, which keeps its memory down.
    const embedded = target === 'embedded';
    const server = await startServer({
      name: `${TARGETS[target]} #${index + 1}`,
      args: [
        ...(embedded ? NPM_START.nodeFlags : []),
        ...cpuProfileArgs(config.cpuProfile, `ws-${target}`),
        'bin/parley.js',
        'serve',
      ],
      env: { ...env, ...(embedded ? NPM_START.env : {}), PORT: String(port) },
      port,
      cwd: ROOT,
    });
    cleanups.push(() => server.stop());
    servers.push(server);
    await checkFileLimit(server.pid, server.name, Math.ceil(config.clients / count));
  }
  const tokens = await createBusinesses(env, servers[0]!.port, 'bench-ws', config.businesses);
  return { servers, tokens };
}

/** `ask` number `index`: business `index % businesses`, on server `index % servers`, a new customer each. */
async function askOnce(servers: ServerProcess[], tokens: string[], index: number): Promise<string | undefined> {
  const server = servers[index % servers.length]!;
  const token = tokens[index % tokens.length]!;
  askStartedAt.set(index, now());
  try {
    const response = await fetch(`http://127.0.0.1:${server.port}/api/v1/ai/ask/`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ question: `q${index} when are you open?`, customer_id: `ws-bench-${index}@example.com` }),
    });
    const body = await response.text();
    if (response.status !== 200 || !body.includes('"auto_response_generated":true')) {
      return `${response.status} ${body.slice(0, 200)}`;
    }
    return undefined;
  } catch (error) {
    return messageOf(error);
  }
}

/** Asks from number `first` on: `count` of them, and more until `minMs` have passed. Returns how many, and what failed. */
async function askMany(
  servers: ServerProcess[],
  tokens: string[],
  first: number,
  count: number,
  minMs = 0,
): Promise<{ asked: number; errors: string[] }> {
  const errors: string[] = [];
  const until = performance.now() + minMs;
  let next = first;
  const worker = async () => {
    while (next < first + count || performance.now() < until) {
      const error = await askOnce(servers, tokens, next++);
      if (error) errors.push(error);
    }
  };
  await Promise.all(Array.from({ length: config.concurrency }, worker));
  return { asked: next - first, errors };
}

/** Clients of business `business`: client i belongs to business i % businesses. */
function clientsOf(business: number): number {
  const whole = Math.floor(config.clients / config.businesses);
  return whole + (business < config.clients % config.businesses ? 1 : 0);
}

function expectedFor(first: number, count: number): number {
  let expected = 0;
  for (let ask = first; ask < first + count; ask++) expected += clientsOf(ask % config.businesses);
  return expected;
}

/** Waits until `expected` first pieces have arrived, or a few seconds pass without a new one. */
async function settle(pool: ClientPool, expected: number): Promise<void> {
  let seen = -1;
  let quietSince = performance.now();
  for (;;) {
    const arrived = await pool.deltas();
    if (arrived >= expected || performance.now() - quietSince > 5_000) break;
    if (arrived !== seen) {
      seen = arrived;
      quietSince = performance.now();
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // Frames still on their way for completed events (they follow the first pieces).
  await new Promise((resolve) => setTimeout(resolve, 300));
}

async function benchTarget(
  target: TargetName,
  gemini: GeminiEmulator,
  postgres: Reachable,
  redis: Reachable,
): Promise<TargetResult> {
  const label = TARGETS[target];
  const mark = cleanups.mark();
  log(`${label}: starting, creating ${config.businesses} businesses…`);
  try {
    const { servers, tokens } = await startTarget(target, gemini, postgres, redis);
    const memoryOfAll = () => Promise.all(servers.map((server) => memoryOf(server.pid)));
    const idleMemory = await memoryOfAll();

    log(`  connecting ${config.clients} clients on ${config.threads} thread(s)…`);
    const pool = startClientPool(config.threads);
    cleanups.push(() => pool.close());
    const urls = Array.from({ length: config.clients }, (_, client) => {
      const server = servers[client % servers.length]!;
      const token = tokens[client % tokens.length]!;
      return `ws://127.0.0.1:${server.port}/ws/?token=${encodeURIComponent(token)}`;
    });
    const connected = await pool.connect(urls, config.connectInFlight);
    log(`  ${connected.open} open in ${(connected.ms / 1000).toFixed(1)} s, ${connected.failures.length} failed`);
    await new Promise((resolve) => setTimeout(resolve, config.idleMs));
    const connectedMemory = await memoryOfAll();

    await pool.reset();
    if (config.warmupAsks > 0) {
      log(`  warm-up: ${config.warmupAsks} asks`);
      await askMany(servers, tokens, 0, config.warmupAsks);
      await settle(pool, expectedFor(0, config.warmupAsks));
    }
    await pool.reset();
    const first = config.warmupAsks;
    log(`  measure: ${config.asks} asks or more for ${config.minSeconds} s, ${config.concurrency} at a time`);
    const mainLoop = monitorEventLoopDelay({ resolution: 10 });
    mainLoop.enable();
    const cpuBefore = await Promise.all(servers.map((server) => cpuSecondsOf(server.pid)));
    const started = performance.now();
    const { asked, errors: askErrors } = await askMany(servers, tokens, first, config.asks, config.minSeconds * 1000);
    const expected = expectedFor(first, asked);
    await settle(pool, expected);
    const durationMs = performance.now() - started;
    mainLoop.disable();
    const cpuAfter = await Promise.all(servers.map((server) => cpuSecondsOf(server.pid)));
    const loadedMemory = await memoryOfAll();
    const arrivals = await pool.collect();

    const perAsk = new Map<number, number>();
    const delivery: number[] = [];
    arrivals.deltaAsks.forEach((ask, index) => {
      const sent = firstPieceSentAt.get(ask);
      if (sent === undefined || ask < first) return;
      delivery.push(arrivals.deltaAt[index]! - sent);
      perAsk.set(ask, (perAsk.get(ask) ?? 0) + 1);
    });
    const endToEnd: number[] = [];
    arrivals.completedAsks.forEach((ask, index) => {
      const askedAt = askStartedAt.get(ask);
      if (askedAt !== undefined && ask >= first) endToEnd.push(arrivals.completedAt[index]! - askedAt);
    });
    let missing = 0;
    let duplicated = 0;
    for (let ask = first; ask < first + asked; ask++) {
      const got = perAsk.get(ask) ?? 0;
      const want = clientsOf(ask % config.businesses);
      if (got < want) missing += want - got;
      if (got > want) duplicated += got - want;
    }
    const cpuMs = servers.reduce((sum, _server, index) => {
      const before = cpuBefore[index];
      const after = cpuAfter[index];
      return before === undefined || after === undefined ? Number.NaN : sum + (after - before) * 1000;
    }, 0);
    const nanosToMs = (value: number) => value / 1e6;
    return {
      target,
      label,
      servers: servers.length,
      clients: config.clients,
      businesses: config.businesses,
      clientThreads: config.threads,
      connectMs: connected.ms,
      connectFailures: connected.failures
        .slice(0, 20)
        .concat(connected.failures.length > 20 ? [`… and ${connected.failures.length - 20} more`] : []),
      asks: asked,
      askErrors,
      expected,
      missing,
      duplicated,
      delivery: percentiles(delivery),
      endToEnd: percentiles(endToEnd),
      durationMs,
      idleMemory,
      connectedMemory,
      loadedMemory,
      serverCpuMsPer1000Deliveries: (cpuMs / Math.max(1, delivery.length)) * 1000,
      benchLoopDelay: {
        main: { p99Ms: nanosToMs(mainLoop.percentile(99)), maxMs: nanosToMs(mainLoop.max) },
        clients: arrivals.loopDelay,
      },
    };
  } finally {
    // This target's clients, servers, database and directories go before the next one starts.
    await cleanups.runFrom(mark);
  }
}

// ---- Main -------------------------------------------------------------------------------------

async function main(): Promise<void> {
  buildIfNeeded();
  // The clients' sockets are this process's files.
  await checkFileLimit('self', 'this bench', config.clients);
  const buildBefore = await buildStamp(ROOT);
  const needsServers = config.targets.some((target) => target !== 'embedded');
  const postgres: Reachable = needsServers ? await findPostgres() : { skipped: 'not needed' };
  const redis: Reachable = needsServers ? await findRedis() : { skipped: 'not needed' };
  const skipped = 'skipped' in postgres ? postgres.skipped : 'skipped' in redis ? redis.skipped : undefined;
  const targets = config.targets.filter((target) => target === 'embedded' || !skipped);
  if (needsServers && skipped) log(`PostgreSQL + Redis rows skipped: ${skipped}`);

  const gemini = await startEmulator({ respond }, cleanups);
  const loadAtStart = machine().loadAverage;
  log(
    `bench:ws: ${targets.join(', ')}; ${config.clients} clients over ${config.businesses} businesses ` +
      `on ${config.threads} client thread(s), ${config.asks} asks or more for ${config.minSeconds} s (${config.concurrency} at a time) after ` +
      `${config.warmupAsks} warm-up`,
  );
  const results: TargetResult[] = [];
  const failures: { target: TargetName; error: string }[] = [];
  for (const target of targets) {
    try {
      results.push(await benchTarget(target, gemini, postgres, redis));
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
    "delivery: from the model emulator sending an answer's first piece to each client of the business receiving it as ai.reply.delta; " +
      'ask→completed: from the ask request to each client receiving ai.reply.completed. ' +
      'missed: deliveries missing or duplicated, failed asks and clients that could not connect (target 0). ' +
      'w/ clients: RSS with every client connected and idle; KB/conn: its growth per client. ' +
      "bench lag: the worst p99 of the bench's own event loops (emulator, clients) in the measured phase.",
  );
  for (const result of results) {
    const line = verdict(result);
    if (line) print(line);
  }
  if (needsServers && skipped) print(`PostgreSQL + Redis rows skipped: ${skipped}`);
  for (const failure of failures) print(`${TARGETS[failure.target]} failed: ${failure.error}`);
  for (const result of results) {
    if (result.askErrors.length > 0)
      print(`${result.label} ask errors, e.g.: ${result.askErrors.slice(0, 3).join(' | ')}`);
    if (result.connectFailures.length > 0)
      print(`${result.label} clients not connected, e.g.: ${result.connectFailures.slice(0, 3).join(' | ')}`);
  }
  if (srcChanged)
    print('warning: src/ changed during the run (Parley rebuilds itself); the rows may measure different code.');

  const report = {
    benchmark: 'GET /ws/ fan-out of ask events',
    date: new Date().toISOString(),
    machine: { ...machine(), loadAverageAtStart: loadAtStart },
    config: {
      ...config,
      postgres: 'url' in postgres ? redact(postgres.url) : null,
      redis: 'url' in redis ? redact(redis.url) : null,
      skipped: skipped ?? null,
    },
    parleyBuild: { before: buildBefore ?? null, after: buildAfter ?? null, srcChangedDuringRun: srcChanged },
    results,
    failures,
  };
  await writeResults('ws', report);
  if (failures.length > 0 || results.some((result) => errorsOf(result) > 0)) process.exitCode = 1;
}

await runBench(main, cleanups);
