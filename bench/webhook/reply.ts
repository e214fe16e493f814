/**
 * Message → reply sent: with the business's debounce as low as it may be set
 * and the model instant, messages are posted one chat at a time, then from
 * several chats at once, each timed by stage from its webhook POST to its 200,
 * to "typing…" (only for an answer that takes a noticeable time), to the model's request, and to the
 * fake Telegram receiving `sendMessage` for that chat. The model's own time (from its
 * request read to its answer written) is taken out for issue #17's figure.
 */
import http from 'node:http';
import { percentile, send } from '../lib/load.js';
import { cpuSecondsOf, type ServerProcess } from '../lib/process.js';
import { messageOf } from '../lib/setup.js';
import { waitFor, type TelegramTap } from '../lib/telegram-tap.js';
import { cleanups, config, REPLY_CHAT_BASE, REPLY_TIMEOUT_MS, step } from './config.js';
import { acknowledged, keyOf, updateBody, type Webhook } from './deliveries.js';

/**
 * When the model was asked about reply-phase message `n`: its text carries
 * `(ref R<n>)`, and the emulator's model reports the newest one in each request.
 */
const modelWaiters = new Map<number, ((at: number) => void)[]>();
/** When the model's answer about message `n` was written out. */
const answeredWaiters = new Map<number, ((at: number) => void)[]>();

function settle(waiters: Map<number, ((at: number) => void)[]>, n: number, at: number): void {
  const waiting = waiters.get(n);
  if (!waiting) return;
  waiters.delete(n);
  for (const resolve of waiting) resolve(at);
}

/**
 * For the model behind the emulator: notes the model being asked about a measured message;
 * returns that message's number, for `noteModelAnswered`.
 */
export function noteModelRequest(body: unknown): number | undefined {
  const at = performance.now();
  const refs = [...JSON.stringify(body ?? null).matchAll(/\(ref R(\d+)\)/g)];
  const n = Number(refs.at(-1)?.[1]);
  if (!modelWaiters.has(n)) return undefined;
  settle(modelWaiters, n, at);
  return n;
}

/** For the model behind the emulator: its answer about message `n` has been written out. */
export function noteModelAnswered(n: number): void {
  settle(answeredWaiters, n, performance.now());
}

export interface ReplyPhase {
  clients: number;
  samples: number;
  errors: number;
  errorSamples: string[];
  /** Webhook POST sent → `sendMessage` for that chat reached Telegram. */
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** The same, less the debounce Parley waited (none at 0: the reply job is queued at once). */
  beyondDebounceP50Ms: number;
  beyondDebounceP99Ms: number;
  /**
   * Issue #17's figure: less the debounce and the model's own time, from the emulator reading
   * the request to its answer written (the network both ways and the SDK count as Parley's).
   */
  beyondModelP50Ms: number;
  beyondModelP99Ms: number;
  /** The model's own time, p50. */
  modelOwnP50Ms: number;
  /**
   * Medians from the webhook POST to: its 200; "typing…" (none when every answer came at once);
   * the model's request; the reply reaching Telegram.
   */
  stagesP50Ms: { ack: number; typing: number; model: number; sent: number };
  /** Parley's CPU time (its processes' sum) per reply: steadier than latency on a shared machine. */
  cpuMsPerReply: number;
}

/** The reply path: debounce as low as the business may set it (BENCH_REPLY_DEBOUNCE_MS), the AI on. */
export async function enableReplies(port: number, token: string): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${port}/api/v1/ai/config/`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ auto_response_enabled: true, reply_debounce_ms: config.replyDebounceMs }),
  });
  if (response.status !== 200) throw new Error(`PATCH reply_debounce_ms: ${response.status} ${await response.text()}`);
}

/**
 * BENCH_REPLY_SAMPLES replies one at a time, then BENCH_REPLY_CONCURRENT_SAMPLES
 * from BENCH_REPLY_CONCURRENCY chats at once; the updates are numbered from `firstUpdate`.
 */
export async function measureReplies(
  webhook: Webhook,
  tap: TelegramTap,
  firstUpdate: number,
  servers: ServerProcess[],
): Promise<{ replySingle: ReplyPhase; replyConcurrent: ReplyPhase }> {
  let nextUpdate = firstUpdate;
  const { ledger, epoch } = webhook;
  const replyAgent = new http.Agent({ keepAlive: true, maxSockets: config.replyConcurrency });
  cleanups.push(async () => replyAgent.destroy());

  const replyPhase = async (clients: number, samples: number, chatBase: number): Promise<ReplyPhase> => {
    step(`message → reply: ${samples} replies, ${clients} at a time`);
    const stages: Record<keyof ReplyPhase['stagesP50Ms'], number[]> = { ack: [], typing: [], model: [], sent: [] };
    const beyondModel: number[] = [];
    const modelOwn: number[] = [];
    const errorSamples: string[] = [];
    let errors = 0;
    let taken = 0;
    let replies = 0;
    const cpuBefore = await cpuSecondsOfAll(servers);
    const client = async (c: number) => {
      const chat = chatBase + c;
      // Each client's first message opens its conversation and is not counted: a customer writes more than once.
      for (let first = true; first || taken < samples; first = false) {
        if (!first) taken += 1;
        const n = nextUpdate++;
        ledger.sent.add(keyOf(chat, n));
        const replied = tap.next('sendMessage', String(chat), REPLY_TIMEOUT_MS);
        const model = waitFor(modelWaiters, n, REPLY_TIMEOUT_MS, 'the model was not asked');
        const modelAnswered = waitFor(answeredWaiters, n, REPLY_TIMEOUT_MS, 'the model did not answer');
        // Those that do not come are reported as missing, not as unhandled.
        for (const promise of [replied, model, modelAnswered]) promise.catch(() => undefined);
        const sentAt = performance.now();
        try {
          const body = updateBody(n, chat, epoch, true);
          const request = { method: 'POST' as const, path: webhook.path, headers: webhook.headers, body };
          const answer = await send(replyAgent, webhook.port, request, REPLY_TIMEOUT_MS);
          const ackAt = performance.now();
          if (!acknowledged(answer.status, answer.body)) {
            throw new Error(`${answer.status} ${answer.body.slice(0, 200)}`);
          }
          ledger.acked.add(keyOf(chat, n));
          const sent = await replied;
          replies += 1;
          if (!first) {
            stages.ack.push(ackAt - sentAt);
            stages.sent.push(sent - sentAt);
            // "typing…" goes out only for an answer that takes a noticeable time: not for this instant model.
            const typedAt = tap.lastTypingTo(String(chat)) ?? Number.NaN;
            stages.typing.push(typedAt > sentAt && typedAt <= sent ? typedAt - sentAt : Number.NaN);
            const asked = await model.catch(() => Number.NaN);
            stages.model.push(asked - sentAt);
            const own = (await modelAnswered.catch(() => Number.NaN)) - asked;
            modelOwn.push(own);
            beyondModel.push(sent - sentAt - own);
          }
        } catch (error) {
          if (first) throw error;
          errors += 1;
          if (errorSamples.length < 5) errorSamples.push(messageOf(error));
        }
      }
    };
    await Promise.all(Array.from({ length: clients }, (_, c) => client(c)));
    const cpuSeconds = (await cpuSecondsOfAll(servers)) - cpuBefore;
    const sorted = (values: number[]) => values.filter((value) => !Number.isNaN(value)).sort((a, b) => a - b);
    const latencies = sorted(stages.sent);
    const debounce = config.replyDebounceMs;
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
      beyondModelP50Ms: percentile(sorted(beyondModel), 50) - debounce,
      beyondModelP99Ms: percentile(sorted(beyondModel), 99) - debounce,
      modelOwnP50Ms: percentile(sorted(modelOwn), 50),
      stagesP50Ms: {
        ack: percentile(sorted(stages.ack), 50),
        typing: percentile(sorted(stages.typing), 50),
        model: percentile(sorted(stages.model), 50),
        sent: percentile(latencies, 50),
      },
      cpuMsPerReply: (cpuSeconds * 1000) / Math.max(1, replies),
    };
  };

  const replySingle = await replyPhase(1, config.replySamples, REPLY_CHAT_BASE);
  const replyConcurrent = await replyPhase(
    config.replyConcurrency,
    config.replyConcurrentSamples,
    REPLY_CHAT_BASE + 1_000,
  );
  return { replySingle, replyConcurrent };
}

/** CPU seconds so far of every one of `servers` (NaN when one cannot be read). */
async function cpuSecondsOfAll(servers: ServerProcess[]): Promise<number> {
  const each = await Promise.all(servers.map((server) => cpuSecondsOf(server.pid)));
  return each.reduce<number>((total, seconds) => total + (seconds ?? Number.NaN), 0);
}
