/**
 * `npm run bench:ws`: live-event fan-out over WebSockets. 1,000 clients (by
 * default) hold `GET /ws/` open on Parley embedded (one process) and on
 * PostgreSQL + Redis (two `serve` processes, clients and asks split across
 * them, so half of every business's events cross Redis). `ask` calls with the
 * Gemini emulator streaming at once produce the events; the bench measures
 * how long an answer's first streamed words take from leaving the model to
 * reaching each of the business's clients, and checks that every client got
 * every answer exactly once. See bench/README.md for the environment variables.
 */
import { WebSocket } from 'ws';
import { buildIfNeeded, needsBuild } from '../scripts/build.js';
import type { EmulatorRequest, GeminiEmulator } from '../src/emulator/gemini.js';
import { percentile } from './lib/load.js';
import { cpuSecondsOf, freePort, memoryOf, startServer, type Memory, type ServerProcess } from './lib/process.js';
import {
  APP_SECRET,
  buildStamp,
  Cleanups,
  createBusiness,
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

type TargetName = 'embedded' | 'postgres';
const TARGETS: Record<TargetName, string> = {
  embedded: 'parley (embedded)',
  postgres: 'parley (pg+redis, 2 serve)',
};

const config = {
  clients: Math.max(1, Math.round(numberFromEnv('BENCH_WS_CLIENTS', 1000))),
  businesses: Math.max(1, Math.round(numberFromEnv('BENCH_WS_BUSINESSES', 10))),
  asks: Math.max(1, Math.round(numberFromEnv('BENCH_WS_ASKS', 200))),
  warmupAsks: Math.round(numberFromEnv('BENCH_WS_WARMUP_ASKS', 20)),
  concurrency: Math.max(1, Math.round(numberFromEnv('BENCH_WS_CONCURRENCY', 4))),
  targets: parseTargets('BENCH_WS_TARGETS', 'embedded,postgres', TARGETS),
};

const cleanups = new Cleanups();
cleanups.onSignals();

// ---- The model: each answer's first streamed piece names its ask, and when it left -----------

/** When the emulator sent each ask's first piece of answer, by ask number (this process's clock). */
const firstPieceSentAt = new Map<number, number>();

function respond(request: EmulatorRequest) {
  const contents = (request.body as { contents?: unknown[] } | undefined)?.contents ?? [];
  const ask = Number(/\bq(\d+)\b/.exec(JSON.stringify(contents.at(-1)))?.[1] ?? -1);
  // Written to the wire as soon as this returns: the first SSE event goes out without a pause.
  firstPieceSentAt.set(ask, performance.now());
  return { chunks: [`m${ask}|`, ' We are open ', 'from 9 to 5.'] };
}

const FIRST_PIECE = /^m(\d+)\|$/;
const COMPLETED_TEXT = /^m(\d+)\|/;

// ---- Clients ----------------------------------------------------------------------------------

interface Receipts {
  /** Milliseconds from the model's first piece leaving the emulator to its `ai.reply.delta` at a client. */
  delivery: number[];
  /** Milliseconds from the `ask` request's start to its `ai.reply.completed` at a client. */
  endToEnd: number[];
  /** Receipts of first pieces, by ask: each should equal the business's client count, exactly. */
  perAsk: Map<number, number>;
}

const askStartedAt = new Map<number, number>();

function newReceipts(): Receipts {
  return { delivery: [], endToEnd: [], perAsk: new Map() };
}

function openClient(port: number, token: string, receipts: { current: Receipts }): Promise<WebSocket> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/ws/?token=${encodeURIComponent(token)}`);
  socket.on('message', (data) => {
    // Text frames arrive as one Buffer (the default binaryType).
    const text = (data as Buffer).toString();
    // Most frames are not measured: skip their parsing, which would otherwise weigh on the figures.
    const delta = text.includes('"ai.reply.delta"');
    if (!delta && !text.includes('"ai.reply.completed"')) return;
    const now = performance.now();
    const frame = JSON.parse(text) as { data: { text?: string; message?: { text: string } } };
    const into = receipts.current;
    if (delta) {
      const ask = Number(FIRST_PIECE.exec(frame.data.text ?? '')?.[1] ?? Number.NaN);
      const sent = firstPieceSentAt.get(ask);
      if (sent === undefined) return;
      into.delivery.push(now - sent);
      into.perAsk.set(ask, (into.perAsk.get(ask) ?? 0) + 1);
      return;
    }
    const ask = Number(COMPLETED_TEXT.exec(frame.data.message?.text ?? '')?.[1] ?? Number.NaN);
    const started = askStartedAt.get(ask);
    if (started !== undefined) into.endToEnd.push(now - started);
  });
  return new Promise((resolve, reject) => {
    // The server's hello is the sign that this client's room is joined.
    socket.once('message', () => resolve(socket));
    socket.once('error', reject);
    socket.once('unexpected-response', (_request, response) =>
      reject(new Error(`the handshake was refused with ${response.statusCode}`)),
    );
  });
}

// ---- One target -------------------------------------------------------------------------------

interface TargetResult {
  target: TargetName;
  label: string;
  servers: number;
  clients: number;
  businesses: number;
  connectMs: number;
  asks: number;
  askErrors: string[];
  /** Deliveries expected (asks × clients of the asking business) and those missing or extra. */
  expected: number;
  missing: number;
  duplicated: number;
  delivery: Percentiles;
  endToEnd: Percentiles;
  durationMs: number;
  idleMemory: (Memory | undefined)[];
  connectedMemory: (Memory | undefined)[];
  /** Server CPU milliseconds per delivered event frame (first pieces only counted), all servers. */
  serverCpuMsPer1000Deliveries: number;
}

interface Percentiles {
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    p50Ms: percentile(sorted, 50),
    p90Ms: percentile(sorted, 90),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted.at(-1) ?? Number.NaN,
  };
}

async function startTarget(
  target: TargetName,
  gemini: GeminiEmulator,
  postgres: Reachable,
  redis: Reachable,
): Promise<{ servers: ServerProcess[]; tokens: string[] }> {
  const env = parleyEnv(gemini.url, await tempDir(cleanups));
  if (target === 'postgres') {
    if ('skipped' in postgres) throw new Error(postgres.skipped);
    if ('skipped' in redis) throw new Error(redis.skipped);
    env.DATABASE_URL = await freshDatabase(postgres.url, cleanups);
    env.REDIS_URL = redis.url;
    env.PARLEY_REDIS_PREFIX = freshRedisPrefix(redis.url, cleanups);
    env.APP_SECRET = APP_SECRET;
  }
  const servers: ServerProcess[] = [];
  const count = target === 'postgres' ? 2 : 1;
  for (let index = 0; index < count; index++) {
    const port = await freePort();
    // Embedded runs as `npm start` runs it, which keeps its memory down.
    const embedded = target === 'embedded';
    const server = await startServer({
      name: `${TARGETS[target]} #${index + 1}`,
      args: [...(embedded ? NPM_START.nodeFlags : []), 'bin/parley.js', 'serve'],
      env: { ...env, ...(embedded ? NPM_START.env : {}), PORT: String(port) },
      port,
      cwd: ROOT,
    });
    cleanups.push(() => server.stop());
    servers.push(server);
  }

  const tokens: string[] = [];
  for (let index = 0; index < config.businesses; index++) {
    tokens.push(await createBusiness(env, servers[0]!.port, `bench-ws-${index}`));
  }
  return { servers, tokens };
}

/** `ask` number `index`: business `index % businesses`, on server `index % servers`, a new customer each. */
async function askOnce(servers: ServerProcess[], tokens: string[], index: number): Promise<string | undefined> {
  const server = servers[index % servers.length]!;
  const token = tokens[index % tokens.length]!;
  askStartedAt.set(index, performance.now());
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

async function askMany(servers: ServerProcess[], tokens: string[], first: number, count: number): Promise<string[]> {
  const errors: string[] = [];
  let next = first;
  const worker = async () => {
    while (next < first + count) {
      const error = await askOnce(servers, tokens, next++);
      if (error) errors.push(error);
    }
  };
  await Promise.all(Array.from({ length: config.concurrency }, worker));
  return errors;
}

async function benchTarget(
  target: TargetName,
  gemini: GeminiEmulator,
  postgres: Reachable,
  redis: Reachable,
): Promise<TargetResult> {
  const label = TARGETS[target];
  const mark = cleanups.mark();
  log(`${label}: starting…`);
  try {
    const { servers, tokens } = await startTarget(target, gemini, postgres, redis);
    const idleMemory = await Promise.all(servers.map((server) => memoryOf(server.pid)));

    log(`  connecting ${config.clients} clients for ${config.businesses} businesses…`);
    const receipts = { current: newReceipts() };
    const sockets: WebSocket[] = [];
    cleanups.push(async () => {
      for (const socket of sockets) socket.terminate();
    });
    const connectStarted = performance.now();
    // In batches, as clients arrive in practice: a thousand handshakes at once only measure the accept queue.
    for (let index = 0; index < config.clients; index += 50) {
      const batch = Array.from({ length: Math.min(50, config.clients - index) }, (_, offset) => {
        const client = index + offset;
        const server = servers[client % servers.length]!;
        return openClient(server.port, tokens[client % tokens.length]!, receipts);
      });
      sockets.push(...(await Promise.all(batch)));
    }
    const connectMs = performance.now() - connectStarted;

    if (config.warmupAsks > 0) {
      log(`  warm-up: ${config.warmupAsks} asks`);
      await askMany(servers, tokens, 0, config.warmupAsks);
      await settle(receipts.current, config.warmupAsks);
    }
    receipts.current = newReceipts();
    const first = config.warmupAsks;
    log(`  measure: ${config.asks} asks at ${config.concurrency} at a time`);
    const cpuBefore = await Promise.all(servers.map((server) => cpuSecondsOf(server.pid)));
    const started = performance.now();
    const askErrors = await askMany(servers, tokens, first, config.asks);
    const expectedPerAsk = (ask: number) => clientsOf(ask % config.businesses);
    let expected = 0;
    for (let ask = first; ask < first + config.asks; ask++) expected += expectedPerAsk(ask);
    await settle(receipts.current, expected);
    const durationMs = performance.now() - started;
    const cpuAfter = await Promise.all(servers.map((server) => cpuSecondsOf(server.pid)));
    // Taken with every client still connected, after the load: right after connecting, a
    // collection may or may not have run, and the difference would be noise.
    const connectedMemory = await Promise.all(servers.map((server) => memoryOf(server.pid)));

    let missing = 0;
    let duplicated = 0;
    for (let ask = first; ask < first + config.asks; ask++) {
      const got = receipts.current.perAsk.get(ask) ?? 0;
      const want = expectedPerAsk(ask);
      if (got < want) missing += want - got;
      if (got > want) duplicated += got - want;
    }
    const cpuMs = servers.reduce((sum, _server, index) => {
      const before = cpuBefore[index];
      const after = cpuAfter[index];
      return before === undefined || after === undefined ? Number.NaN : sum + (after - before) * 1000;
    }, 0);
    return {
      target,
      label,
      servers: servers.length,
      clients: config.clients,
      businesses: config.businesses,
      connectMs,
      asks: config.asks,
      askErrors,
      expected,
      missing,
      duplicated,
      delivery: percentiles(receipts.current.delivery),
      endToEnd: percentiles(receipts.current.endToEnd),
      durationMs,
      idleMemory,
      connectedMemory,
      serverCpuMsPer1000Deliveries: (cpuMs / Math.max(1, receipts.current.delivery.length)) * 1000,
    };
  } finally {
    // This target's clients, servers, database and directories go before the next one starts.
    await cleanups.runFrom(mark);
  }
}

/** Clients of business `business`: client i belongs to business i % businesses. */
function clientsOf(business: number): number {
  const whole = Math.floor(config.clients / config.businesses);
  return whole + (business < config.clients % config.businesses ? 1 : 0);
}

/** Waits until `expected` first pieces have arrived, or a few seconds pass without a new one. */
async function settle(receipts: Receipts, expected: number): Promise<void> {
  let seen = -1;
  let quietSince = performance.now();
  while (receipts.delivery.length < expected && performance.now() - quietSince < 5_000) {
    if (receipts.delivery.length !== seen) {
      seen = receipts.delivery.length;
      quietSince = performance.now();
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  // Frames still on their way for completed events (they follow the first pieces).
  await new Promise((resolve) => setTimeout(resolve, 200));
}

// ---- Report -----------------------------------------------------------------------------------

const ms = (value: number, digits = 1) => (Number.isNaN(value) ? '-' : `${value.toFixed(digits)} ms`);
const mb = (memory: Memory | undefined) => (memory ? `${memory.rssMb.toFixed(0)} MB` : '-');

function table(results: TargetResult[]): string[] {
  const header = [
    'target',
    'clients',
    'delivery p50',
    'p99',
    'max',
    'ask→completed p50',
    'p99',
    'missed',
    'rss idle',
    'rss w/ clients',
    'KB/conn',
  ];
  const cells = results.map((result) => {
    const idle = result.idleMemory.reduce((sum, memory) => sum + (memory?.rssMb ?? Number.NaN), 0);
    const connected = result.connectedMemory.reduce((sum, memory) => sum + (memory?.rssMb ?? Number.NaN), 0);
    const perConnection = ((connected - idle) * 1024) / result.clients;
    return [
      result.label,
      String(result.clients),
      ms(result.delivery.p50Ms, 2),
      ms(result.delivery.p99Ms),
      ms(result.delivery.maxMs),
      ms(result.endToEnd.p50Ms),
      ms(result.endToEnd.p99Ms),
      String(result.missing + result.duplicated + result.askErrors.length),
      result.servers === 1 ? mb(result.idleMemory[0]) : `${idle.toFixed(0)} MB`,
      result.servers === 1 ? mb(result.connectedMemory[0]) : `${connected.toFixed(0)} MB`,
      Number.isNaN(perConnection) ? '-' : perConnection.toFixed(1),
    ];
  });
  const widths = header.map((title, column) => Math.max(title.length, ...cells.map((line) => line[column]!.length)));
  const format = (line: string[]) =>
    line.map((cell, column) => (column === 0 ? cell.padEnd(widths[0]!) : cell.padStart(widths[column]!))).join('  ');
  return [format(header), ...cells.map(format)];
}

// ---- Main -------------------------------------------------------------------------------------

async function main(): Promise<void> {
  buildIfNeeded();
  const buildBefore = await buildStamp(ROOT);
  const needsServers = config.targets.includes('postgres');
  const postgres: Reachable = needsServers ? await findPostgres() : { skipped: 'not needed' };
  const redis: Reachable = needsServers ? await findRedis() : { skipped: 'not needed' };
  const skipped = 'skipped' in postgres ? postgres.skipped : 'skipped' in redis ? redis.skipped : undefined;
  const targets = config.targets.filter((target) => target === 'embedded' || !skipped);
  if (needsServers && skipped) log(`PostgreSQL + Redis row skipped: ${skipped}`);

  const gemini = await startEmulator({ respond }, cleanups);

  log(
    `bench:ws: ${targets.join(', ')}; ${config.clients} clients over ${config.businesses} businesses, ` +
      `${config.asks} asks (${config.concurrency} at a time) after ${config.warmupAsks} warm-up`,
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
      'missed: deliveries missing or duplicated, plus failed asks (target 0).',
  );
  if (needsServers && skipped) print(`PostgreSQL + Redis row skipped: ${skipped}`);
  for (const failure of failures) print(`${TARGETS[failure.target]} failed: ${failure.error}`);
  for (const result of results) {
    if (result.askErrors.length > 0)
      print(`${result.label} ask errors, e.g.: ${result.askErrors.slice(0, 3).join(' | ')}`);
  }
  if (srcChanged)
    print('warning: src/ changed during the run (Parley rebuilds itself); the rows may measure different code.');

  const report = {
    benchmark: 'GET /ws/ fan-out of ask events',
    date: new Date().toISOString(),
    machine: machine(),
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
  const broken = results.some((result) => result.missing + result.duplicated + result.askErrors.length > 0);
  if (failures.length > 0 || broken) process.exitCode = 1;
}

await runBench(main, cleanups);
