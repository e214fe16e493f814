/**
 * How fast Parley acknowledges deliveries: a probe, a warm-up, the open loop
 * (deliveries sent when due at a fixed rate, as Telegram sends them), then the
 * closed loop at many clients and at one. Each phase's CPU per delivery is
 * taken from /proc; with the AI on, the replies are drained between phases.
 */
import { runLoad, runOpenLoad, type LoadResult, type OpenLoadResult } from '../lib/load.js';
import { cpuSecondsOf, memoryOf, postgresCpuSeconds, type Memory, type ServerProcess } from '../lib/process.js';
import { withClient } from '../lib/setup.js';
import type { TelegramTap } from '../lib/telegram-tap.js';
import { config, QUIET_MS, step } from './config.js';
import { acknowledged, chatOfLoad, keyOf, loadDelivery, updateBody, type Webhook } from './deliveries.js';

export interface Drain {
  /** From the end of the load until every chat it wrote in had an answer sent after its last message. */
  seconds: number;
  unanswered: number;
  chats: number;
  /** False when it stopped waiting: nothing was sent for a while, or BENCH_WEBHOOK_DRAIN_SECONDS passed. */
  complete: boolean;
}

type CpuMsPerDelivery = number;

export type OpenPhase = OpenLoadResult & {
  cpuMsPerDelivery: CpuMsPerDelivery[];
  /** Every process named postgres on the machine (others' too), and the bench's own process. */
  otherCpuMsPerDelivery: { postgres: number; bench: number };
};
export type ClosedPhase = LoadResult & { cpuMsPerDelivery: CpuMsPerDelivery[] };

/** The webhook load on one target, phase after phase; each continues the deliveries where the last stopped. */
export class AcknowledgementLoad {
  /** The next delivery's index; the reply phase continues from it too. */
  nextIndex = 0;

  constructor(
    private readonly webhook: Webhook,
    /** The server (and the worker when it runs apart), and the PostgreSQL database if any. */
    private readonly target: { servers: ServerProcess[]; databaseUrl: string | undefined },
    private readonly tap: TelegramTap,
  ) {}

  private readonly request = (index: number) => {
    const { ledger, epoch } = this.webhook;
    const { update, retry } = loadDelivery(index);
    const chat = chatOfLoad(update);
    if (retry) ledger.retries += 1;
    ledger.sent.add(keyOf(chat, update));
    return {
      method: 'POST' as const,
      path: this.webhook.path,
      headers: this.webhook.headers,
      body: updateBody(update, chat, epoch),
    };
  };

  private readonly onResult = (index: number, ok: boolean) => {
    if (!ok) return;
    const { ledger } = this.webhook;
    const { update } = loadDelivery(index);
    const chat = chatOfLoad(update);
    ledger.acked.add(keyOf(chat, update));
    ledger.lastAck.set(String(chat), performance.now());
  };

  /** One delivery first, so that a broken setup fails with its answer rather than a column of errors. */
  async probe(): Promise<void> {
    const probe = await runLoad({
      port: this.webhook.port,
      concurrency: 1,
      durationMs: 60_000,
      maxRequests: 1,
      request: this.request,
      ok: acknowledged,
      onResult: this.onResult,
    });
    if (probe.errors > 0) {
      throw new Error(
        `the first delivery failed: ${probe.errorSamples.join('; ')}\n${this.target.servers[0]!.output()}`,
      );
    }
    this.nextIndex = probe.nextIndex;
  }

  /** Not reported in the table; on PostgreSQL followed by ANALYZE unless BENCH_WEBHOOK_ANALYZE=0. */
  async warmUp(): Promise<OpenLoadResult> {
    step(`warm-up: ${config.warmupSeconds} s at ${config.rate}/s`);
    const warmup = await this.openLoop(config.warmupSeconds);
    await this.drain(performance.now());
    const { databaseUrl } = this.target;
    if (databaseUrl && config.analyze) {
      // Autovacuum would have analyzed these tables within a minute or so; until then PostgreSQL
      // plans the conversation lookup for an empty table (bench/README.md).
      step('ANALYZE, as autovacuum would soon');
      await withClient(databaseUrl, (client) => client.query('analyze'));
    }
    return warmup;
  }

  /** The open loop at BENCH_WEBHOOK_RATE, with the servers' memory right after it. */
  async open(): Promise<{ open: OpenPhase; memory: (Memory | undefined)[]; drain: Drain }> {
    step(`open loop: ${config.seconds} s at ${config.rate}/s over ${config.connections} connections`);
    const before = await this.cpuNow();
    const otherBefore = { postgres: await postgresCpuSeconds(), bench: process.cpuUsage() };
    const open = await this.openLoop(config.seconds);
    const openCpu = this.cpuPerDelivery(before, await this.cpuNow(), open.requests - open.errors);
    const acked = Math.max(1, open.requests - open.errors);
    const benchUsed = process.cpuUsage(otherBefore.bench);
    const openOtherCpu = {
      postgres: this.target.databaseUrl
        ? (((await postgresCpuSeconds()) - otherBefore.postgres) * 1000) / acked
        : Number.NaN,
      bench: (benchUsed.user + benchUsed.system) / 1000 / acked,
    };
    const memory = await this.memory();
    const drain = await this.drain(performance.now());
    if (config.loadWithAi) {
      step(
        `replies to the open loop: ${drain.chats - drain.unanswered}/${drain.chats} chats in ` +
          `${drain.seconds.toFixed(1)} s`,
      );
    }
    return { open: { ...open, cpuMsPerDelivery: openCpu, otherCpuMsPerDelivery: openOtherCpu }, memory, drain };
  }

  /** The closed loop at BENCH_WEBHOOK_CONCURRENCY clients: the most Parley sustains. */
  async closed(): Promise<{ closed: ClosedPhase; drain: Drain }> {
    step(`closed loop: ${config.closedSeconds} s at ${config.concurrency} clients`);
    const before = await this.cpuNow();
    const closed = await this.closedLoop(config.closedSeconds, config.concurrency);
    const closedCpu = this.cpuPerDelivery(before, await this.cpuNow(), closed.requests - closed.errors);
    const drain = await this.drain(performance.now());
    if (config.loadWithAi) {
      step(
        `replies to the closed loop: ${drain.chats - drain.unanswered}/${drain.chats} chats in ` +
          `${drain.seconds.toFixed(1)} s`,
      );
    }
    return { closed: { ...closed, cpuMsPerDelivery: closedCpu }, drain };
  }

  /**
   * The closed loop at 1 client: the acknowledgement's latency without queueing. `aiOn`: the AI
   * answers it (the reply phases follow), so its replies are drained before they start: sent
   * at Telegram's pace, they would otherwise still be going out while replies are timed.
   */
  async single(aiOn: boolean): Promise<ClosedPhase> {
    step(`closed loop: ${config.singleSeconds} s at 1 client`);
    const before = await this.cpuNow();
    const single = await this.closedLoop(config.singleSeconds, 1);
    const singleCpu = this.cpuPerDelivery(before, await this.cpuNow(), single.requests - single.errors);
    const drain = await this.drain(performance.now(), aiOn);
    if (aiOn) {
      step(
        `replies to the 1-client loop: ${drain.chats - drain.unanswered}/${drain.chats} chats in ` +
          `${drain.seconds.toFixed(1)} s`,
      );
    }
    return { ...single, cpuMsPerDelivery: singleCpu };
  }

  /** Resident memory of each process now. */
  memory(): Promise<(Memory | undefined)[]> {
    return Promise.all(this.target.servers.map((server) => memoryOf(server.pid)));
  }

  private async openLoop(seconds: number): Promise<OpenLoadResult> {
    const result = await runOpenLoad({
      port: this.webhook.port,
      rate: config.rate,
      durationMs: seconds * 1000,
      connections: config.connections,
      maxInFlight: config.maxInFlight || Math.max(config.connections, config.rate),
      request: this.request,
      ok: acknowledged,
      onResult: this.onResult,
      firstIndex: this.nextIndex,
    });
    this.nextIndex = result.nextIndex;
    return result;
  }

  private async closedLoop(seconds: number, concurrency: number): Promise<LoadResult> {
    const result = await runLoad({
      port: this.webhook.port,
      concurrency,
      durationMs: seconds * 1000,
      maxRequests: Math.max(1, Math.ceil(seconds * 20_000)),
      request: this.request,
      ok: acknowledged,
      onResult: this.onResult,
      firstIndex: this.nextIndex,
    });
    this.nextIndex = result.nextIndex;
    return result;
  }

  private cpuNow(): Promise<(number | undefined)[]> {
    return Promise.all(this.target.servers.map((server) => cpuSecondsOf(server.pid)));
  }

  private cpuPerDelivery(
    before: (number | undefined)[],
    after: (number | undefined)[],
    delivered: number,
  ): CpuMsPerDelivery[] {
    return before.map((start, i) => {
      const end = after[i];
      return start === undefined || end === undefined ? Number.NaN : ((end - start) * 1000) / Math.max(1, delivered);
    });
  }

  /** Replies are drained between phases so that one phase's answers do not load the next. */
  private async drain(since: number, aiOn = config.loadWithAi): Promise<Drain> {
    const { ledger } = this.webhook;
    const chats = aiOn ? [...ledger.lastAck.entries()] : [];
    const deadline = since + config.drainSeconds * 1000;
    const unanswered = () => chats.filter(([chat, acked]) => !((this.tap.lastReplyTo(chat) ?? 0) > acked)).length;
    for (;;) {
      const left = unanswered();
      const now = performance.now();
      const quiet = now - Math.max(this.tap.lastReplyAt, since) > QUIET_MS;
      if (left === 0 || quiet || now > deadline) {
        ledger.lastAck.clear();
        return { seconds: (now - since) / 1000, unanswered: left, chats: chats.length, complete: left === 0 };
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
