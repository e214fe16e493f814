/**
 * One target of bench:webhook: Parley embedded, on PostgreSQL + Redis, or on
 * them as two processes (`serve` and `worker`), started fresh with a business
 * whose Telegram bot is connected to the fake Bot API; or the bare Fastify + pg
 * handler (bench/bare-webhook.ts) on a database Parley set up that way. Then
 * every phase, in order, and everything it started is undone before the next target.
 */
import { TelegramFake } from '../../test/fakes/telegram.js';
import type { OpenLoadResult } from '../lib/load.js';
import { freePort, startProcess, startServer, type Memory, type ServerProcess } from '../lib/process.js';
import {
  APP_SECRET,
  freshDatabase,
  freshRedisPrefix,
  log,
  NPM_START,
  parleyCli,
  parleyEnv,
  PASSWORD,
  type Reachable,
  ROOT,
  tempDir,
  USERNAME,
} from '../lib/setup.js';
import { TelegramTap } from '../lib/telegram-tap.js';
import { AcknowledgementLoad, type ClosedPhase, type Drain, type OpenPhase } from './acknowledgement.js';
import { BOT_TOKEN, cleanups, config, profileArgs, step, TARGETS, type TargetName } from './config.js';
import { newLedger, type Ledger, type Webhook } from './deliveries.js';
import { enableReplies, measureReplies, type ReplyPhase } from './reply.js';
import { checkStored, type Storage } from './stored.js';

export interface Services {
  postgres: Reachable;
  redis: Reachable;
}

/** The Gemini emulator (bench/lib/setup.ts's startEmulator): Parley is pointed at its URL. */
interface Model {
  url: string;
}

interface Setup {
  servers: ServerProcess[];
  token: string;
  channelId: string;
  webhookPath: string;
  secret: string;
  port: number;
  debounceDefaultMs: number;
  verify: () => Promise<Storage>;
  /** PostgreSQL targets only: the database, for ANALYZE. */
  databaseUrl: string | undefined;
}

export interface TargetResult {
  target: TargetName;
  label: string;
  round: number;
  /** The business's reply debounce during the webhook load (Parley's default unless changed). */
  loadDebounceMs: number;
  replyDebounceMs: number;
  warmup: OpenLoadResult;
  open: OpenPhase;
  openDrain: Drain;
  closed: ClosedPhase;
  closedDrain: Drain;
  single: ClosedPhase;
  /** Null for the bare handler, which sends no replies. */
  replySingle: ReplyPhase | null;
  replyConcurrent: ReplyPhase | null;
  storage: Storage;
  /** Per process (the server, then the worker when it runs apart): after set-up, after the load, and peak. */
  idleMemory: (Memory | undefined)[];
  memory: (Memory | undefined)[];
}

/** Starts `target` with a business whose Telegram bot is connected to `telegram` (bench:memory starts it too). */
export async function startTarget(
  target: TargetName,
  services: Services,
  gemini: Model,
  telegram: TelegramFake,
  tap: TelegramTap,
  ledger: Ledger,
): Promise<Setup> {
  const port = await freePort();
  const dataDir = await tempDir(cleanups);
  const env: Record<string, string> = {
    ...parleyEnv(gemini.url, dataDir),
    PORT: String(port),
    TELEGRAM_API_BASE: tap.url,
  };
  let databaseUrl: string | undefined;
  if (target !== 'embedded') {
    if ('skipped' in services.postgres) throw new Error(services.postgres.skipped);
    if ('skipped' in services.redis) throw new Error(services.redis.skipped);
    databaseUrl = await freshDatabase(services.postgres.url, cleanups);
    env.DATABASE_URL = databaseUrl;
    env.APP_SECRET = APP_SECRET;
    env.REDIS_URL = services.redis.url;
    env.PARLEY_REDIS_PREFIX = freshRedisPrefix(services.redis.url, cleanups);
  }
  const track = (server: ServerProcess) => {
    cleanups.push(() => server.stop());
    return server;
  };
  // Embedded runs as `npm start` runs it, which keeps its memory down.
  const nodeFlags = target === 'embedded' ? NPM_START.nodeFlags : [];
  if (target === 'embedded') Object.assign(env, NPM_START.env);
  const serveArgs = target === 'postgres-split' ? ['serve'] : ['serve', '--worker'];
  // For the bare row Parley only sets the database up; the profile worth having is the yardstick's.
  const profile = target === 'bare' ? [] : profileArgs(`webhook-${target}`);
  let servers = [
    track(
      await startServer({
        name: TARGETS[target],
        args: [...nodeFlags, ...profile, 'bin/parley.js', ...serveArgs],
        env,
        port,
        cwd: ROOT,
      }),
    ),
  ];
  if (target === 'postgres-split') {
    servers.push(
      track(
        await startProcess({
          name: `${TARGETS[target]} worker`,
          args: [...profileArgs(`webhook-${target}-worker`), 'bin/parley.js', 'worker'],
          // Its start-up line is at info; it logs nothing per job.
          env: { ...env, LOG_LEVEL: 'info' },
          cwd: ROOT,
          readyLine: /Parley worker is running/,
        }),
      ),
    );
  }

  const cli = parleyCli(env);
  await cli('createuser', USERNAME, '--password', PASSWORD);
  const token = (await cli('token', 'create', USERNAME)).trim();
  const api = async (method: string, url: string, body: unknown, expected: number) => {
    const response = await fetch(`http://127.0.0.1:${port}${url}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (response.status !== expected) throw new Error(`${method} ${url} answered ${response.status}: ${text}`);
    return JSON.parse(text) as Record<string, unknown>;
  };
  const aiConfig = await api('PUT', '/api/v1/ai/config/', { auto_response_enabled: config.loadWithAi }, 200);
  telegram.addBot(BOT_TOKEN, { username: 'bench_bakery_bot' });
  const channel = await api('POST', '/api/v1/channels/', { type: 'telegram', bot_token: BOT_TOKEN }, 201);
  const webhook = telegram.webhookOf(BOT_TOKEN);
  if (!webhook?.secret_token) throw new Error('Parley did not set a webhook with a secret on the fake Telegram');
  if (target === 'bare') {
    if (!databaseUrl) throw new Error('the bare handler runs on PostgreSQL only');
    // Parley made the business, the channel and its secret; the yardstick takes its place on the same port.
    for (const server of servers) await server.stop();
    servers = [
      track(
        await startServer({
          name: TARGETS[target],
          args: [...profileArgs('webhook-bare'), '--import', 'tsx', 'bench/bare-webhook.ts'],
          env: { PORT: String(port), DATABASE_URL: databaseUrl },
          port,
          cwd: ROOT,
        }),
      ),
    ];
  }

  return {
    servers,
    token,
    channelId: String(channel.id),
    webhookPath: new URL(webhook.url).pathname,
    secret: webhook.secret_token,
    port,
    debounceDefaultMs: Number(aiConfig.reply_debounce_ms),
    verify: () => checkStored({ ledger, channelId: String(channel.id), databaseUrl, dataDir, servers }),
    databaseUrl,
  };
}

/** The fake Bot API with the tap in front of it, both closed at clean-up. */
export async function startTelegram(): Promise<{ telegram: TelegramFake; tap: TelegramTap }> {
  const telegram = await TelegramFake.start();
  cleanups.push(() => telegram.close());
  const tap = await TelegramTap.start(telegram);
  cleanups.push(() => tap.close());
  // The fake keeps every call and message it accepted; a long run need not.
  const forget = setInterval(() => telegram.reset(), 1_000);
  cleanups.push(async () => clearInterval(forget));
  return { telegram, tap };
}

export async function benchTarget(
  target: TargetName,
  round: number,
  services: Services,
  gemini: Model,
): Promise<TargetResult> {
  const label = TARGETS[target];
  const mark = cleanups.mark();
  log(`${label}${config.rounds > 1 ? ` (round ${round})` : ''}: starting…`);
  try {
    const { telegram, tap } = await startTelegram();
    const ledger = newLedger();
    const setup = await startTarget(target, services, gemini, telegram, tap, ledger);
    const webhook: Webhook = {
      port: setup.port,
      path: setup.webhookPath,
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': setup.secret },
      epoch: Math.floor(Date.now() / 1000),
      ledger,
    };

    const load = new AcknowledgementLoad(webhook, setup, tap);
    await load.probe();
    const idleMemory = await load.memory();
    const warmup = await load.warmUp();
    const { open, memory, drain: openDrain } = await load.open();
    const { closed, drain: closedDrain } = await load.closed();
    // The bare handler sends no replies: its 1-client loop runs with the AI still off, and it has no reply phases.
    const replies = target !== 'bare';
    // From here on the AI answers, with the lowest debounce: the 1-client loop below already runs with it.
    if (replies) await enableReplies(setup.port, setup.token);
    const single = await load.single(replies);
    const { replySingle, replyConcurrent } = replies
      ? await measureReplies(webhook, tap, load.nextIndex, setup.servers)
      : { replySingle: null, replyConcurrent: null };

    step('checking what was stored…');
    const storage = await setup.verify();
    return {
      target,
      label,
      round,
      loadDebounceMs: setup.debounceDefaultMs,
      replyDebounceMs: config.replyDebounceMs,
      warmup,
      open,
      openDrain,
      closed,
      closedDrain,
      single,
      replySingle,
      replyConcurrent,
      storage,
      idleMemory,
      memory,
    };
  } finally {
    // This target's servers, databases, fakes and directories go before the next one starts.
    await cleanups.runFrom(mark);
  }
}
