/**
 * The shared key's fair share (src/model/fair-share.ts), measured through the
 * real gate code: business A sends ten times the key's whole budget, business
 * B a normal load (a quarter of the budget, at random times). How long does B
 * wait for a slot, with A idle and with A flooding, and how much does A get?
 *
 * 1. A virtual clock: 120 requests a minute, 5 minutes of B alone then 10 of A
 *    flooding, on the local cache; minutes in milliseconds, exact and repeatable.
 * 2. Real time on Redis, two gates as two processes (A's calls through one,
 *    B's through the other). Time is compressed tenfold to fit in a minute: the
 *    window is 6 s instead of 60 and the budget 120 a window (1,200 a minute),
 *    the loads and the calls' deadline scaled alike, so every figure compares
 *    with the virtual run's once multiplied by the time scale.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { createLocalCache, type Cache } from '../src/infra/cache.js';
import { createRedisCache } from '../src/infra/redis-cache.js';
import { createRateGate, type RateGate } from '../src/model/rate-limit.js';
import { VirtualClock } from '../test/helpers/virtual-clock.js';
import { percentile } from './lib/load.js';
import { Cleanups, DEFAULT_REDIS, log, machine, messageOf, print, runBench, writeResults } from './lib/setup.js';

const BUDGET = 120;
const A = { id: 'business-a', weight: 1 };
const B = { id: 'business-b', weight: 1 };

interface Plan {
  label: string;
  /** The budget's period: 60 s, or 6 s when real time is compressed. */
  windowMs: number;
  /** Windows of B alone, then of A flooding beside B. */
  idleWindows: number;
  floodWindows: number;
  /** A model call gives up waiting for a slot after this long (GEMINI_DEADLINE_MS, 60 s by default). */
  deadlineMs: number;
}

interface Call {
  asked: number;
  waited?: number;
  failed?: string;
}

interface Clock {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

/** Seeded, so both runs and every rerun see the same arrivals. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Calls at `perWindow` a window between `from` and `to`: at random (Poisson) or evenly spaced. */
async function arrivals(
  clock: Clock,
  plan: Plan,
  span: { from: number; to: number; perWindow: number; poisson?: () => number },
  call: () => void,
): Promise<void> {
  const gap = plan.windowMs / span.perWindow;
  let at = span.from;
  for (;;) {
    at += span.poisson ? -Math.log(1 - span.poisson()) * gap : gap;
    if (at >= span.to) return;
    if (at > clock.now()) await clock.sleep(at - clock.now());
    call();
  }
}

function ask(clock: Clock, gate: RateGate, business: typeof A, plan: Plan, calls: Call[]): void {
  const call: Call = { asked: clock.now() };
  calls.push(call);
  gate.acquire(call.asked + plan.deadlineMs, business).then(
    () => (call.waited = clock.now() - call.asked),
    (error: unknown) => (call.failed = messageOf(error)),
  );
}

/** Runs the plan's timeline; `idle` returns when every call has an outcome. */
async function timeline(clock: Clock, gates: { a: RateGate; b: RateGate }, plan: Plan, start: number) {
  const floodFrom = start + plan.idleWindows * plan.windowMs;
  const end = floodFrom + plan.floodWindows * plan.windowMs;
  const a: Call[] = [];
  const b: Call[] = [];
  const done = Promise.all([
    arrivals(clock, plan, { from: start, to: end, perWindow: BUDGET / 4, poisson: random(15) }, () =>
      ask(clock, gates.b, B, plan, b),
    ),
    arrivals(clock, plan, { from: floodFrom, to: end, perWindow: BUDGET * 10 }, () => ask(clock, gates.a, A, plan, a)),
  ]);
  return { a, b, floodFrom, end, done };
}

interface Figures {
  calls: number;
  waitP50: number;
  waitP95: number;
  waitMax: number;
  failed: number;
}

function figures(calls: Call[], scale: number): Figures {
  const waits = calls
    .filter((call) => call.waited !== undefined)
    .map((call) => call.waited! * scale)
    .sort((x, y) => x - y);
  return {
    calls: calls.length,
    waitP50: percentile(waits, 50),
    waitP95: percentile(waits, 95),
    waitMax: waits.at(-1) ?? Number.NaN,
    failed: calls.filter((call) => call.failed !== undefined).length,
  };
}

function report(plan: Plan, run: Awaited<ReturnType<typeof timeline>>) {
  // Waits as measured: in the compressed run they are Redis round trips and polls, which do not compress.
  const scale = 1;
  const inFlood = (call: Call) => call.asked >= run.floodFrom;
  const afterFirstWindow = (call: Call) => call.asked >= run.floodFrom + plan.windowMs;
  const aGranted = run.a.filter((call) => call.waited !== undefined).length;
  const grantedAt = (call: Call) => (call.waited === undefined ? undefined : call.asked + call.waited);
  // A's first window also takes what B left unused of the window before: its steady rate is after it,
  // counted while B still calls (A's calls still waiting at the end are served after it).
  const aSteady = run.a.filter((call) => {
    const at = grantedAt(call);
    return at !== undefined && at >= run.floodFrom + plan.windowMs && at < run.end;
  });
  const bSteady = run.b.filter((call) => {
    const at = grantedAt(call);
    return at !== undefined && at >= run.floodFrom + plan.windowMs && at < run.end;
  });
  return {
    plan: { ...plan, budgetPerWindow: BUDGET, aPerWindow: BUDGET * 10, bPerWindow: BUDGET / 4 },
    bIdle: figures(
      run.b.filter((call) => !inFlood(call)),
      scale,
    ),
    bFlood: figures(run.b.filter(inFlood), scale),
    bFloodAfterFirstMinute: figures(run.b.filter(afterFirstWindow), scale),
    a: {
      calls: run.a.length,
      granted: aGranted,
      grantedPerMinute: aGranted / plan.floodWindows,
      steadyGrantedPerMinute: aSteady.length / (plan.floodWindows - 1),
      bSteadyGrantedPerMinute: bSteady.length / (plan.floodWindows - 1),
      failed: run.a.filter((call) => call.failed !== undefined).length,
    },
  };
}

type Result = ReturnType<typeof report>;

/**
 * `idleWindows` 0: B and A start together on an idle key, so A's first burst takes the minute
 * before B has used anything (the one case the headroom cannot cover; README, "A fair share").
 */
async function virtualRun(label: string, idleWindows: number): Promise<Result> {
  const plan: Plan = { label, windowMs: 60_000, idleWindows, floodWindows: 10, deadlineMs: 60_000 };
  const start = Date.UTC(2026, 10, 24, 10, 0, 0);
  const clock = new VirtualClock(start);
  const cache = createLocalCache(clock.now);
  const gate = () => createRateGate({ cache, requestsPerMinute: BUDGET, now: clock.now, sleep: clock.sleep });
  const run = await timeline(clock, { a: gate(), b: gate() }, plan, start);
  await clock.runUntil(run.end + plan.deadlineMs + plan.windowMs);
  await run.done;
  return report(plan, run);
}

async function redisRun(url: string, cleanups: Cleanups): Promise<Result> {
  const plan: Plan = {
    label: 'Redis, 2 gates, 10x time',
    windowMs: 6_000,
    idleWindows: 4,
    floodWindows: 5,
    deadlineMs: 6_000,
  };
  const prefix = `parley-bench-fair-${randomBytes(4).toString('hex')}`;
  const caches: Cache[] = [0, 1].map(() => createRedisCache(url, (error) => log(`redis: ${error.message}`), prefix));
  cleanups.push(async () => {
    for (const cache of caches) await cache.close();
  });
  // The windows start with the run, as the virtual run's minutes do.
  const offset = Math.ceil(Date.now() / plan.windowMs) * plan.windowMs - Date.now() + plan.windowMs;
  const clock: Clock = {
    now: () => Date.now() + offset,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
  const gate = (cache: Cache) =>
    createRateGate({ cache, requestsPerMinute: BUDGET, windowMs: plan.windowMs, now: clock.now });
  const start = clock.now();
  const run = await timeline(clock, { a: gate(caches[0]!), b: gate(caches[1]!) }, plan, start);
  await run.done;
  // Every call has an outcome by its deadline.
  await clock.sleep(plan.deadlineMs + 1_000);
  await caches[0]!.delete('gemini:fair-share');
  return report(plan, run);
}

const ms = (value: number) => (Number.isNaN(value) ? '-' : `${Math.round(value)} ms`);

function table(results: Result[]): string[] {
  const header = [
    'run',
    'B waits: A idle p50/p95',
    'A flooding p50/p95/max',
    'after 1st min p95',
    'B failed',
    'B/min',
    'A/min (all)',
  ];
  const rows = results.map((result) => [
    result.plan.label,
    `${ms(result.bIdle.waitP50)} / ${ms(result.bIdle.waitP95)}`,
    `${ms(result.bFlood.waitP50)} / ${ms(result.bFlood.waitP95)} / ${ms(result.bFlood.waitMax)}`,
    ms(result.bFloodAfterFirstMinute.waitP95),
    String(result.bIdle.failed + result.bFlood.failed),
    result.a.bSteadyGrantedPerMinute.toFixed(1),
    `${result.a.steadyGrantedPerMinute.toFixed(1)} (${result.a.grantedPerMinute.toFixed(1)})`,
  ]);
  const widths = header.map((cell, i) => Math.max(cell.length, ...rows.map((row) => row[i]!.length)));
  return [header, ...rows].map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  '));
}

/**
 * B's p95 with A flooding may be twice its p95 with A idle. That idle wait is
 * 0 (a slot is free whenever B asks), so twice it would demand exactly 0:
 * the floor is one poll of the gate (20 ms, TURN_POLL_MS), the time a call
 * may wait for a turn that another business's call is about to take.
 */
const FLOOR_MS = 20;

function verdict(result: Result): string {
  if (result.bIdle.calls === 0) return `${result.plan.label}: no idle phase to compare with`;
  const allowed = Math.max(2 * result.bIdle.waitP95, result.bIdle.waitP95 + FLOOR_MS);
  const met = result.bFlood.waitP95 <= allowed;
  return `${result.plan.label}: B p95 ${ms(result.bFlood.waitP95)} flooding vs ${ms(result.bIdle.waitP95)} idle (target <= ${ms(allowed)}: ${met ? 'met' : 'NOT met'})`;
}

const cleanups = new Cleanups();
cleanups.onSignals();
await runBench(async () => {
  const results: Result[] = [];
  log('virtual clock: 15 minutes of traffic…');
  results.push(await virtualRun('virtual clock', 5));
  results.push(await virtualRun('virtual, cold start', 0));
  const url = process.env.BENCH_REDIS_URL ?? process.env.TEST_REDIS_URL ?? DEFAULT_REDIS;
  if (process.env.BENCH_REDIS !== '0') {
    log('Redis: 54 s in real time…');
    try {
      results.push(await redisRun(url, cleanups));
    } catch (error) {
      log(`Redis run skipped: ${messageOf(error)}`);
    }
  }
  print(`Budget ${BUDGET} a minute; A sends ${BUDGET * 10} a minute, B ${BUDGET / 4} at random times.`);
  print('Waits in ms as measured. B/min, A/min: slots a minute of budget (a 6-s window in the Redis run) after the');
  print("flood's first minute; in brackets A's over the whole flood and the drain of its queue.");
  for (const line of table(results)) print(line);
  for (const result of results) print(verdict(result));
  await writeResults('fairness', {
    benchmark: 'fair share of the shared key',
    date: new Date().toISOString(),
    machine: { ...machine(), loadAverageAtEnd: os.loadavg() },
    floorMs: FLOOR_MS,
    results,
    verdicts: results.map(verdict),
  });
  await cleanups.runFrom(0);
}, cleanups);
