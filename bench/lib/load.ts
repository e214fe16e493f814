/**
 * A small closed-loop HTTP load generator: N clients, each sending its next
 * request as soon as the previous answer has arrived, for a fixed time. No
 * dependencies, so that the bench runs wherever the tests run; it is slower
 * than wrk, which is why the bench compares targets in the same run rather than
 * with the figures in docs/performance.md.
 */
import http from 'node:http';

export interface LoadRequest {
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface LoadOptions {
  port: number;
  concurrency: number;
  durationMs: number;
  /** Builds request number `index` (counted across all clients, from `firstIndex`). */
  request: (index: number) => LoadRequest;
  /** Whether an answer counts as a success; anything else is an error. */
  ok: (status: number, body: string) => boolean;
  /** Stops early after this many requests, so that a fast target cannot run away with memory. */
  maxRequests?: number;
  /** A request still unanswered after this long is abandoned and counted as an error. */
  timeoutMs?: number;
  firstIndex?: number;
}

export interface LoadResult {
  concurrency: number;
  durationMs: number;
  requests: number;
  errors: number;
  /** Successful requests a second over the measured time. */
  rps: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** A few failures, for the report: status and the start of the body, or the network error. */
  errorSamples: string[];
  /** Where the next run should continue counting, so customers keep cycling. */
  nextIndex: number;
}

const HOST = '127.0.0.1';
const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_REQUESTS = 1_000_000;
const MAX_ERROR_SAMPLES = 5;
const MAX_SAMPLE_BODY = 200;

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency });
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxRequests = options.maxRequests ?? DEFAULT_MAX_REQUESTS;
  // Successful latencies only: an error's latency (a refused connection) would flatter the percentiles.
  const latencies: number[] = [];
  const errorSamples: string[] = [];
  let index = options.firstIndex ?? 0;
  let started = 0;
  let errors = 0;

  const fail = (sample: string) => {
    errors += 1;
    if (errorSamples.length < MAX_ERROR_SAMPLES) errorSamples.push(sample);
  };

  const begin = performance.now();
  const deadline = begin + options.durationMs;
  const client = async () => {
    while (performance.now() < deadline && started < maxRequests) {
      started += 1;
      const request = options.request(index++);
      const sent = performance.now();
      try {
        const { status, body } = await send(agent, options.port, request, timeoutMs);
        if (options.ok(status, body)) latencies.push(performance.now() - sent);
        else fail(`${status} ${body.slice(0, MAX_SAMPLE_BODY)}`);
      } catch (error) {
        fail(error instanceof Error ? error.message : String(error));
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, client));
  const durationMs = performance.now() - begin;
  agent.destroy();

  latencies.sort((a, b) => a - b);
  return {
    concurrency: options.concurrency,
    durationMs,
    requests: latencies.length + errors,
    errors,
    rps: latencies.length / (durationMs / 1000),
    p50Ms: percentile(latencies, 50),
    p90Ms: percentile(latencies, 90),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies.at(-1) ?? Number.NaN,
    errorSamples,
    nextIndex: index,
  };
}

/** Nearest-rank percentile of sorted values; NaN when there are none. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

function send(
  agent: http.Agent,
  port: number,
  request: LoadRequest,
  timeoutMs: number,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...request.headers };
    if (request.body !== undefined) headers['content-length'] = Buffer.byteLength(request.body);
    const req = http.request(
      { host: HOST, port, method: request.method, path: request.path, headers, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(request.body);
  });
}
