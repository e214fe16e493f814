/**
 * What a benchmark needs around the servers it measures: clean-up that runs
 * whatever happens, settings from the environment, Parley's environment and
 * first business, the Gemini emulator, throw-away PostgreSQL databases and
 * Redis prefixes, medians, and the results file.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { GeminiEmulator, type GeminiEmulatorOptions } from '../../src/emulator/gemini.js';
import { run } from './process.js';
import { forgetRedisKeys } from '../../test/helpers/redis-keys.js';

/** The project's root, where the servers run and `bin/parley.js` lives. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RESULTS_DIR = path.join(ROOT, 'bench', 'results');
export const USERNAME = 'bench';
export const PASSWORD = 'bench-password';
export const GEMINI_KEY = 'bench-key';
// Parley refuses a shorter one; its value does not matter to the bench.
export const APP_SECRET = 'bench-app-secret-0123456789abcdef0123456789';

export const DEFAULT_POSTGRES = 'postgresql://postgres@127.0.0.1:5432/test';
export const DEFAULT_REDIS = 'redis://127.0.0.1:6379';

export const log = (line: string) => process.stderr.write(`${line}\n`);
export const print = (line = '') => process.stdout.write(`${line}\n`);

/** Clean-ups run last-in first-out, on success, failure or Ctrl-C alike. */
export class Cleanups {
  private readonly stack: (() => Promise<void>)[] = [];

  push(cleanup: () => Promise<void>): void {
    this.stack.push(cleanup);
  }

  /** Where the stack stands now, to undo only what was pushed after it with `runFrom`. */
  mark(): number {
    return this.stack.length;
  }

  async runFrom(mark = 0): Promise<void> {
    const mine = this.stack.splice(mark);
    while (mine.length > 0) {
      const cleanup = mine.pop()!;
      await cleanup().catch((error: unknown) =>
        log(`cleanup failed: ${error instanceof Error ? error.message : String(error)}`),
      );
    }
  }

  /** Ctrl-C and SIGTERM stop the servers and drop the databases before the bench exits. */
  onSignals(): void {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        log(`\n${signal}: stopping servers and removing temporary databases…`);
        void this.runFrom(0).then(() => process.exit(130));
      });
    }
  }
}

export function numberFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number (got "${raw}")`);
  return value;
}

/**
 * The targets named in the comma-separated list in `envName` (`fallback` when
 * it is unset), each one of `known`'s keys.
 */
export function parseTargets<Name extends string>(
  envName: string,
  fallback: string,
  known: Record<Name, string>,
): Name[] {
  const names = (process.env[envName] ?? fallback)
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  for (const name of names) {
    if (!(name in known)) {
      throw new Error(`${envName}: unknown target "${name}" (use ${Object.keys(known).join(',')})`);
    }
  }
  return names as Name[];
}

export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/** The caller's environment minus anything that would point a child at another database, Redis or model. */
export function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  const inherited =
    /^(DATABASE_URL|REDIS_URL|APP_SECRET|PORT|HOST|PUBLIC_URL|NODE_OPTIONS|TELEGRAM_.*|META_.*|GEMINI_.*|PARLEY_.*)$/;
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !inherited.test(key)) env[key] = value;
  }
  return env;
}

export async function tempDir(cleanups: Cleanups): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'parley-bench-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

// ---- Parley -------------------------------------------------------------------------------

/** What every Parley a bench starts is given: loopback, warnings only, the emulator as its model, its own data dir. */
export function parleyEnv(geminiUrl: string, dataDir: string): Record<string, string> {
  return {
    ...baseEnv(),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    GEMINI_API_KEY: GEMINI_KEY,
    GEMINI_BASE_URL: geminiUrl,
    // The emulator has no quota: the benches measure Parley, not the shared key's rate limit.
    GEMINI_REQUESTS_PER_MINUTE: '0',
    // Nor the request limits: one token and one channel carry the whole load here.
    PARLEY_API_REQUESTS_PER_MINUTE: '0',
    PARLEY_ASKS_PER_MINUTE: '0',
    PARLEY_AGENT_REPLIES_PER_MINUTE: '0',
    PARLEY_WEBHOOKS_PER_MINUTE: '0',
    // Nor one customer's share: a long run sends each of its customers far more than 30 questions an hour.
    PARLEY_CUSTOMER_REPLIES_PER_HOUR: '0',
    PARLEY_DATA_DIR: dataDir,
  };
}

/**
 * How `npm start` runs Node for the embedded server (bin/start.sh; with
 * DATABASE_URL it passes none of these): a small young generation, two malloc
 * arenas rather than one per thread, and malloc's fixed 128 KiB thresholds. The
 * benches run their embedded targets the same way, so that the memory they
 * report is `npm start`'s.
 */
export const NPM_START = {
  nodeFlags: ['--max-semi-space-size=2'],
  env: { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '131072' },
} as const;

/** Runs `bin/parley.js` with `env` and returns its output. */
export function parleyCli(env: Record<string, string>): (...args: string[]) => Promise<string> {
  return (...args) => run(['bin/parley.js', ...args], { cwd: ROOT, env });
}

/**
 * A business set up as a user would: `parley createuser`, `parley token create`,
 * then `PUT /api/v1/ai/config/` with its AI on, on the server at `port`. Returns the token.
 */
export async function createBusiness(env: Record<string, string>, port: number, username: string): Promise<string> {
  const cli = parleyCli(env);
  await cli('createuser', username, '--password', PASSWORD);
  const token = (await cli('token', 'create', username)).trim();
  const response = await fetch(`http://127.0.0.1:${port}/api/v1/ai/config/`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ auto_response_enabled: true }),
  });
  if (response.status !== 200) {
    throw new Error(`PUT /api/v1/ai/config/ answered ${response.status}: ${await response.text()}`);
  }
  return token;
}

/** Node's flags to write CPU profiles when `enabled` (BENCH_CPU_PROF=1), else none. */
export function cpuProfileArgs(enabled: boolean, label: string): string[] {
  if (!enabled) return [];
  // A directory per server, with Node's own file names: each thread (tsx's loader has one) writes its own profile.
  const dir = path.join(RESULTS_DIR, 'profiles', `${label}-${fileStamp()}`);
  const interval = process.env.BENCH_CPU_PROF_INTERVAL;
  return ['--cpu-prof', `--cpu-prof-dir=${dir}`, ...(interval ? [`--cpu-prof-interval=${interval}`] : [])];
}

/** The Gemini emulator, closed at clean-up. It keeps nothing per request, so a long run does not grow it. */
export async function startEmulator(options: GeminiEmulatorOptions, cleanups: Cleanups): Promise<GeminiEmulator> {
  const gemini = await GeminiEmulator.start(options);
  cleanups.push(() => gemini.close());
  return gemini;
}

// ---- PostgreSQL and Redis -----------------------------------------------------------------

export type Reachable = { url: string } | { skipped: string };

/** BENCH_DATABASE_URL, else TEST_DATABASE_URL, else the local default; `skipped` says why it cannot be used. */
export async function findPostgres(): Promise<Reachable> {
  const explicit = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL;
  const url = explicit ?? DEFAULT_POSTGRES;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('select 1');
    return { url };
  } catch (error) {
    const source = explicit ? 'BENCH_DATABASE_URL/TEST_DATABASE_URL' : `the default ${DEFAULT_POSTGRES}`;
    return { skipped: `cannot connect to PostgreSQL at ${redact(url)} (${source}): ${messageOf(error)}` };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** BENCH_REDIS_URL, else TEST_REDIS_URL, else the local default. */
/**
 * The Redis the benches use. With BENCH_REDIS_HZ (issue #17 measures with `hz 100`), its `hz` is
 * set for the run: BullMQ's blocking waits end only `hz` times a second (README, Performance).
 * The previous value is put back when the bench exits normally.
 */
export async function findRedis(): Promise<Reachable> {
  const explicit = process.env.BENCH_REDIS_URL || process.env.TEST_REDIS_URL;
  const url = explicit ?? DEFAULT_REDIS;
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 3_000 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
    const hz = process.env.BENCH_REDIS_HZ;
    if (hz) {
      const [, before] = (await redis.config('GET', 'hz')) as [string, string];
      await redis.config('SET', 'hz', hz);
      log(`Redis hz ${hz} for this run (was ${before})`);
      process.once('beforeExit', () => {
        const restore = new Redis(url, { maxRetriesPerRequest: 0 });
        restore.on('error', () => undefined);
        void restore
          .config('SET', 'hz', before)
          .catch(() => undefined)
          .finally(() => restore.disconnect());
      });
    }
    return { url };
  } catch (error) {
    const source = explicit ? 'BENCH_REDIS_URL/TEST_REDIS_URL' : `the default ${DEFAULT_REDIS}`;
    return { skipped: `cannot connect to Redis at ${redact(url)} (${source}): ${messageOf(error)}` };
  } finally {
    redis.disconnect();
  }
}

export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A fresh database, dropped at clean-up; returns its URL. */
export async function freshDatabase(adminUrl: string, cleanups: Cleanups): Promise<string> {
  const name = `parley_bench_${randomBytes(6).toString('hex')}`;
  await withClient(adminUrl, (client) => client.query(`create database ${name}`));
  cleanups.push(() =>
    withClient(adminUrl, (client) => client.query(`drop database if exists ${name} with (force)`)).then(
      () => undefined,
    ),
  );
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * A PARLEY_REDIS_PREFIX of its own, so that no other Parley on this Redis takes
 * the bench's jobs or hears its events; its keys are deleted at clean-up.
 */
export function freshRedisPrefix(redisUrl: string, cleanups: Cleanups): string {
  const prefix = `parley-bench-${randomBytes(6).toString('hex')}`;
  cleanups.push(() => forgetRedisKeys(redisUrl, prefix));
  return prefix;
}

// ---- Figures ------------------------------------------------------------------------------

export function median(values: number[]): number {
  const sorted = values.filter((value) => !Number.isNaN(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** When dist/ was last built; bin/parley.js rebuilds it if src/ changes. */
export async function buildStamp(root: string): Promise<string | undefined> {
  return readFile(path.join(root, 'dist', '.build-stamp'), 'utf8').then(
    (text) => text.trim(),
    () => undefined,
  );
}

/** Now, fit for a file name. */
const fileStamp = () => new Date().toISOString().replace(/[:.]/g, '-');

/** Writes `report` to `bench/results/<name>-<timestamp>.json` and says so. */
export async function writeResults(name: string, report: unknown): Promise<void> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${name}-${fileStamp()}.json`);
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  print(`\nwritten ${path.relative(process.cwd(), file)}`);
}

/** Runs a bench's `main`; if it throws, says so, cleans up and fails the process. */
export async function runBench(main: () => Promise<void>, cleanups: Cleanups): Promise<void> {
  try {
    await main();
  } catch (error) {
    log(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    await cleanups.runFrom(0);
    process.exitCode = 1;
  }
}

export function machine(): Record<string, unknown> {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    totalMemoryMb: Math.round(os.totalmem() / 2 ** 20),
    loadAverage: os.loadavg(),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
