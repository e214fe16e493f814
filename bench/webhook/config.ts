/**
 * bench:webhook's settings (bench/README.md lists the variables), the targets it
 * can run, and what its parts share: the clean-up stack and a few constants.
 */
import { Cleanups, cpuProfileArgs, log, numberFromEnv, parseTargets } from '../lib/setup.js';

export const ANSWER = 'Yes, we have them fresh today. See you soon!';
export const BOT_TOKEN = '7000000001:AAEbenchWebhookBotToken_0123456789abcdef';
/** Load chats and reply chats never meet, so a late answer to the load cannot pass for a measured reply. */
export const LOAD_CHAT_BASE = 100_000_000;
export const REPLY_CHAT_BASE = 900_000_000;
/** A re-delivery repeats the update sent this many deliveries earlier, as Telegram retries a slow one. */
export const RETRY_DISTANCE = 25;
export const REPLY_TIMEOUT_MS = 10_000;
export const QUIET_MS = 5_000;

export type TargetName = 'embedded' | 'postgres' | 'postgres-split' | 'bare';
export const TARGETS: Record<TargetName, string> = {
  embedded: 'parley (embedded)',
  postgres: 'parley (pg+redis)',
  'postgres-split': 'parley (pg+redis, 2 procs)',
  // Issue #17's yardstick (bench/bare-webhook.ts): the webhook target is a ratio to it.
  bare: 'bare fastify+pg',
};

export const config = {
  rate: Math.max(1, numberFromEnv('BENCH_WEBHOOK_RATE', 1000)),
  seconds: numberFromEnv('BENCH_WEBHOOK_SECONDS', 10),
  warmupSeconds: numberFromEnv('BENCH_WEBHOOK_WARMUP_SECONDS', 2),
  connections: Math.max(1, Math.round(numberFromEnv('BENCH_WEBHOOK_CONNECTIONS', 40))),
  /** Deliveries unanswered at once beyond which due ones are skipped; default: one second's worth. */
  maxInFlight: Math.round(numberFromEnv('BENCH_WEBHOOK_MAX_IN_FLIGHT', 0)),
  closedSeconds: numberFromEnv('BENCH_WEBHOOK_CLOSED_SECONDS', 5),
  singleSeconds: numberFromEnv('BENCH_WEBHOOK_SINGLE_SECONDS', 3),
  /** 0: leave a fresh PostgreSQL database without statistics (see bench/README.md). */
  analyze: numberFromEnv('BENCH_WEBHOOK_ANALYZE', 1) !== 0,
  concurrency: Math.max(1, Math.round(numberFromEnv('BENCH_WEBHOOK_CONCURRENCY', 50))),
  chats: Math.max(1, Math.round(numberFromEnv('BENCH_WEBHOOK_CHATS', 5000))),
  retryEvery: Math.round(numberFromEnv('BENCH_WEBHOOK_RETRY_EVERY', 100)),
  drainSeconds: numberFromEnv('BENCH_WEBHOOK_DRAIN_SECONDS', 60),
  replySamples: Math.round(numberFromEnv('BENCH_REPLY_SAMPLES', 1000)),
  replyConcurrency: Math.max(1, Math.round(numberFromEnv('BENCH_REPLY_CONCURRENCY', 10))),
  replyConcurrentSamples: Math.round(numberFromEnv('BENCH_REPLY_CONCURRENT_SAMPLES', 500)),
  replyDebounceMs: Math.round(numberFromEnv('BENCH_REPLY_DEBOUNCE_MS', 0)),
  /** 0: the business's AI is off during the webhook load, so only the acknowledgement path runs. */
  loadWithAi: numberFromEnv('BENCH_WEBHOOK_AI', 0) !== 0,
  rounds: Math.max(1, Math.round(numberFromEnv('BENCH_ROUNDS', 1))),
  targets: parseTargets('BENCH_WEBHOOK_TARGETS', 'embedded,postgres,bare', TARGETS),
  cpuProfile: process.env.BENCH_CPU_PROF === '1',
};

/** Everything the run starts (servers, databases, fakes, directories) is undone through this one stack. */
export const cleanups = new Cleanups();

export const profileArgs = (label: string) => cpuProfileArgs(config.cpuProfile, label);

/** A progress line within a target's run, on stderr. */
export const step = (what: string) => log(`  ${what}`);
