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
  /** Told of every request's outcome, e.g. to check afterwards that what succeeded was kept. */
  onResult?: (index: number, ok: boolean) => void;
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
      const current = index++;
      const request = options.request(current);
      const sent = performance.now();
      let succeeded = false;
      try {
        const { status, body } = await send(agent, options.port, request, timeoutMs);
        succeeded = options.ok(status, body);
        if (succeeded) latencies.push(performance.now() - sent);
        else fail(`${status} ${body.slice(0, MAX_SAMPLE_BODY)}`);
      } catch (error) {
        fail(error instanceof Error ? error.message : String(error));
      }
      options.onResult?.(current, succeeded);
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

export interface OpenLoadOptions {
  port: number;
  /** Requests started a second, on schedule, whether or not earlier ones have been answered. */
  rate: number;
  durationMs: number;
  /** Kept-alive connections at most; a request due while all are busy waits for one, as at a real sender. */
  connections: number;
  request: (index: number) => LoadRequest;
  ok: (status: number, body: string) => boolean;
  timeoutMs?: number;
  firstIndex?: number;
  onResult?: (index: number, ok: boolean) => void;
  /**
   * A request that falls due while this many are unanswered is not sent but
   * counted as skipped, so that a server far behind the rate cannot stretch the
   * run without end. Default: no bound.
   */
  maxInFlight?: number;
}

export interface OpenLoadResult {
  rate: number;
  connections: number;
  /** From the first request due to the last answer. */
  durationMs: number;
  requests: number;
  errors: number;
  /** Successful requests a second over `durationMs`. */
  rps: number;
  /** Due but not sent because `maxInFlight` were unanswered; not counted in `requests`. */
  skipped: number;
  /**
   * Latency from the moment a request was due: what the sender waits, including
   * any wait for a free connection and any lateness of this process in sending
   * it, so a slow server cannot hide behind the load generator slowing down.
   */
  fromDue: { p50Ms: number; p90Ms: number; p99Ms: number; maxMs: number };
  /** Latency from the moment the request had a connection: the server's own answer time, plus loopback. */
  onWire: { p50Ms: number; p90Ms: number; p99Ms: number; maxMs: number };
  /** How late this process got requests onto a connection, p99: high means the figures above flatter nobody. */
  sendLagP99Ms: number;
  maxInFlight: number;
  errorSamples: string[];
  nextIndex: number;
}

/**
 * An open-loop load: requests start at a fixed rate however slowly they are
 * answered, as webhook deliveries do, rather than each client waiting for its
 * previous answer (which lets a slow server lower the load it is measured at).
 */
export async function runOpenLoad(options: OpenLoadOptions): Promise<OpenLoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections });
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const firstIndex = options.firstIndex ?? 0;
  const total = Math.max(1, Math.round((options.rate * options.durationMs) / 1000));
  const interval = 1000 / options.rate;
  const fromDue: number[] = [];
  const onWire: number[] = [];
  const lags: number[] = [];
  const errorSamples: string[] = [];
  const pending: Promise<void>[] = [];
  let errors = 0;
  let skipped = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let lastAnswer = 0;

  const fire = async (offset: number, due: number) => {
    const index = firstIndex + offset;
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let onSocket = Number.NaN;
    let succeeded = false;
    try {
      const { status, body } = await send(agent, options.port, options.request(index), timeoutMs, () => {
        onSocket = performance.now();
      });
      const answered = performance.now();
      succeeded = options.ok(status, body);
      if (succeeded) {
        fromDue.push(answered - due);
        onWire.push(answered - onSocket);
        lags.push(onSocket - due);
      } else {
        errors += 1;
        if (errorSamples.length < MAX_ERROR_SAMPLES) errorSamples.push(`${status} ${body.slice(0, MAX_SAMPLE_BODY)}`);
      }
    } catch (error) {
      errors += 1;
      if (errorSamples.length < MAX_ERROR_SAMPLES) {
        errorSamples.push(error instanceof Error ? error.message : String(error));
      }
    }
    inFlight -= 1;
    lastAnswer = performance.now();
    options.onResult?.(index, succeeded);
  };

  const begin = performance.now();
  let started = 0;
  while (started < total) {
    const elapsed = performance.now() - begin;
    // Everything due by now goes out at once: a late timer must not lower the rate.
    const due = Math.min(total, Math.floor(elapsed / interval) + 1);
    while (started < due) {
      if (inFlight >= (options.maxInFlight ?? Number.POSITIVE_INFINITY)) skipped += 1;
      else pending.push(fire(started, begin + started * interval));
      started += 1;
    }
    if (started < total) {
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, begin + started * interval - performance.now())));
    }
  }
  await Promise.all(pending);
  agent.destroy();

  const summary = (values: number[]) => {
    values.sort((a, b) => a - b);
    return {
      p50Ms: percentile(values, 50),
      p90Ms: percentile(values, 90),
      p99Ms: percentile(values, 99),
      maxMs: values.at(-1) ?? Number.NaN,
    };
  };
  const durationMs = Math.max(lastAnswer, begin + 1) - begin;
  lags.sort((a, b) => a - b);
  return {
    rate: options.rate,
    connections: options.connections,
    durationMs,
    requests: total - skipped,
    errors,
    rps: fromDue.length / (durationMs / 1000),
    skipped,
    fromDue: summary(fromDue),
    onWire: summary(onWire),
    sendLagP99Ms: percentile(lags, 99),
    maxInFlight,
    errorSamples,
    nextIndex: firstIndex + total,
  };
}

/** Nearest-rank percentile of sorted values; NaN when there are none. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** One request on `agent` to 127.0.0.1:`port`: its status and body, or a rejection (network error, timeout). */
export function send(
  agent: http.Agent,
  port: number,
  request: LoadRequest,
  timeoutMs: number,
  /** Called when the request gets its connection (at once on an idle kept-alive one). */
  onSocket?: () => void,
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
    if (onSocket) req.once('socket', onSocket);
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(request.body);
  });
}
