import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPostgresDatabase, migratedPostgresTemplate, testDatabaseKind } from './database.js';
import { snapshotCacheDir, snapshotKey } from './pglite-snapshots.js';
import { forgetRedisKeys } from './redis-keys.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.join(root, 'bin', 'parley.js');

/** The parts of the environment a Parley process may see: none of the developer's own Parley settings. */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const key of ['PATH', 'HOME', 'LANG', 'TMPDIR', 'SYSTEMROOT']) {
    if (process.env[key] !== undefined) env[key] = process.env[key];
  }
  // Cheap password hashes, as in the in-process suites: a process test at OWASP's cost spends
  // seconds per `createuser`. Production's cost has its own tests (test/auth).
  return { ...env, LOG_LEVEL: 'info', PARLEY_PASSWORD_COST: '10', ...extra };
}

export interface ParleyEnvironment {
  env: NodeJS.ProcessEnv;
  dataDir: string;
  /** Drops the database and removes the data dir. */
  cleanup: () => Promise<void>;
}

/**
 * An embedded database as `parley migrate` leaves it in a data dir, made once
 * (cached like the PGlite dumps) for process tests to copy: a server on a new
 * data dir otherwise spends seconds in initdb and the migrations at each start.
 */
export async function migratedEmbeddedDatabase(): Promise<string> {
  const seed = path.join(snapshotCacheDir, `data-dir-${await snapshotKey()}`);
  if (!existsSync(seed)) {
    await mkdir(snapshotCacheDir, { recursive: true });
    const partial = await mkdtemp(`${seed}.tmp-`);
    try {
      const result = await runParley(['migrate'], cleanEnv({ PARLEY_DATA_DIR: partial }));
      if (result.code !== 0) throw new Error(`parley migrate failed:\n${result.stderr}`);
      // Only the database: each test's data dir has an app secret and a lock of its own.
      for (const file of await readdir(partial)) {
        if (file !== 'pglite') await rm(path.join(partial, file), { recursive: true, force: true });
      }
      await rename(partial, seed).catch((error: unknown) => {
        // Another worker made it first: theirs is as good.
        if (!existsSync(seed)) throw error;
      });
    } finally {
      await rm(partial, { recursive: true, force: true });
    }
  }
  return path.join(seed, 'pglite');
}

/**
 * What a test file's Parley processes share: a data dir of its own and, on the
 * postgres project, a fresh database and the shared Redis (TEST_REDIS_URL)
 * under a prefix of its own, so other suites' processes never take its jobs.
 *
 * The database is already migrated, as after an earlier `parley migrate`,
 * unless `fresh` asks for an empty one: only the suites about a first start
 * need that, and on the embedded database it costs seconds (initdb).
 */
export async function parleyEnvironment(
  name: string,
  extra: Record<string, string> = {},
  { fresh = false }: { fresh?: boolean } = {},
): Promise<ParleyEnvironment> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), `parley-${name}-`));
  const vars: Record<string, string> = { PARLEY_DATA_DIR: dataDir, ...extra };
  let dropDatabase: (() => Promise<void>) | undefined;
  if (testDatabaseKind === 'embedded' && !fresh) {
    await cp(await migratedEmbeddedDatabase(), path.join(dataDir, 'pglite'), { recursive: true });
  }
  if (testDatabaseKind === 'postgres') {
    const template = fresh ? undefined : await migratedPostgresTemplate();
    const database = await createPostgresDatabase({ template }).catch(async (error: unknown) => {
      await rm(dataDir, { recursive: true, force: true });
      throw error;
    });
    dropDatabase = () => database.drop();
    vars.DATABASE_URL = database.url;
    vars.APP_SECRET = randomBytes(32).toString('hex');
    if (process.env.TEST_REDIS_URL) {
      vars.REDIS_URL = process.env.TEST_REDIS_URL;
      vars.PARLEY_REDIS_PREFIX = `parley-test-${randomBytes(4).toString('hex')}`;
    }
  }
  return {
    env: cleanEnv(vars),
    dataDir,
    cleanup: async () => {
      await dropDatabase?.();
      if (vars.REDIS_URL && vars.PARLEY_REDIS_PREFIX) await forgetRedisKeys(vars.REDIS_URL, vars.PARLEY_REDIS_PREFIX);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A `parley` command that must succeed: its trimmed stdout, or an error carrying its stderr. */
export async function parleyOutput(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const result = await runParley(args, env);
  if (result.code !== 0) throw new Error(`parley ${args.join(' ')} failed:\n${result.stderr}`);
  return result.stdout.trim();
}

export function runParley(args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: root, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/** A long-running Parley process started by a test. */
export interface ParleyProcess {
  process: ChildProcess;
  output(): string;
  /** Sends the signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface ParleyServer extends ParleyProcess {
  url: string;
}

/**
 * Spawns `parley <command>` and resolves once its output matches `ready`;
 * rejects, killing it, when it exits first or takes longer than `timeoutMs`.
 */
function startUntilReady(
  command: string,
  env: NodeJS.ProcessEnv,
  ready: RegExp,
  timeoutMs: number,
): Promise<{ match: RegExpExecArray; parley: ParleyProcess }> {
  const child = spawn(process.execPath, [bin, command], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`parley ${command} did not start within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = ready.exec(output);
      if (!match) return;
      clearTimeout(timer);
      resolve({
        match,
        parley: {
          process: child,
          output: () => output,
          async stop(signal = 'SIGTERM') {
            if (child.exitCode !== null) return child.exitCode;
            child.kill(signal);
            return exited;
          },
        },
      });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`parley ${command} exited with ${code} before it was ready:\n${output}`));
    });
  });
}

/** Starts `parley serve` (or another serving command) on a free port and waits until it listens. */
export async function startParley(
  env: NodeJS.ProcessEnv,
  command = 'serve',
  timeoutMs = 30_000,
): Promise<ParleyServer> {
  const { match, parley } = await startUntilReady(
    command,
    { PORT: '0', ...env },
    /Parley is listening on (http:\/\/[^"\s]+)/,
    timeoutMs,
  );
  return { url: match[1]!, ...parley };
}

/** Starts `parley worker` and waits until it is running. */
export async function startParleyWorker(env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<ParleyProcess> {
  return (await startUntilReady('worker', env, /Parley worker is running/, timeoutMs)).parley;
}
