/**
 * `npm run bench`: POST /api/v1/ai/ask/ with the Gemini emulator answering at
 * once, on Parley embedded, on PostgreSQL, on PostgreSQL + Redis as production
 * runs it (`serve` and `worker`), and the bare Fastify + pg yardstick
 * (bench/bare-ask.ts), all in one run, because only figures taken on the same
 * machine at the same time compare (docs/performance.md). The load comes from
 * wrk where it can be had (bench/lib/wrk.ts), else from bench/lib/load.ts.
 * See bench/README.md for the environment variables.
 */
import os from 'node:os';
import { buildIfNeeded, needsBuild } from '../scripts/build.js';
import type { GeminiEmulator } from '../src/emulator/gemini.js';
import { runLoad, type LoadRequest, type LoadResult } from './lib/load.js';
import { ensureWrk, runWrk } from './lib/wrk.js';
import {
  cpuSecondsOf,
  freePort,
  memoryOf,
  postgresCpuSeconds,
  startProcess,
  startServer,
  type Memory,
  type ServerProcess,
} from './lib/process.js';
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
  log,
  machine,
  median,
  messageOf,
  NPM_START,
  numberFromEnv,
  parleyCli,
  parleyEnv,
  parseTargets,
  PASSWORD,
  print,
  type Reachable,
  redact,
  ROOT,
  runBench,
  startEmulator,
  tempDir,
  USERNAME,
  writeResults,
} from './lib/setup.js';

const ANSWER = 'We are open 9 to 5.';
const QUESTION = 'What are your prices?';

type TargetName = 'embedded' | 'postgres' | 'redis' | 'postgres-small-young' | 'bare';
const TARGETS: Record<TargetName, string> = {
  embedded: 'parley (embedded)',
  postgres: 'parley (postgres)',
  redis: 'parley (postgres+redis)',
  // `npm start`'s memory flag on PostgreSQL, to see what it costs there.
  'postgres-small-young': 'parley (postgres, semi-space 2)',
  bare: 'bare fastify+pg',
};

const config = {
  warmupSeconds: numberFromEnv('BENCH_WARMUP_SECONDS', 3),
  seconds: numberFromEnv('BENCH_SECONDS', 10),
  singleSeconds: numberFromEnv('BENCH_SINGLE_SECONDS', 5),
  concurrency: Math.max(1, Math.round(numberFromEnv('BENCH_CONCURRENCY', 50))),
  customers: Math.max(1, Math.round(numberFromEnv('BENCH_CUSTOMERS', 1000))),
  rounds: Math.max(1, Math.round(numberFromEnv('BENCH_ROUNDS', 1))),
  targets: parseTargets('BENCH_TARGETS', 'embedded,postgres,redis,bare', TARGETS),
  cpuProfile: process.env.BENCH_CPU_PROF === '1',
  /** `wrk` (installed when missing and possible) or `node` (bench/lib/load.ts). */
  load: process.env.BENCH_LOAD === 'node' ? ('node' as const) : ('wrk' as const),
};

/**
 * CPU milliseconds a successful request cost each party during a phase. Less
 * sensitive than req/s to whatever else the machine is doing, but `postgres`
 * counts every PostgreSQL process, other users' too.
 */
interface CpuPerRequest {
  server: number;
  postgres: number;
  /** The load generator and the emulator. */
  bench: number;
}

type Phase = LoadResult & { cpuMsPerRequest: CpuPerRequest };

interface TargetResult {
  target: TargetName;
  label: string;
  round: number;
  warmup: Phase;
  concurrent: Phase;
  single: Phase;
  /** After start-up, setup and one request, before any load. */
  idleMemory: Memory | undefined;
  /** After the last phase; peak is the high-water mark over the process's life. */
  memory: Memory | undefined;
}

interface Services {
  postgres: Reachable;
  redis: Reachable;
}
const NOT_NEEDED: Reachable = { skipped: 'not needed' };

const cleanups = new Cleanups();
cleanups.onSignals();

// ---- One target ---------------------------------------------------------------------------

const profileArgs = (label: string) => cpuProfileArgs(config.cpuProfile, label);

async function startTarget(
  target: TargetName,
  gemini: GeminiEmulator,
  services: Services,
): Promise<{ server: ServerProcess; token: string }> {
  const port = await freePort();
  const env: Record<string, string> = { ...parleyEnv(gemini.url, await tempDir(cleanups)), PORT: String(port) };
  if (target !== 'embedded') {
    if ('skipped' in services.postgres) throw new Error(services.postgres.skipped);
    env.DATABASE_URL = await freshDatabase(services.postgres.url, cleanups);
    env.APP_SECRET = APP_SECRET;
  }
  if (target === 'redis') {
    if ('skipped' in services.redis) throw new Error(services.redis.skipped);
    env.REDIS_URL = services.redis.url;
    env.PARLEY_REDIS_PREFIX = freshRedisPrefix(services.redis.url, cleanups);
  }
  const cli = parleyCli(env);
  const label = TARGETS[target];
  const track = (server: ServerProcess) => {
    cleanups.push(() => server.stop());
    return server;
  };

  if (target === 'bare') {
    // Parley's own migrations and CLI set the yardstick's database up exactly as Parley's.
    await cli('migrate');
    await cli('createuser', USERNAME, '--password', PASSWORD);
    const token = (await cli('token', 'create', USERNAME)).trim();
    await cli('ai_control', 'enable', '--user', USERNAME);
    const server = track(
      await startServer({
        name: label,
        args: [...profileArgs('bare'), '--import', 'tsx', 'bench/bare-ask.ts'],
        env,
        port,
        cwd: ROOT,
      }),
    );
    return { server, token };
  }

  // Embedded runs as `npm start` runs it, which keeps its memory down; the small-young row takes its flag alone.
  const nodeFlags = target === 'embedded' || target === 'postgres-small-young' ? NPM_START.nodeFlags : [];
  if (target === 'embedded') Object.assign(env, NPM_START.env);
  // Production runs the jobs in a process of their own (README, "Production").
  if (target === 'redis') {
    track(
      await startProcess({
        name: `${label} worker`,
        args: [...profileArgs(`parley-${target}-worker`), 'bin/parley.js', 'worker'],
        env: { ...env, LOG_LEVEL: 'info' },
        cwd: ROOT,
        readyLine: /Parley worker is running/,
      }),
    );
  }
  const server = track(
    await startServer({
      name: label,
      args: [...nodeFlags, ...profileArgs(`parley-${target}`), 'bin/parley.js', 'serve'],
      env,
      port,
      cwd: ROOT,
    }),
  );
  const token = await createBusiness(env, port, USERNAME);
  return { server, token };
}

const succeeded = (status: number, body: string) => status === 200 && body.includes('"auto_response_generated":true');

async function benchTarget(
  target: TargetName,
  round: number,
  gemini: GeminiEmulator,
  services: Services,
  wrk: string | undefined,
): Promise<TargetResult> {
  const label = TARGETS[target];
  const mark = cleanups.mark();
  log(`${label}${config.rounds > 1 ? ` (round ${round})` : ''}: starting…`);
  try {
    const { server, token } = await startTarget(target, gemini, services);
    const headers = {
      authorization: `Bearer ${token}`,
      'content-type': 'application/x-www-form-urlencoded',
    };
    const question = encodeURIComponent(QUESTION);
    const request = (index: number): LoadRequest => ({
      method: 'POST' as const,
      path: '/api/v1/ai/ask/',
      headers,
      body: `question=${question}&customer_id=${encodeURIComponent(`customer-${index % config.customers}@example.com`)}`,
    });

    // One request first, so that a broken setup fails with its answer rather than a column of errors.
    const probe = await runLoad({
      port: server.port,
      concurrency: 1,
      durationMs: 60_000,
      maxRequests: 1,
      request,
      ok: succeeded,
    });
    if (probe.requests !== 1 || probe.errors > 0) {
      throw new Error(`the first request failed: ${probe.errorSamples.join('; ')}\n${server.output()}`);
    }
    const idleMemory = await memoryOf(server.pid);

    const phase = async (name: string, seconds: number, concurrency: number, firstIndex: number): Promise<Phase> => {
      log(`  ${name}: ${seconds} s at ${concurrency} client${concurrency === 1 ? '' : 's'}`);
      const durationMs = seconds * 1000;
      const before = { server: await cpuSecondsOf(server.pid), postgres: await postgresCpuSeconds() };
      const benchBefore = process.cpuUsage();
      const result = wrk
        ? await runWrk({
            wrk,
            port: server.port,
            concurrency,
            durationMs,
            requests: Array.from({ length: config.customers }, (_, index) => request(index)),
            dir: await tempDir(cleanups),
          })
        : await runLoad({
            port: server.port,
            concurrency,
            durationMs,
            // A bound on memory and time whatever the target's speed: 20,000 req/s is beyond any of them here.
            maxRequests: Math.max(1, Math.ceil(seconds * 20_000)),
            request,
            ok: succeeded,
            firstIndex,
          });
      const benchUsed = process.cpuUsage(benchBefore);
      const serverAfter = await cpuSecondsOf(server.pid);
      const postgresAfter = await postgresCpuSeconds();
      const served = Math.max(1, result.requests - result.errors);
      const perRequest = (cpuSeconds: number) => (cpuSeconds * 1000) / served;
      const cpuMsPerRequest: CpuPerRequest = {
        server:
          before.server === undefined || serverAfter === undefined
            ? Number.NaN
            : perRequest(serverAfter - before.server),
        postgres: target === 'embedded' ? Number.NaN : perRequest(postgresAfter - before.postgres),
        // wrk is a process of its own: only load.ts's cost is known here.
        bench: wrk ? Number.NaN : perRequest((benchUsed.user + benchUsed.system) / 1e6),
      };
      return { ...result, cpuMsPerRequest };
    };
    const warmup = await phase('warm-up', config.warmupSeconds, config.concurrency, probe.nextIndex);
    const concurrent = await phase('measure', config.seconds, config.concurrency, warmup.nextIndex);
    const single = await phase('measure', config.singleSeconds, 1, concurrent.nextIndex);
    const memory = await memoryOf(server.pid);
    return { target, label, round, warmup, concurrent, single, idleMemory, memory };
  } finally {
    // This target's servers, databases and directories go before the next one starts.
    await cleanups.runFrom(mark);
  }
}

// ---- Report -------------------------------------------------------------------------------

interface Row {
  label: string;
  rps: number;
  p50: number;
  p99: number;
  p50Single: number;
  errors: number;
  rssMb: number;
  serverCpu: number;
  postgresCpu: number;
}

function rowOf(result: TargetResult): Row {
  return {
    label: result.label,
    rps: result.concurrent.rps,
    p50: result.concurrent.p50Ms,
    p99: result.concurrent.p99Ms,
    p50Single: result.single.p50Ms,
    errors: result.concurrent.errors + result.single.errors,
    rssMb: result.memory?.rssMb ?? Number.NaN,
    serverCpu: result.concurrent.cpuMsPerRequest.server,
    postgresCpu: result.concurrent.cpuMsPerRequest.postgres,
  };
}

function medianRow(label: string, results: TargetResult[]): Row {
  const rows = results.map(rowOf);
  return {
    label,
    rps: median(rows.map((row) => row.rps)),
    p50: median(rows.map((row) => row.p50)),
    p99: median(rows.map((row) => row.p99)),
    p50Single: median(rows.map((row) => row.p50Single)),
    errors: rows.reduce((sum, row) => sum + row.errors, 0),
    rssMb: median(rows.map((row) => row.rssMb)),
    serverCpu: median(rows.map((row) => row.serverCpu)),
    postgresCpu: median(rows.map((row) => row.postgresCpu)),
  };
}

const fixed = (value: number, digits: number) => (Number.isNaN(value) ? '-' : value.toFixed(digits));
const ms = (value: number, digits: number) => (Number.isNaN(value) ? '-' : `${value.toFixed(digits)} ms`);

function table(rows: Row[]): string[] {
  const c = config.concurrency;
  const header = ['target', `req/s@${c}`, `p50@${c}`, `p99@${c}`, 'p50@1', 'errors', 'rss', 'cpu/req', 'pg cpu/req'];
  const cells = rows.map((row) => [
    row.label,
    fixed(row.rps, 0),
    ms(row.p50, 1),
    ms(row.p99, 1),
    ms(row.p50Single, 2),
    String(row.errors),
    Number.isNaN(row.rssMb) ? '-' : `${row.rssMb.toFixed(0)} MB`,
    ms(row.serverCpu, 2),
    ms(row.postgresCpu, 2),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...cells.map((line) => line[column]!.length)));
  const format = (line: string[]) =>
    line.map((cell, column) => (column === 0 ? cell.padEnd(widths[0]!) : cell.padStart(widths[column]!))).join('  ');
  return [format(header), ...cells.map(format)];
}

/** Issue #17's targets, one line each for the rows this run has. */
function verdict(rows: Map<TargetName, Row>): string | undefined {
  const ok = (pass: boolean) => (pass ? 'met' : 'NOT met');
  const bare = rows.get('bare');
  const lines: string[] = [];
  const production = rows.get('redis');
  if (production && bare) {
    const share = (production.rps / bare.rps) * 100;
    const ratio = production.p50Single / bare.p50Single;
    lines.push(
      `postgres+redis/bare throughput: ${fixed(share, 0)}% (target >= 70%: ${ok(share >= 70)})   ` +
        `p50@1 ratio: ${fixed(ratio, 1)}x (target <= 2x: ${ok(ratio <= 2)})   ` +
        `errors: ${production.errors} (target 0: ${ok(production.errors === 0)})`,
    );
  }
  const postgres = rows.get('postgres');
  if (postgres && bare) {
    const share = (postgres.rps / bare.rps) * 100;
    lines.push(`postgres/bare throughput: ${fixed(share, 0)}% (target >= 80%: ${ok(share >= 80)})`);
  }
  const embedded = rows.get('embedded');
  if (embedded) {
    const spread = embedded.p99 / embedded.p50;
    lines.push(`embedded p99/p50 at ${config.concurrency}: ${fixed(spread, 1)}x (target <= 5x: ${ok(spread <= 5)})`);
  }
  return lines.length ? lines.join('\n') : undefined;
}

// ---- Main ---------------------------------------------------------------------------------

async function main(): Promise<void> {
  buildIfNeeded();
  const buildBefore = await buildStamp(ROOT);
  const { loadAverage: loadAverageAtStart, ...host } = machine();
  const services: Services = {
    postgres: config.targets.some((target) => target !== 'embedded') ? await findPostgres() : NOT_NEEDED,
    redis: config.targets.includes('redis') ? await findRedis() : NOT_NEEDED,
  };
  const reachable = (service: Reachable) => !('skipped' in service);
  const targets = config.targets.filter(
    (target) =>
      target === 'embedded' || (reachable(services.postgres) && (target !== 'redis' || reachable(services.redis))),
  );
  const skipped =
    [services.postgres, services.redis]
      .flatMap((service) => ('skipped' in service && service !== NOT_NEEDED ? [service.skipped] : []))
      .join('; ') || undefined;
  if (skipped) log(`PostgreSQL or Redis rows skipped: ${skipped}`);
  const wrk = config.load === 'wrk' ? ensureWrk(log) : undefined;
  if (config.load === 'wrk' && !wrk) log('wrk is not installed and cannot be: the load comes from bench/lib/load.ts');

  const gemini = await startEmulator({ respond: () => ({ text: ANSWER }) }, cleanups);

  log(
    `bench: ${config.rounds} round(s) of ${targets.join(', ')}; warm-up ${config.warmupSeconds} s, ` +
      `${config.seconds} s at ${config.concurrency} clients, ${config.singleSeconds} s at 1 client; ` +
      `${os.cpus().length} CPUs, node ${process.version}`,
  );
  const results: TargetResult[] = [];
  const failures: { target: TargetName; round: number; error: string }[] = [];
  for (let round = 1; round <= config.rounds; round++) {
    for (const target of targets) {
      try {
        results.push(await benchTarget(target, round, gemini, services, wrk));
      } catch (error) {
        // The other targets' figures are still worth having; the run fails at the end.
        const message = messageOf(error);
        log(`${TARGETS[target]} failed: ${message}`);
        failures.push({ target, round, error: message });
      }
    }
  }
  await cleanups.runFrom(0);
  const buildAfter = await buildStamp(ROOT);
  // bin/parley.js rebuilds dist/ whenever src/ is newer, so an edit during the run changes what is measured.
  const srcChanged = buildAfter !== buildBefore || needsBuild();

  print();
  const medians = new Map<TargetName, Row>();
  for (const target of targets) {
    if (!results.some((result) => result.target === target)) continue;
    medians.set(
      target,
      medianRow(
        TARGETS[target],
        results.filter((result) => result.target === target),
      ),
    );
  }
  if (config.rounds > 1) {
    for (let round = 1; round <= config.rounds; round++) {
      print(`round ${round}:`);
      for (const line of table(results.filter((r) => r.round === round).map(rowOf))) print(`  ${line}`);
    }
    print(`median of ${config.rounds} rounds (errors summed):`);
  }
  for (const line of table([...medians.values()])) print(line);
  print(
    `cpu/req: the server process's CPU per answered request at ${config.concurrency} clients (embedded: database included); ` +
      'pg cpu/req: all postgres processes on the machine.',
  );
  print(`load: ${wrk ? 'wrk' : 'bench/lib/load.ts (in this process)'}`);
  if (skipped) print(`PostgreSQL or Redis rows skipped: ${skipped}`);
  for (const failure of failures) print(`${TARGETS[failure.target]} (round ${failure.round}) failed: ${failure.error}`);
  if (srcChanged) {
    print('warning: src/ changed during the run (Parley rebuilds itself); the rows may measure different code.');
  }
  const summary = verdict(medians);
  if (summary) print(summary);
  for (const result of results) {
    const samples = [...result.warmup.errorSamples, ...result.concurrent.errorSamples, ...result.single.errorSamples];
    if (samples.length > 0) print(`${result.label} errors, for example: ${samples.slice(0, 3).join(' | ')}`);
  }

  const report = {
    benchmark: 'POST /api/v1/ai/ask/',
    date: new Date().toISOString(),
    machine: { ...host, loadAverageAtStart, loadAverageAtEnd: os.loadavg() },
    config: {
      ...config,
      load: wrk ? 'wrk' : 'node',
      postgres: 'url' in services.postgres ? redact(services.postgres.url) : null,
      redis: 'url' in services.redis ? redact(services.redis.url) : null,
      skipped,
    },
    parleyBuild: { before: buildBefore ?? null, after: buildAfter ?? null, srcChangedDuringRun: srcChanged },
    summary: Object.fromEntries(medians),
    verdict: summary ?? null,
    results,
    failures,
  };
  await writeResults('ask', report);
  if (failures.length > 0) process.exitCode = 1;
}

await runBench(main, cleanups);
