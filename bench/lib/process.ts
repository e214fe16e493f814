/** Child processes for the bench: servers it starts and stops, CLI commands it runs. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import net from 'node:net';

export interface ServerProcess {
  name: string;
  pid: number;
  port: number;
  child: ChildProcess;
  /** The last lines the process wrote, to explain a failure. */
  output(): string;
  /** SIGTERM, then SIGKILL if it is still there after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

const OUTPUT_LINES_KEPT = 40;
const DEFAULT_GRACE_MS = 5_000;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

/** Starts a server and waits until `GET /readyz` answers 200. */
export async function startServer(options: {
  name: string;
  args: string[];
  env: Record<string, string>;
  port: number;
  cwd: string;
  readyTimeoutMs?: number;
}): Promise<ServerProcess> {
  const server = spawnProcess(options);
  try {
    await waitReady(server, options.readyTimeoutMs ?? 120_000);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

/**
 * Starts a process that serves no HTTP (`parley worker`) and waits until a line
 * of its output matches `readyLine`. Its `port` is 0.
 */
export async function startProcess(options: {
  name: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  readyLine: RegExp;
  readyTimeoutMs?: number;
}): Promise<ServerProcess> {
  const server = spawnProcess({ ...options, port: 0 });
  const timeoutMs = options.readyTimeoutMs ?? 120_000;
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (server.child.exitCode !== null || server.child.signalCode !== null) {
        throw new Error(`${server.name} exited before it was ready:\n${server.output()}`);
      }
      if (
        server
          .output()
          .split('\n')
          .some((line) => options.readyLine.test(line))
      )
        return server;
      if (Date.now() > deadline) {
        throw new Error(
          `${server.name} did not print ${String(options.readyLine)} within ${timeoutMs} ms:\n${server.output()}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    await server.stop();
    throw error;
  }
}

function spawnProcess(options: {
  name: string;
  args: string[];
  env: Record<string, string>;
  port: number;
  cwd: string;
}): ServerProcess {
  const child = spawn(process.execPath, options.args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (lines.length > OUTPUT_LINES_KEPT) lines.splice(0, lines.length - OUTPUT_LINES_KEPT);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });

  return {
    name: options.name,
    pid: child.pid ?? -1,
    port: options.port,
    child,
    output: () => lines.join('\n'),
    async stop(graceMs = DEFAULT_GRACE_MS) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function waitReady(server: ServerProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (server.child.exitCode !== null || server.child.signalCode !== null) {
      throw new Error(`${server.name} exited before it was ready:\n${server.output()}`);
    }
    try {
      const response = await fetch(`http://127.0.0.1:${server.port}/readyz`, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline)
      throw new Error(`${server.name} was not ready within ${timeoutMs} ms:\n${server.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Runs a command to completion; rejects with its output when it fails. Returns its stdout. */
export async function run(
  args: string[],
  options: { cwd: string; env: Record<string, string>; timeoutMs?: number },
): Promise<string> {
  const child = spawn(process.execPath, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status) => resolve(status));
  }).finally(() => clearTimeout(timer));
  const stdout = Buffer.concat(out).toString('utf8');
  if (code !== 0) {
    const stderr = Buffer.concat(err).toString('utf8');
    throw new Error(`\`node ${args.join(' ')}\` exited with ${code}:\n${stderr}${stdout}`);
  }
  return stdout;
}

export interface Memory {
  rssMb: number;
  peakRssMb: number;
}

/** Resident and peak resident memory of a live process, from /proc (Linux only). */
export async function memoryOf(pid: number): Promise<Memory | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
    return { rssMb: kb('VmRSS') / 1024, peakRssMb: kb('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

// Linux's USER_HZ: /proc reports CPU time in these ticks, 100 a second on every mainstream kernel.
const TICKS_PER_SECOND = 100;

/** User + system CPU seconds a process (all its threads) has used so far, from /proc/<pid>/stat. */
export async function cpuSecondsOf(pid: number): Promise<number | undefined> {
  try {
    return ticksOf(await readFile(`/proc/${pid}/stat`, 'utf8')) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds used so far by every live process named `postgres`: the server's
 * backends for the bench's connections, but also anyone else's on this machine.
 */
export async function postgresCpuSeconds(): Promise<number> {
  let ticks = 0;
  for (const entry of await readdir('/proc').catch(() => [])) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    if (stat.includes(' (postgres) ')) ticks += ticksOf(stat);
  }
  return ticks / TICKS_PER_SECOND;
}

function ticksOf(stat: string): number {
  // The command name may hold spaces and parentheses; the fields after its closing parenthesis do not.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
  return Number(fields[11]) + Number(fields[12]);
}

/** Open files a process may hold (its soft limit; Node lifts it to the hard limit as it starts). */
async function fileLimitOf(pid: number | 'self'): Promise<number> {
  const limits = await readFile(`/proc/${pid}/limits`, 'utf8').catch(() => '');
  const line = limits.split('\n').find((entry) => entry.startsWith('Max open files'));
  const soft = line?.split(/\s+/)[3];
  return soft === undefined || soft === 'unlimited' ? Number.POSITIVE_INFINITY : Number(soft);
}

/** Fails early, with what to do, when a process could not hold its sockets. */
export async function checkFileLimit(pid: number | 'self', name: string, sockets: number): Promise<void> {
  const limit = await fileLimitOf(pid);
  // Room for the database, Redis, the listening socket, logs.
  if (limit < sockets + 200) {
    throw new Error(
      `${name} may open ${limit} files, too few for ${sockets} sockets: raise the hard limit ` +
        '(`ulimit -Hn 65536` as root, LimitNOFILE= in a systemd unit, nofile in /etc/security/limits.conf)',
    );
  }
}
