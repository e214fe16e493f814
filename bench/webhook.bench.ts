/**
 * `npm run bench:webhook`: Telegram deliveries to Parley's webhook, as Telegram
 * sends them, on Parley embedded and on PostgreSQL + Redis, with the Gemini
 * emulator answering at once and the fake Telegram Bot API taking the replies.
 * It measures how fast a delivery is acknowledged (docs/performance.md: p99
 * ≤ 5 ms at 1,000 deliveries/s), how many a second Parley takes, how long a
 * message takes to be answered beyond the model and the debounce, and checks
 * that every acknowledged delivery was stored exactly once.
 * See bench/README.md for the environment variables.
 */
import { once } from 'node:events';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { buildIfNeeded, needsBuild } from '../scripts/build.js';
import type { GeminiEmulator } from '../src/emulator/gemini.js';
import { openPglite } from '../src/db/client.js';
import { TelegramFake, telegramTextUpdate } from '../test/fakes/telegram.js';
import { percentile, runLoad, runOpenLoad, type LoadResult, type OpenLoadResult } from './lib/load.js';
import {
  cpuSecondsOf,
  freePort,
  memoryOf,
  postgresCpuSeconds,
  startProcess,
  startServer,
  type Memory,
  type ServerProcess,
} from './lib/process.js';
import {
  APP_SECRET,
  buildStamp,
  Cleanups,
  cpuProfileArgs,
  findPostgres,
  findRedis,
  freshDatabase,
  freshRedisPrefix,
  log,
  machine,
  median,
  messageOf,
  numberFromEnv,
  parleyCli,
  parleyEnv,
  parseTargets,
  PASSWORD,
  print,
  type Reachable,
  redact,
  ROOT,
  runBench,
  startEmulator,
  tempDir,
  USERNAME,
  withClient,
  writeResults,
} from './lib/setup.js';

const ANSWER = 'Yes, we have them fresh today. See you soon!';
const BOT_TOKEN = '7000000001:AAEbenchWebhookBotToken_0123456789abcdef';
/** Load chats and reply chats never meet, so a late answer to the load cannot pass for a measured reply. */
const LOAD_CHAT_BASE = 100_000_000;
const REPLY_CHAT_BASE = 900_000_000;
/** A re-delivery repeats the update sent this many deliveries earlier, as Telegram retries a slow one. */
const RETRY_DISTANCE = 25;
const REPLY_TIMEOUT_MS = 10_000;
const QUIET_MS = 5_000;

type TargetName = 'embedded' | 'postgres' | 'postgres-split';
const TARGETS: Record<TargetName, string> = {
  embedded: 'parley (embedded)',
  postgres: 'parley (pg+redis)',
  'postgres-split': 'parley (pg+redis, 2 procs)',
};

const config = {
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
  replySamples: Math.round(numberFromEnv('BENCH_REPLY_SAMPLES', 200)),
  replyConcurrency: Math.max(1, Math.round(numberFromEnv('BENCH_REPLY_CONCURRENCY', 10))),
  replyConcurrentSamples: Math.round(numberFromEnv('BENCH_REPLY_CONCURRENT_SAMPLES', 500)),
  replyDebounceMs: Math.round(numberFromEnv('BENCH_REPLY_DEBOUNCE_MS', 0)),
  /** 0: the business's AI is off during the webhook load, so only the acknowledgement path runs. */
  loadWithAi: numberFromEnv('BENCH_WEBHOOK_AI', 0) !== 0,
  rounds: Math.max(1, Math.round(numberFromEnv('BENCH_ROUNDS', 1))),
  targets: parseTargets('BENCH_WEBHOOK_TARGETS', 'embedded,postgres', TARGETS),
  cpuProfile: process.env.BENCH_CPU_PROF === '1',
};

const cleanups = new Cleanups();
cleanups.onSignals();

// ---- Telegram, as Parley reaches it ---------------------------------------------------------

/**
 * Sits between Parley and the fake Bot API and notes when each `sendMessage`
 * arrives, per chat: that moment is "reply sent". Everything is passed on to
 * the fake, which answers as Telegram would.
 */
class TelegramTap {
  /** `method chat` → arrival time of the latest such call. */
  private readonly latest = new Map<string, number>();
  private readonly waiters = new Map<string, ((at: number) => void)[]>();
  replies = 0;
  lastReplyAt = 0;

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
  ) {}

  static async start(fake: TelegramFake): Promise<TelegramTap> {
    const upstream = new URL(fake.url);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    const holder: { tap?: TelegramTap } = {};
    const server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks);
        holder.tap?.note(request.url ?? '', body);
        const forward = http.request(
          {
            host: upstream.hostname,
            port: upstream.port,
            method: request.method,
            path: request.url,
            headers: { ...request.headers, host: upstream.host },
            agent,
          },
          (answer) => {
            response.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(response);
          },
        );
        forward.on('error', (error) => {
          response.writeHead(502, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ ok: false, error_code: 502, description: error.message }));
        });
        forward.end(body);
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    holder.tap = new TelegramTap(server, `http://127.0.0.1:${port}`);
    return holder.tap;
  }

  private note(url: string, body: Buffer): void {
    const at = performance.now();
    const method = /\/([A-Za-z]+)$/.exec(url)?.[1];
    if (method !== 'sendMessage' && method !== 'sendChatAction') return;
    let chat: string;
    try {
      chat = String((JSON.parse(body.toString('utf8')) as { chat_id?: unknown }).chat_id);
    } catch {
      return;
    }
    if (method === 'sendMessage') {
      this.replies += 1;
      this.lastReplyAt = at;
    }
    const key = `${method} ${chat}`;
    this.latest.set(key, at);
    const waiting = this.waiters.get(key);
    if (waiting) {
      this.waiters.delete(key);
      for (const resolve of waiting) resolve(at);
    }
  }

  lastReplyTo(chat: string): number | undefined {
    return this.latest.get(`sendMessage ${chat}`);
  }

  /** Resolves with the arrival time of the next such call for `chat`; call it before the message is posted. */
  next(method: 'sendMessage' | 'sendChatAction', chat: string, timeoutMs: number): Promise<number> {
    return waitFor(this.waiters, `${method} ${chat}`, timeoutMs, `no ${method} within ${timeoutMs} ms`);
  }

  async close(): Promise<void> {
    const closed = once(this.server, 'close');
    this.server.close();
    this.server.closeAllConnections();
    await closed;
  }
}

/** Registers a one-shot waiter under `key`, removed again when it times out. */
function waitFor<K>(
  waiters: Map<K, ((at: number) => void)[]>,
  key: K,
  timeoutMs: number,
  message: string,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      const list = waiters.get(key)?.filter((waiter) => waiter !== done) ?? [];
      if (list.length > 0) waiters.set(key, list);
      else waiters.delete(key);
      reject(new Error(message));
    }, timeoutMs);
    const done = (at: number) => {
      clearTimeout(timer);
      resolve(at);
    };
    waiters.set(key, [...(waiters.get(key) ?? []), done]);
  });
}

/**
 * When the model was asked about reply-phase message `n`: its text carries
 * `(ref R<n>)`, and the emulator's `respond` reports the newest one in each request.
 */
const modelWaiters = new Map<number, ((at: number) => void)[]>();
function noteModelRequest(body: unknown): void {
  const at = performance.now();
  const refs = [...JSON.stringify(body ?? null).matchAll(/\(ref R(\d+)\)/g)];
  const n = Number(refs.at(-1)?.[1]);
  const waiting = modelWaiters.get(n);
  if (!waiting) return;
  modelWaiters.delete(n);
  for (const resolve of waiting) resolve(at);
}

// ---- Deliveries ---------------------------------------------------------------------------

const TEXTS = [
  'Hi! Do you have pastéis de nata today?',
  'What time do you close on Saturday?',
  'Can I order a birthday cake for Friday?',
  'Is the gluten-free bread back?',
  'thanks!',
  'How much is a dozen croissants?',
  'Do you deliver to Alfama?',
  'ok see you at 5',
];
const NAMES = ['Ana', 'João', 'Marta', 'Pedro', 'Inês', 'Rui', 'Sofia', 'Tiago'];

/** Spreads deliveries over the chats unevenly and without a pattern, as customers write. */
function chatOfLoad(update: number): number {
  let x = Math.imul(update ^ (update >>> 16), 0x45d9f3b);
  x = Math.imul(x ^ (x >>> 16), 0x45d9f3b);
  return LOAD_CHAT_BASE + (((x ^ (x >>> 16)) >>> 0) % config.chats);
}

interface Ledger {
  /** `chat:message_id` of every distinct update posted, and of those answered 200. */
  sent: Set<string>;
  acked: Set<string>;
  /** When each load chat's newest delivery was acknowledged, to know when all of them have been answered. */
  lastAck: Map<string, number>;
  retries: number;
}

/**
 * Delivery `index` of the load: an update of its own, or every `retryEvery`th a
 * re-delivery of one sent shortly before (same update_id, same body), which
 * must be stored once.
 */
function loadDelivery(index: number): { update: number; retry: boolean } {
  const retry = config.retryEvery > 0 && index >= RETRY_DISTANCE && index % config.retryEvery === config.retryEvery - 1;
  return { update: retry ? index - RETRY_DISTANCE : index, retry };
}

/** The Bot API's update for update number `n`: the same bytes every time it is built. */
function updateBody(n: number, chat: number, epoch: number, ref = false): string {
  return JSON.stringify(
    telegramTextUpdate({
      updateId: 500_000_000 + n,
      // Unique across the run, so unique in every chat, and rising as Telegram's are.
      messageId: n + 1,
      chatId: chat,
      firstName: NAMES[chat % NAMES.length],
      text: ref ? `${TEXTS[n % TEXTS.length]!} (ref R${n})` : TEXTS[n % TEXTS.length]!,
      date: epoch + Math.floor(n / 1000),
    }),
  );
}

const keyOf = (chat: number, n: number) => `${chat}:${n + 1}`;

// ---- One target ---------------------------------------------------------------------------

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

interface Storage {
  /** Distinct updates posted; acknowledged with 200; rows stored (retries included). */
  sent: number;
  acked: number;
  stored: number;
  /** Acknowledged but not in the database: lost messages. */
  missing: number;
  /** Stored more than once. */
  duplicates: number;
  /** Stored though its delivery failed (a timeout after the insert); harmless, Telegram would retry it. */
  storedUnacked: number;
  missingSamples: string[];
  /** AI replies by delivery status: what reached the fake Telegram, what is still pending or failed. */
  replies: Record<string, number>;
}

const STORED_SQL = `
  select c.customer_id, m.channel_message_id, count(*)::int as n
  from messages m join conversations c on c.id = m.conversation_id
  where c.channel_id = $1 and m.type = 'customer'
  group by 1, 2`;
const REPLIES_SQL = `
  select coalesce(m.delivery_status, 'none') as status, count(*)::int as n
  from messages m join conversations c on c.id = m.conversation_id
  where c.channel_id = $1 and m.type = 'AI'
  group by 1`;

interface Rows {
  stored: { customer_id: string; channel_message_id: string; n: number }[];
  replies: { status: string; n: number }[];
}

function compare(ledger: Ledger, rows: Rows): Storage {
  const stored = new Map<string, number>();
  for (const row of rows.stored) stored.set(`${row.customer_id}:${row.channel_message_id}`, row.n);
  const missing = [...ledger.acked].filter((key) => !stored.has(key));
  return {
    sent: ledger.sent.size,
    acked: ledger.acked.size,
    stored: [...stored.values()].reduce((sum, n) => sum + n, 0),
    missing: missing.length,
    duplicates: [...stored.values()].filter((n) => n > 1).length,
    storedUnacked: [...stored.keys()].filter((key) => !ledger.acked.has(key)).length,
    missingSamples: missing.slice(0, 5),
    replies: Object.fromEntries(rows.replies.map((row) => [row.status, row.n])),
  };
}

const profileArgs = (label: string) => cpuProfileArgs(config.cpuProfile, label);

async function startTarget(
  target: TargetName,
  services: { postgres: Reachable; redis: Reachable },
  gemini: GeminiEmulator,
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
  // Embedded runs as `npm start` runs it: a small young generation keeps its memory down.
  const nodeFlags = target === 'embedded' ? ['--max-semi-space-size=2'] : [];
  const serveArgs = target === 'postgres-split' ? ['serve'] : ['serve', '--worker'];
  const servers = [
    track(
      await startServer({
        name: TARGETS[target],
        args: [...nodeFlags, ...profileArgs(`webhook-${target}`), 'bin/parley.js', ...serveArgs],
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

  const verify = async (): Promise<Storage> => {
    const channelId = String(channel.id);
    if (databaseUrl) {
      const rows = await withClient(databaseUrl, async (client) => ({
        stored: (await client.query<Rows['stored'][number]>(STORED_SQL, [channelId])).rows,
        replies: (await client.query<Rows['replies'][number]>(REPLIES_SQL, [channelId])).rows,
      }));
      return compare(ledger, rows);
    }
    // The embedded database is the server's own: it is read once the server has stopped.
    for (const server of servers) await server.stop();
    const handle = await openPglite(path.join(dataDir, 'pglite'));
    try {
      const pglite = handle.pglite!;
      return compare(ledger, {
        stored: (await pglite.query<Rows['stored'][number]>(STORED_SQL, [channelId])).rows,
        replies: (await pglite.query<Rows['replies'][number]>(REPLIES_SQL, [channelId])).rows,
      });
    } finally {
      await handle.close();
    }
  };

  return {
    servers,
    token,
    channelId: String(channel.id),
    webhookPath: new URL(webhook.url).pathname,
    secret: webhook.secret_token,
    port,
    debounceDefaultMs: Number(aiConfig.reply_debounce_ms),
    verify,
    databaseUrl,
  };
}

interface Drain {
  /** From the end of the load until every chat it wrote in had an answer sent after its last message. */
  seconds: number;
  unanswered: number;
  chats: number;
  /** False when it stopped waiting: nothing was sent for a while, or BENCH_WEBHOOK_DRAIN_SECONDS passed. */
  complete: boolean;
}

interface ReplyPhase {
  clients: number;
  samples: number;
  errors: number;
  errorSamples: string[];
  /** Webhook POST sent → `sendMessage` for that chat reached Telegram. */
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** The same, less the debounce Parley waited (at least 1 ms: a debounce of 0 is a 1 ms timer). */
  beyondDebounceP50Ms: number;
  beyondDebounceP99Ms: number;
  /**
   * Medians from the webhook POST to: its 200; "typing…" (the reply job has
   * started); the model's request; the reply reaching Telegram.
   */
  stagesP50Ms: { ack: number; typing: number; model: number; sent: number };
}

type CpuMsPerDelivery = number;

interface TargetResult {
  target: TargetName;
  label: string;
  round: number;
  /** The business's reply debounce during the webhook load (Parley's default unless changed). */
  loadDebounceMs: number;
  replyDebounceMs: number;
  warmup: OpenLoadResult;
  open: OpenLoadResult & {
    cpuMsPerDelivery: CpuMsPerDelivery[];
    /** Every process named postgres on the machine (others' too), and the bench's own process. */
    otherCpuMsPerDelivery: { postgres: number; bench: number };
  };
  openDrain: Drain;
  closed: LoadResult & { cpuMsPerDelivery: CpuMsPerDelivery[] };
  closedDrain: Drain;
  single: LoadResult & { cpuMsPerDelivery: CpuMsPerDelivery[] };
  replySingle: ReplyPhase;
  replyConcurrent: ReplyPhase;
  storage: Storage;
  /** Per process (the server, then the worker when it runs apart): after set-up, after the load, and peak. */
  idleMemory: (Memory | undefined)[];
  memory: (Memory | undefined)[];
}

async function benchTarget(
  target: TargetName,
  round: number,
  services: { postgres: Reachable; redis: Reachable },
  gemini: GeminiEmulator,
): Promise<TargetResult> {
  const label = TARGETS[target];
  const mark = cleanups.mark();
  log(`${label}${config.rounds > 1 ? ` (round ${round})` : ''}: starting…`);
  try {
    const telegram = await TelegramFake.start();
    cleanups.push(() => telegram.close());
    const tap = await TelegramTap.start(telegram);
    cleanups.push(() => tap.close());
    // The fake keeps every call and message it accepted; a long run need not.
    const forget = setInterval(() => telegram.reset(), 1_000);
    cleanups.push(async () => clearInterval(forget));

    const ledger: Ledger = { sent: new Set(), acked: new Set(), lastAck: new Map(), retries: 0 };
    const setup = await startTarget(target, services, gemini, telegram, tap, ledger);
    const epoch = Math.floor(Date.now() / 1000);
    const headers = { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': setup.secret };
    const acknowledged = (status: number, body: string) => status === 200 && body === '{"ok":true}';

    const loadRequest = (index: number) => {
      const { update, retry } = loadDelivery(index);
      const chat = chatOfLoad(update);
      if (retry) ledger.retries += 1;
      ledger.sent.add(keyOf(chat, update));
      return { method: 'POST' as const, path: setup.webhookPath, headers, body: updateBody(update, chat, epoch) };
    };
    const onLoadResult = (index: number, ok: boolean) => {
      if (!ok) return;
      const { update } = loadDelivery(index);
      const chat = chatOfLoad(update);
      ledger.acked.add(keyOf(chat, update));
      ledger.lastAck.set(String(chat), performance.now());
    };

    // One delivery first, so that a broken setup fails with its answer rather than a column of errors.
    const probe = await runLoad({
      port: setup.port,
      concurrency: 1,
      durationMs: 60_000,
      maxRequests: 1,
      request: loadRequest,
      ok: acknowledged,
      onResult: onLoadResult,
    });
    if (probe.errors > 0) {
      throw new Error(`the first delivery failed: ${probe.errorSamples.join('; ')}\n${setup.servers[0]!.output()}`);
    }
    const idleMemory = await Promise.all(setup.servers.map((server) => memoryOf(server.pid)));

    const cpuNow = () => Promise.all(setup.servers.map((server) => cpuSecondsOf(server.pid)));
    const cpuPerDelivery = (before: (number | undefined)[], after: (number | undefined)[], delivered: number) =>
      before.map((start, i) => {
        const end = after[i];
        return start === undefined || end === undefined ? Number.NaN : ((end - start) * 1000) / Math.max(1, delivered);
      });

    // Replies are drained between phases so that one phase's answers do not load the next.
    const drain = async (since: number): Promise<Drain> => {
      const chats = config.loadWithAi ? [...ledger.lastAck.entries()] : [];
      const deadline = since + config.drainSeconds * 1000;
      const unanswered = () => chats.filter(([chat, acked]) => !((tap.lastReplyTo(chat) ?? 0) > acked)).length;
      for (;;) {
        const left = unanswered();
        const now = performance.now();
        const quiet = now - Math.max(tap.lastReplyAt, since) > QUIET_MS;
        if (left === 0 || quiet || now > deadline) {
          ledger.lastAck.clear();
          return { seconds: (now - since) / 1000, unanswered: left, chats: chats.length, complete: left === 0 };
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };

    const lines = (what: string) => log(`  ${what}`);
    const openLoop = (seconds: number, firstIndex: number) =>
      runOpenLoad({
        port: setup.port,
        rate: config.rate,
        durationMs: seconds * 1000,
        connections: config.connections,
        maxInFlight: config.maxInFlight || Math.max(config.connections, config.rate),
        request: loadRequest,
        ok: acknowledged,
        onResult: onLoadResult,
        firstIndex,
      });
    const closedLoop = (seconds: number, concurrency: number, firstIndex: number) =>
      runLoad({
        port: setup.port,
        concurrency,
        durationMs: seconds * 1000,
        maxRequests: Math.max(1, Math.ceil(seconds * 20_000)),
        request: loadRequest,
        ok: acknowledged,
        onResult: onLoadResult,
        firstIndex,
      });

    lines(`warm-up: ${config.warmupSeconds} s at ${config.rate}/s`);
    const warmup = await openLoop(config.warmupSeconds, probe.nextIndex);
    await drain(performance.now());
    if (setup.databaseUrl && config.analyze) {
      // Autovacuum would have analyzed these tables within a minute or so; until then PostgreSQL
      // plans the conversation lookup for an empty table (bench/README.md).
      lines('ANALYZE, as autovacuum would soon');
      await withClient(setup.databaseUrl, (client) => client.query('analyze'));
    }

    lines(`open loop: ${config.seconds} s at ${config.rate}/s over ${config.connections} connections`);
    let before = await cpuNow();
    const otherBefore = { postgres: await postgresCpuSeconds(), bench: process.cpuUsage() };
    const open = await openLoop(config.seconds, warmup.nextIndex);
    const openCpu = cpuPerDelivery(before, await cpuNow(), open.requests - open.errors);
    const acked = Math.max(1, open.requests - open.errors);
    const benchUsed = process.cpuUsage(otherBefore.bench);
    const openOtherCpu = {
      postgres: setup.databaseUrl ? (((await postgresCpuSeconds()) - otherBefore.postgres) * 1000) / acked : Number.NaN,
      bench: (benchUsed.user + benchUsed.system) / 1000 / acked,
    };
    const memory = await Promise.all(setup.servers.map((server) => memoryOf(server.pid)));
    const openDrain = await drain(performance.now());
    if (config.loadWithAi) {
      lines(
        `replies to the open loop: ${openDrain.chats - openDrain.unanswered}/${openDrain.chats} chats in ` +
          `${openDrain.seconds.toFixed(1)} s`,
      );
    }

    lines(`closed loop: ${config.closedSeconds} s at ${config.concurrency} clients`);
    before = await cpuNow();
    const closed = await closedLoop(config.closedSeconds, config.concurrency, open.nextIndex);
    const closedCpu = cpuPerDelivery(before, await cpuNow(), closed.requests - closed.errors);
    const closedDrain = await drain(performance.now());
    if (config.loadWithAi) {
      lines(
        `replies to the closed loop: ${closedDrain.chats - closedDrain.unanswered}/${closedDrain.chats} chats in ` +
          `${closedDrain.seconds.toFixed(1)} s`,
      );
    }

    // The reply path: debounce as low as the business may set it, the model instant.
    await fetch(`http://127.0.0.1:${setup.port}/api/v1/ai/config/`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${setup.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ auto_response_enabled: true, reply_debounce_ms: config.replyDebounceMs }),
    }).then(async (response) => {
      if (response.status !== 200)
        throw new Error(`PATCH reply_debounce_ms: ${response.status} ${await response.text()}`);
    });
    lines(`closed loop: ${config.singleSeconds} s at 1 client`);
    before = await cpuNow();
    const single = await closedLoop(config.singleSeconds, 1, closed.nextIndex);
    const singleCpu = cpuPerDelivery(before, await cpuNow(), single.requests - single.errors);
    await drain(performance.now());

    let nextUpdate = single.nextIndex;
    const replyAgent = new http.Agent({ keepAlive: true, maxSockets: config.replyConcurrency });
    cleanups.push(async () => replyAgent.destroy());
    const replyPhase = async (clients: number, samples: number, chatBase: number): Promise<ReplyPhase> => {
      lines(`message → reply: ${samples} replies, ${clients} at a time`);
      const stages: Record<keyof ReplyPhase['stagesP50Ms'], number[]> = { ack: [], typing: [], model: [], sent: [] };
      const errorSamples: string[] = [];
      let errors = 0;
      let taken = 0;
      const client = async (c: number) => {
        const chat = chatBase + c;
        // Each client's first message opens its conversation and is not counted: a customer writes more than once.
        for (let first = true; first || taken < samples; first = false) {
          if (!first) taken += 1;
          const n = nextUpdate++;
          ledger.sent.add(keyOf(chat, n));
          const replied = tap.next('sendMessage', String(chat), REPLY_TIMEOUT_MS);
          const typing = tap.next('sendChatAction', String(chat), REPLY_TIMEOUT_MS);
          const model = waitFor(modelWaiters, n, REPLY_TIMEOUT_MS, 'the model was not asked');
          // Those that do not come (a reply without "typing…") are reported as missing, not as unhandled.
          for (const promise of [replied, typing, model]) promise.catch(() => undefined);
          const sentAt = performance.now();
          try {
            const body = updateBody(n, chat, epoch, true);
            const answer = await post(replyAgent, setup.port, setup.webhookPath, headers, body);
            const ackAt = performance.now();
            if (!acknowledged(answer.status, answer.body)) {
              throw new Error(`${answer.status} ${answer.body.slice(0, 200)}`);
            }
            ledger.acked.add(keyOf(chat, n));
            const sent = await replied;
            if (!first) {
              stages.ack.push(ackAt - sentAt);
              stages.sent.push(sent - sentAt);
              stages.typing.push((await typing.catch(() => Number.NaN)) - sentAt);
              stages.model.push((await model.catch(() => Number.NaN)) - sentAt);
            }
          } catch (error) {
            if (first) throw error;
            errors += 1;
            if (errorSamples.length < 5) errorSamples.push(messageOf(error));
          }
        }
      };
      await Promise.all(Array.from({ length: clients }, (_, c) => client(c)));
      const sorted = (values: number[]) => values.filter((value) => !Number.isNaN(value)).sort((a, b) => a - b);
      const latencies = sorted(stages.sent);
      const debounce = Math.max(1, config.replyDebounceMs);
      return {
        clients,
        samples: latencies.length,
        errors,
        errorSamples,
        p50Ms: percentile(latencies, 50),
        p90Ms: percentile(latencies, 90),
        p99Ms: percentile(latencies, 99),
        maxMs: latencies.at(-1) ?? Number.NaN,
        beyondDebounceP50Ms: percentile(latencies, 50) - debounce,
        beyondDebounceP99Ms: percentile(latencies, 99) - debounce,
        stagesP50Ms: {
          ack: percentile(sorted(stages.ack), 50),
          typing: percentile(sorted(stages.typing), 50),
          model: percentile(sorted(stages.model), 50),
          sent: percentile(latencies, 50),
        },
      };
    };
    const replySingle = await replyPhase(1, config.replySamples, REPLY_CHAT_BASE);
    const replyConcurrent = await replyPhase(
      config.replyConcurrency,
      config.replyConcurrentSamples,
      REPLY_CHAT_BASE + 1_000,
    );

    lines('checking what was stored…');
    const storage = await setup.verify();
    return {
      target,
      label,
      round,
      loadDebounceMs: setup.debounceDefaultMs,
      replyDebounceMs: config.replyDebounceMs,
      warmup,
      open: { ...open, cpuMsPerDelivery: openCpu, otherCpuMsPerDelivery: openOtherCpu },
      openDrain,
      closed: { ...closed, cpuMsPerDelivery: closedCpu },
      closedDrain,
      single: { ...single, cpuMsPerDelivery: singleCpu },
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

function post(
  agent: http.Agent,
  port: number,
  pathname: string,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: pathname,
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
        agent,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        response.on('error', reject);
      },
    );
    request.setTimeout(REPLY_TIMEOUT_MS, () => request.destroy(new Error(`no answer within ${REPLY_TIMEOUT_MS} ms`)));
    request.on('error', reject);
    request.end(body);
  });
}

// ---- Report -------------------------------------------------------------------------------

const fixed = (value: number, digits: number) => (Number.isNaN(value) ? '-' : value.toFixed(digits));
const ms = (value: number, digits = 1) => (Number.isNaN(value) ? '-' : `${value.toFixed(digits)} ms`);
const mb = (value: number) => (Number.isNaN(value) ? '-' : `${value.toFixed(0)} MB`);
const sum = (values: number[]) => (values.some(Number.isNaN) ? Number.NaN : values.reduce((a, b) => a + b, 0));
const memorySum = (list: (Memory | undefined)[], field: keyof Memory) =>
  sum(list.map((memory) => memory?.[field] ?? Number.NaN));

interface Column {
  title: string;
  /** A number is formatted by `format` and has a median over rounds; a string is shown as it is. */
  value: (result: TargetResult) => number | string;
  format?: (value: number) => string;
}

function table(columns: Column[], results: TargetResult[]): string[] {
  const rowOf = (label: string, values: (number | string)[]) => [
    label,
    ...values.map((value, i) => (typeof value === 'number' ? (columns[i]!.format ?? String)(value) : value)),
  ];
  const rows = results.map((result) =>
    rowOf(
      config.rounds > 1 ? `${result.label} #${result.round}` : result.label,
      columns.map((column) => column.value(result)),
    ),
  );
  if (config.rounds > 1) {
    for (const target of config.targets) {
      const mine = results.filter((result) => result.target === target);
      if (mine.length < 2) continue;
      rows.push(
        rowOf(
          `${TARGETS[target]} median`,
          columns.map((column) => {
            const values = mine.map(column.value);
            return values.every((value) => typeof value === 'number') ? median(values) : '';
          }),
        ),
      );
    }
  }
  const header = ['target', ...columns.map((column) => column.title)];
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  const format = (line: string[]) =>
    line.map((cell, i) => (i === 0 ? cell.padEnd(widths[0]!) : cell.padStart(widths[i]!))).join('  ');
  return [format(header), ...rows.map(format)].map((line) => `  ${line}`);
}

function report(results: TargetResult[]): string[] {
  const out: string[] = [];
  const debounceLoad = results[0]?.loadDebounceMs ?? Number.NaN;
  out.push(
    `Webhook acknowledgement, open loop: ${config.rate} deliveries/s for ${config.seconds} s over at most ` +
      `${config.connections} connections, ${config.chats} chats, every ${config.retryEvery || '∞'}th a re-delivery; ` +
      (config.loadWithAi ? `AI on, debounce ${debounceLoad} ms` : 'AI off') +
      ' (target: p99 ≤ 5 ms at 1,000/s)',
  );
  out.push(
    ...table(
      [
        { title: 'acked/s', value: (r) => r.open.rps, format: (v) => fixed(v, 0) },
        { title: 'p50', value: (r) => r.open.onWire.p50Ms, format: (v) => ms(v, 2) },
        { title: 'p99', value: (r) => r.open.onWire.p99Ms, format: (v) => ms(v, 2) },
        { title: 'max', value: (r) => r.open.onWire.maxMs, format: (v) => ms(v) },
        { title: 'p99 from due', value: (r) => r.open.fromDue.p99Ms, format: (v) => ms(v) },
        { title: 'send lag p99', value: (r) => r.open.sendLagP99Ms, format: (v) => ms(v) },
        { title: 'in flight', value: (r) => r.open.maxInFlight, format: (v) => fixed(v, 0) },
        { title: 'skipped', value: (r) => r.open.skipped, format: (v) => fixed(v, 0) },
        { title: 'errors', value: (r) => r.open.errors, format: (v) => fixed(v, 0) },
        { title: 'cpu/delivery', value: (r) => sum(r.open.cpuMsPerDelivery), format: (v) => ms(v, 2) },
        { title: 'pg cpu', value: (r) => r.open.otherCpuMsPerDelivery.postgres, format: (v) => ms(v, 2) },
        { title: 'bench cpu', value: (r) => r.open.otherCpuMsPerDelivery.bench, format: (v) => ms(v, 2) },
        {
          title: 'target',
          value: (r) =>
            r.open.onWire.p99Ms <= 5 && r.open.errors === 0 && r.open.skipped === 0 && r.open.rps >= 0.95 * r.open.rate
              ? 'met'
              : 'NOT met',
        },
      ],
      results,
    ),
  );
  out.push(
    '  p50/p99/max: from the request having a connection to the answer; p99 from due: from when the delivery was due,',
    '  including any wait for a free connection and this process sending late (send lag). cpu/delivery: Parley',
    '  (with two processes, their sum); pg cpu: every postgres process on the machine; bench cpu: the load, fakes and emulator.',
  );
  out.push('');
  const c = config.concurrency;
  out.push(
    `Webhook throughput, closed loop: ${c} clients for ${config.closedSeconds} s, then 1 client for ${config.singleSeconds} s`,
  );
  out.push(
    ...table(
      [
        { title: `deliveries/s@${c}`, value: (r) => r.closed.rps, format: (v) => fixed(v, 0) },
        { title: `p50@${c}`, value: (r) => r.closed.p50Ms, format: (v) => ms(v) },
        { title: `p99@${c}`, value: (r) => r.closed.p99Ms, format: (v) => ms(v) },
        { title: `cpu/delivery@${c}`, value: (r) => sum(r.closed.cpuMsPerDelivery), format: (v) => ms(v, 2) },
        { title: 'deliveries/s@1', value: (r) => r.single.rps, format: (v) => fixed(v, 0) },
        { title: 'p50@1', value: (r) => r.single.p50Ms, format: (v) => ms(v, 2) },
        { title: 'p99@1', value: (r) => r.single.p99Ms, format: (v) => ms(v, 2) },
        { title: 'errors', value: (r) => r.closed.errors + r.single.errors, format: (v) => fixed(v, 0) },
        {
          title: 'replies drained',
          value: (r) =>
            r.closedDrain.chats === 0
              ? '-'
              : `${r.closedDrain.chats - r.closedDrain.unanswered}/${r.closedDrain.chats} chats in ${r.closedDrain.seconds.toFixed(1)} s`,
        },
      ],
      results,
    ),
  );
  out.push('');
  const debounce = config.replyDebounceMs;
  out.push(
    `Message → reply sent, emulator instant, debounce ${debounce} ms (Parley waits at least 1 ms) ` +
      '(target: p50 ≤ 5 ms + debounce)',
  );
  const replyColumns = (pick: (r: TargetResult) => ReplyPhase): Column[] => [
    { title: 'clients', value: (r) => pick(r).clients, format: (v) => fixed(v, 0) },
    { title: 'replies', value: (r) => pick(r).samples, format: (v) => fixed(v, 0) },
    { title: 'p50', value: (r) => pick(r).p50Ms, format: (v) => ms(v, 2) },
    { title: 'p99', value: (r) => pick(r).p99Ms, format: (v) => ms(v) },
    { title: 'max', value: (r) => pick(r).maxMs, format: (v) => ms(v) },
    { title: 'p50 beyond debounce', value: (r) => pick(r).beyondDebounceP50Ms, format: (v) => ms(v, 2) },
    {
      title: 'p50 ack / typing / model / sent',
      value: (r) => {
        const s = pick(r).stagesP50Ms;
        return [s.ack, s.typing, s.model, s.sent].map((v) => fixed(v, 1)).join(' / ');
      },
    },
    { title: 'errors', value: (r) => pick(r).errors, format: (v) => fixed(v, 0) },
    {
      title: 'target',
      value: (r) => (pick(r).beyondDebounceP50Ms <= 5 && pick(r).errors === 0 ? 'met' : 'NOT met'),
    },
  ];
  out.push(
    ...table(
      replyColumns((r) => r.replySingle),
      results,
    ),
  );
  out.push(
    ...table(
      replyColumns((r) => r.replyConcurrent),
      results,
    ).slice(1),
  );
  out.push('');
  out.push('Stored exactly once (every delivery of the run, re-deliveries included)');
  out.push(
    ...table(
      [
        { title: 'updates', value: (r) => r.storage.sent, format: (v) => fixed(v, 0) },
        { title: 'acked', value: (r) => r.storage.acked, format: (v) => fixed(v, 0) },
        { title: 'stored', value: (r) => r.storage.stored, format: (v) => fixed(v, 0) },
        { title: 'LOST', value: (r) => r.storage.missing, format: (v) => fixed(v, 0) },
        { title: 'duplicates', value: (r) => r.storage.duplicates, format: (v) => fixed(v, 0) },
        { title: 'stored unacked', value: (r) => r.storage.storedUnacked, format: (v) => fixed(v, 0) },
        {
          title: 'AI replies by status',
          value: (r) =>
            Object.entries(r.storage.replies)
              .map(([status, n]) => `${status} ${n}`)
              .join(', ') || 'none',
        },
      ],
      results,
    ),
  );
  out.push('');
  out.push('Memory (RSS; with two processes, their sum)');
  out.push(
    ...table(
      [
        { title: 'idle', value: (r) => memorySum(r.idleMemory, 'rssMb'), format: mb },
        { title: 'after the open loop', value: (r) => memorySum(r.memory, 'rssMb'), format: mb },
        { title: 'peak', value: (r) => memorySum(r.memory, 'peakRssMb'), format: mb },
      ],
      results,
    ),
  );
  for (const result of results) {
    if (result.storage.missing > 0) {
      out.push(
        `!!! ${result.label}: ${result.storage.missing} acknowledged deliveries are NOT in the database ` +
          `(e.g. chat:message ${result.storage.missingSamples.join(', ')})`,
      );
    }
    if (result.storage.duplicates > 0)
      out.push(`!!! ${result.label}: ${result.storage.duplicates} messages stored twice`);
    for (const [phase, drained] of [
      ['open loop', result.openDrain],
      ['closed loop', result.closedDrain],
    ] as const) {
      if (!drained.complete) {
        out.push(
          `${result.label}: after the ${phase}, ${drained.unanswered} of ${drained.chats} chats had no answer to their ` +
            `last message ${drained.seconds.toFixed(1)} s later (the next phase ran with that backlog)`,
        );
      }
    }
    const samples = [
      ...result.open.errorSamples,
      ...result.closed.errorSamples,
      ...result.single.errorSamples,
      ...result.replySingle.errorSamples,
      ...result.replyConcurrent.errorSamples,
    ];
    if (samples.length > 0) out.push(`${result.label} errors, for example: ${samples.slice(0, 3).join(' | ')}`);
  }
  return out;
}

// ---- Main ---------------------------------------------------------------------------------

async function main(): Promise<void> {
  buildIfNeeded();
  const buildBefore = await buildStamp(ROOT);
  const machineAtStart = machine();
  const needsServices = config.targets.some((target) => target !== 'embedded');
  const services = {
    postgres: needsServices ? await findPostgres() : { skipped: 'not needed' },
    redis: needsServices ? await findRedis() : { skipped: 'not needed' },
  };
  const skipped = [services.postgres, services.redis].flatMap((service) =>
    needsServices && 'skipped' in service ? [service.skipped] : [],
  );
  const targets = config.targets.filter((target) => target === 'embedded' || skipped.length === 0);
  for (const reason of skipped) log(`PostgreSQL + Redis rows skipped: ${reason}`);

  const gemini = await startEmulator(
    {
      respond: (request) => {
        noteModelRequest(request.body);
        return { text: ANSWER };
      },
    },
    cleanups,
  );

  log(
    `bench:webhook: ${config.rounds} round(s) of ${targets.join(', ')}; ${config.rate}/s for ${config.seconds} s, ` +
      `${config.concurrency} clients for ${config.closedSeconds} s, ${config.replySamples}+` +
      `${config.replyConcurrentSamples} replies; ${os.cpus().length} CPUs, node ${process.version}`,
  );
  const results: TargetResult[] = [];
  const failures: { target: TargetName; round: number; error: string }[] = [];
  for (let round = 1; round <= config.rounds; round++) {
    for (const target of targets) {
      try {
        results.push(await benchTarget(target, round, services, gemini));
      } catch (error) {
        // The other targets' figures are still worth having; the run fails at the end.
        log(`${TARGETS[target]} failed: ${messageOf(error)}`);
        failures.push({ target, round, error: messageOf(error) });
      }
    }
  }
  await cleanups.runFrom(0);
  const buildAfter = await buildStamp(ROOT);
  // bin/parley.js rebuilds dist/ whenever src/ is newer, so an edit during the run changes what is measured.
  const srcChanged = buildAfter !== buildBefore || needsBuild();

  print();
  const load = (values: unknown) => (Array.isArray(values) ? values.map((v) => Number(v).toFixed(1)).join(' ') : '?');
  print(
    `${os.cpus().length} CPUs; load average ${load(machineAtStart.loadAverage)} at the start, ` +
      `${load(os.loadavg())} at the end (anything above ${os.cpus().length} means the figures share the machine)`,
  );
  print();
  for (const line of report(results)) print(line);
  for (const reason of skipped) print(`PostgreSQL + Redis rows skipped: ${reason}`);
  for (const failure of failures) print(`${TARGETS[failure.target]} (round ${failure.round}) failed: ${failure.error}`);
  if (srcChanged) {
    print('warning: src/ changed during the run (Parley rebuilds itself); the rows may measure different code.');
  }

  const json = {
    benchmark: 'Telegram webhook: acknowledgement, throughput, message → reply sent',
    date: new Date().toISOString(),
    machine: { ...machineAtStart, loadAverageAtEnd: os.loadavg() },
    config: {
      ...config,
      postgres: 'url' in services.postgres ? redact(services.postgres.url) : null,
      redis: 'url' in services.redis ? redact(services.redis.url) : null,
      skipped,
    },
    parleyBuild: { before: buildBefore ?? null, after: buildAfter ?? null, srcChangedDuringRun: srcChanged },
    results,
    failures,
  };
  await writeResults('webhook', json);
  const lost = results.some((result) => result.storage.missing > 0 || result.storage.duplicates > 0);
  if (failures.length > 0 || lost) process.exitCode = 1;
}

await runBench(main, cleanups);
