/**
 * Closed-loop load with wrk (Debian's `wrk` package), which costs a fraction of the CPU per
 * request that bench/lib/load.ts does: on two shared cores a heavy load generator holds a fast
 * target down more than a slow one, and so hides the target's own cost. The requests cycle
 * over a set given up front, formatted once in Lua; wrk counts only statuses, so a run is
 * checked by one request through load.ts first.
 */
import { spawn, spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { LoadRequest, LoadResult } from './load.js';

const WRK = '/usr/bin/wrk';

/** wrk's path, installing it from Debian's packages when it is missing and we may; undefined when we cannot. */
export function ensureWrk(log: (line: string) => void): string | undefined {
  if (spawnSync(WRK, ['--version']).error === undefined) return WRK;
  if (process.getuid?.() !== 0) return undefined;
  log('installing wrk from Debian’s packages…');
  const install = () => spawnSync('apt-get', ['install', '-y', '-q', 'wrk'], { stdio: 'ignore' }).status === 0;
  if (!install()) {
    spawnSync('apt-get', ['update', '-q'], { stdio: 'ignore' });
    install();
  }
  return spawnSync(WRK, ['--version']).error === undefined ? WRK : undefined;
}

const lua = (text: string) => JSON.stringify(text); // a JSON string is a valid Lua string literal for ASCII text

/** The Lua script that makes wrk send `requests` in turn, each thread from its own place in the cycle. */
function script(requests: LoadRequest[]): string {
  const formatted = requests.map((request) => {
    const headers = Object.entries(request.headers)
      .map(([name, value]) => `[${lua(name)}] = ${lua(value)}`)
      .join(', ');
    return `{ ${lua(request.method)}, ${lua(request.path)}, { ${headers} }, ${request.body === undefined ? 'nil' : lua(request.body)} }`;
  });
  return `
local specs = {
${formatted.join(',\n')}
}
local requests = {}
local turn = 0
local threads = 0
function setup(thread)
  thread:set("offset", threads)
  threads = threads + 1
end
function init(args)
  for i, spec in ipairs(specs) do requests[i] = wrk.format(spec[1], spec[2], spec[3], spec[4]) end
  turn = (offset or 0) * 7919
end
function request()
  turn = turn + 1
  return requests[turn % #requests + 1]
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("PARLEY-WRK %d %d %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
`;
}

export interface WrkOptions {
  wrk: string;
  port: number;
  concurrency: number;
  durationMs: number;
  /** The requests, sent in turn. */
  requests: LoadRequest[];
  /** Where the generated script is written. */
  dir: string;
  timeoutMs?: number;
}

export async function runWrk(options: WrkOptions): Promise<LoadResult> {
  const file = path.join(options.dir, `wrk-${process.pid}-${Date.now()}.lua`);
  await writeFile(file, script(options.requests));
  const threads = Math.min(2, options.concurrency);
  const args = [
    `-t${threads}`,
    `-c${options.concurrency}`,
    `-d${Math.max(1, Math.round(options.durationMs / 1000))}s`,
    `--timeout`,
    `${Math.ceil((options.timeoutMs ?? 10_000) / 1000)}s`,
    '-s',
    file,
    `http://127.0.0.1:${options.port}/`,
  ];
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(options.wrk, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`wrk exited ${code}: ${text}`))));
  });
  const line = output.split('\n').find((candidate) => candidate.startsWith('PARLEY-WRK '));
  if (!line) throw new Error(`wrk printed no summary: ${output}`);
  const [requests, durationUs, socketErrors, statusErrors, p50, p90, p99, max] = line
    .split(' ')
    .slice(1)
    .map(Number) as [number, number, number, number, number, number, number, number];
  const errors = socketErrors + statusErrors;
  const succeeded = Math.max(0, requests - statusErrors);
  const samples = [
    ...(statusErrors > 0 ? [`${statusErrors} answers not 2xx/3xx`] : []),
    ...(socketErrors > 0 ? [`${socketErrors} socket errors or timeouts`] : []),
  ];
  return {
    concurrency: options.concurrency,
    durationMs: durationUs / 1000,
    requests: requests + socketErrors,
    errors,
    rps: succeeded / (durationUs / 1e6),
    // wrk's percentiles cover every answered request; errors are counted apart.
    p50Ms: p50 / 1000,
    p90Ms: p90 / 1000,
    p99Ms: p99 / 1000,
    maxMs: max / 1000,
    errorSamples: samples,
    nextIndex: 0,
  };
}
