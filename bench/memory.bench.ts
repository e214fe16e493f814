/**
 * `npm run bench:memory`: the embedded server's memory (issue #17: idle
 * ≤ 150 MB, and flat within ±10% over 30 minutes of steady webhook load).
 *
 * 1. Idle: `npm start` as a newcomer runs it (fresh data dir, no Gemini key),
 *    BENCH_MEMORY_IDLE_RUNS times; RSS 10 s after /readyz first answered.
 * 2. Load: Parley embedded with a Telegram bot on the fake Bot API and the AI on
 *    (the Gemini emulator answers), Telegram deliveries at BENCH_MEMORY_RATE a
 *    second from many chats for BENCH_MEMORY_MINUTES, RSS sampled every
 *    BENCH_MEMORY_SAMPLE_SECONDS. The drift compares the last minute with the
 *    first minute after BENCH_MEMORY_WARMUP_MINUTES. BENCH_MEMORY_MINUTES=0: idle only.
 *
 * The server and the deliveries are bench:webhook's (bench/webhook/).
 * See bench/README.md for the environment variables.
 */
import { buildIfNeeded } from '../scripts/build.js';
import { runOpenLoad, type OpenLoadResult } from './lib/load.js';
import { freePort, memoryOf, startServer } from './lib/process.js';
import {
  baseEnv,
  log,
  machine,
  numberFromEnv,
  NPM_START,
  print,
  ROOT,
  runBench,
  startEmulator,
  tempDir,
  writeResults,
} from './lib/setup.js';
import { ANSWER, cleanups } from './webhook/config.js';
import { acknowledged, chatOfLoad, keyOf, loadDelivery, newLedger, updateBody } from './webhook/deliveries.js';
import { enableReplies } from './webhook/reply.js';
import { startTarget, startTelegram } from './webhook/target.js';

const MB = 1e6;
const MIB = 2 ** 20;
/** Issue #17's targets. */
const IDLE_TARGET_MB = 150;
const FLAT_WITHIN = 0.1;
/** RSS is read this long after the server first answered (README, "Performance and memory"). */
const IDLE_SETTLE_MS = 10_000;

const minutes = numberFromEnv('BENCH_MEMORY_MINUTES', 30);
const config = {
  idleRuns: Math.max(0, Math.round(numberFromEnv('BENCH_MEMORY_IDLE_RUNS', 3))),
  minutes,
  // A quick run (a few minutes) keeps half of itself for the comparison.
  warmupMinutes: numberFromEnv('BENCH_MEMORY_WARMUP_MINUTES', Math.min(5, minutes / 2)),
  rate: Math.max(1, numberFromEnv('BENCH_MEMORY_RATE', 50)),
  sampleSeconds: Math.max(1, numberFromEnv('BENCH_MEMORY_SAMPLE_SECONDS', 10)),
};

interface Sample {
  /** Seconds since the load started. */
  at: number;
  rssMb: number;
  repliesSent: number;
}

const mb = (mib: number) => (mib * MIB) / MB;
const fixed = (value: number) => value.toFixed(1);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `npm start` on a fresh data dir, as a newcomer runs it: the resident memory once it has settled. */
async function idleOnce(): Promise<number> {
  const mark = cleanups.mark();
  try {
    const dataDir = await tempDir(cleanups);
    const port = await freePort();
    const server = await startServer({
      name: 'parley (embedded, idle)',
      args: [...NPM_START.nodeFlags, 'bin/parley.js', 'serve', '--worker'],
      env: { ...baseEnv(), ...NPM_START.env, HOST: '127.0.0.1', PORT: String(port), PARLEY_DATA_DIR: dataDir },
      port,
      cwd: ROOT,
    });
    cleanups.push(() => server.stop());
    await sleep(IDLE_SETTLE_MS);
    const memory = await memoryOf(server.pid);
    if (!memory) throw new Error('cannot read the server’s memory from /proc (Linux only)');
    return mb(memory.rssMb);
  } finally {
    await cleanups.runFrom(mark);
  }
}

/** Steady deliveries for BENCH_MEMORY_MINUTES, with the server's RSS sampled throughout. */
async function underLoad(): Promise<{ samples: Sample[]; load: OpenLoadResult; afterIdleMb: number }> {
  const gemini = await startEmulator({ respond: () => ({ text: ANSWER }) }, cleanups);
  const { telegram, tap } = await startTelegram();

  const ledger = newLedger();
  const noServices = { skipped: 'not needed' };
  const setup = await startTarget(
    'embedded',
    { postgres: noServices, redis: noServices },
    gemini,
    telegram,
    tap,
    ledger,
  );
  await enableReplies(setup.port, setup.token);
  const server = setup.servers[0]!;
  const epoch = Math.floor(Date.now() / 1000);
  const headers = { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': setup.secret };

  const samples: Sample[] = [];
  const started = performance.now();
  const sample = async () => {
    const memory = await memoryOf(server.pid);
    if (!memory) return;
    const at = (performance.now() - started) / 1000;
    samples.push({ at, rssMb: mb(memory.rssMb), repliesSent: tap.replies });
    if (samples.length % Math.max(1, Math.round(60 / config.sampleSeconds)) === 1) {
      log(`  ${fixed(at / 60)} min: RSS ${fixed(mb(memory.rssMb))} MB, ${tap.replies} replies sent`);
    }
  };
  await sample();
  const sampler = setInterval(() => void sample(), config.sampleSeconds * 1000);
  log(`load: ${config.rate} deliveries/s for ${config.minutes} min, AI on`);
  let load: OpenLoadResult;
  try {
    load = await runOpenLoad({
      port: setup.port,
      rate: config.rate,
      durationMs: config.minutes * 60_000,
      connections: 20,
      maxInFlight: config.rate,
      request: (index) => {
        const { update } = loadDelivery(index);
        const chat = chatOfLoad(update);
        ledger.sent.add(keyOf(chat, update));
        return { method: 'POST', path: setup.webhookPath, headers, body: updateBody(update, chat, epoch) };
      },
      ok: acknowledged,
    });
  } finally {
    clearInterval(sampler);
  }
  await sample();
  // The replies still queued finish, then the server idles as it would after a busy spell.
  await sleep(30_000);
  const after = await memoryOf(server.pid);
  return { samples, load, afterIdleMb: after ? mb(after.rssMb) : Number.NaN };
}

const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);

/** The drift: the last minute's mean RSS against the first minute's after the warm-up. */
function drift(samples: Sample[]) {
  const warm = samples.filter((s) => s.at >= config.warmupMinutes * 60);
  const first = warm.filter((s) => s.at < config.warmupMinutes * 60 + 60).map((s) => s.rssMb);
  const end = samples.at(-1)?.at ?? 0;
  const last = warm.filter((s) => s.at > end - 60).map((s) => s.rssMb);
  const startMb = mean(first);
  const endMb = mean(last);
  const warmRss = warm.map((s) => s.rssMb);
  return {
    startMb,
    endMb,
    drift: (endMb - startMb) / startMb,
    minMb: Math.min(...warmRss),
    maxMb: Math.max(...warmRss),
  };
}

async function main(): Promise<void> {
  buildIfNeeded();
  const machineAtStart = machine();
  log(
    `bench:memory: ${config.idleRuns} idle start(s), then ${config.minutes} min at ${config.rate}/s ` +
      `(warm-up ${config.warmupMinutes} min); load average ${(machineAtStart.loadAverage as number[]).map(fixed).join(' ')}`,
  );

  const idle: number[] = [];
  for (let run = 1; run <= config.idleRuns; run++) {
    idle.push(await idleOnce());
    log(`idle ${run}: RSS ${fixed(idle.at(-1)!)} MB`);
  }
  const printIdle = () => {
    if (idle.length === 0) return;
    const [low, high] = [Math.min(...idle), Math.max(...idle)];
    print(
      `idle RSS over ${idle.length} fresh starts: ${fixed(low)}–${fixed(high)} MB ` +
        `(${fixed((low * MB) / MIB)}–${fixed((high * MB) / MIB)} MiB); ` +
        `target <= ${IDLE_TARGET_MB} MB: ${high <= IDLE_TARGET_MB ? 'met' : 'not met'}`,
    );
  };
  // BENCH_MEMORY_MINUTES=0: the idle starts alone.
  if (config.minutes <= 0) {
    print();
    printIdle();
    await writeResults('memory', { config, machineAtStart, machineAtEnd: machine(), idleMb: idle });
    return;
  }
  const { samples, load, afterIdleMb } = await underLoad();
  const rss = samples.map((s) => s.rssMb);
  const flat = drift(samples);

  print();
  printIdle();
  print(
    `load: ${load.requests - load.errors} deliveries acknowledged, ${load.errors} errors, ${load.skipped} skipped, ` +
      `p99 ${fixed(load.fromDue.p99Ms)} ms; ${samples.at(-1)?.repliesSent ?? 0} replies sent`,
  );
  print(
    `RSS under load: first ${fixed(rss[0] ?? Number.NaN)} MB, last ${fixed(rss.at(-1) ?? Number.NaN)} MB, ` +
      `min ${fixed(Math.min(...rss))}, max ${fixed(Math.max(...rss))}; 30 s after the load ${fixed(afterIdleMb)} MB`,
  );
  print(
    `after the ${config.warmupMinutes}-min warm-up: ${fixed(flat.startMb)} MB → ${fixed(flat.endMb)} MB in the last minute ` +
      `(${flat.drift >= 0 ? '+' : ''}${fixed(flat.drift * 100)}%), range ${fixed(flat.minMb)}–${fixed(flat.maxMb)} MB; ` +
      `target within ±${FLAT_WITHIN * 100}%: ${Math.abs(flat.drift) <= FLAT_WITHIN ? 'met' : 'not met'}`,
  );
  await writeResults('memory', {
    config,
    machineAtStart,
    machineAtEnd: machine(),
    idleMb: idle,
    flat,
    afterIdleMb,
    load,
    samples,
  });
}

cleanups.onSignals();
await runBench(async () => {
  try {
    await main();
  } finally {
    await cleanups.runFrom(0);
  }
}, cleanups);
