import { Queue as BullQueue, UnrecoverableError, Worker, type Job, type JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';
import {
  DEFAULT_ATTEMPTS,
  DEFAULT_BACKOFF_MS,
  PermanentJobError,
  type FailedJob,
  type JobHandler,
  type JobOptions,
  type JobType,
  type Queue,
} from './queue.js';

/**
 * BullMQ on Redis: any number of `serve` and `worker` processes share the
 * jobs. One BullMQ queue per job type, so each type has its own concurrency
 * and its failed jobs are easy to find.
 */
const COMPLETED_KEPT = 1_000;
const FAILED_KEPT = 5_000;

export interface RedisQueueOptions {
  /** BullMQ's key prefix; `parley` unless PARLEY_REDIS_PREFIX says otherwise. */
  prefix?: string;
  backoffMs?: number;
  onError?: (error: unknown, job: { name: string; id: string; attempt: number }) => void;
}

export function createRedisQueue(url: string, options: RedisQueueOptions = {}): Queue {
  // Workers block on Redis, so BullMQ wants connections that never give up on a command.
  const connection = new Redis(url, { maxRetriesPerRequest: null, connectionName: 'parley-queue' });
  connection.on('error', (error) => options.onError?.(error, { name: 'redis', id: '-', attempt: 0 }));
  const queues = new Map<string, BullQueue>();
  const handlers = new Map<string, { handler: JobHandler<unknown>; concurrency: number }>();
  const workers: Worker[] = [];
  const backoff = options.backoffMs ?? DEFAULT_BACKOFF_MS;
  const prefix = options.prefix ?? 'parley';

  const queueFor = (name: string) => {
    let queue = queues.get(name);
    if (!queue) {
      queue = new BullQueue(name, {
        connection,
        prefix,
        defaultJobOptions: {
          attempts: DEFAULT_ATTEMPTS,
          backoff: { type: 'exponential', delay: backoff },
          removeOnComplete: COMPLETED_KEPT,
          removeOnFail: FAILED_KEPT,
        },
      });
      queues.set(name, queue);
    }
    return queue;
  };

  return {
    kind: 'redis',

    async add<T>(type: JobType<T>, data: T, jobOptions: JobOptions = {}) {
      const opts: JobsOptions = {};
      if (jobOptions.attempts !== undefined) opts.attempts = jobOptions.attempts;
      if (jobOptions.jobId !== undefined) opts.jobId = jobOptions.jobId;
      if (jobOptions.delayMs) opts.delay = jobOptions.delayMs;
      if (jobOptions.debounce) {
        const { id, ms } = jobOptions.debounce;
        // BullMQ's debounce mode: each add restarts the delay and replaces the waiting job's data.
        opts.delay = ms;
        opts.deduplication = { id, ttl: ms, extend: true, replace: true };
      }
      await queueFor(type.name).add(type.name, data, opts);
    },

    handle<T>(type: JobType<T>, handler: JobHandler<T>, handleOptions: { concurrency?: number } = {}) {
      if (handlers.has(type.name)) throw new Error(`job "${type.name}" already has a handler`);
      handlers.set(type.name, { handler: handler as JobHandler<unknown>, concurrency: handleOptions.concurrency ?? 1 });
    },

    async schedule<T>(type: JobType<T>, pattern: string, timezone: string, data: T) {
      // Idempotent: every process may upsert the same scheduler at start.
      await queueFor(type.name).upsertJobScheduler(type.name, { pattern, tz: timezone }, { name: type.name, data });
    },

    async start() {
      for (const [name, { handler, concurrency }] of handlers) {
        const worker = new Worker(
          name,
          async (job: Job) => {
            try {
              await handler({ id: job.id ?? '', name, data: job.data as unknown, attempt: job.attemptsMade + 1 });
            } catch (error) {
              options.onError?.(error, { name, id: job.id ?? '', attempt: job.attemptsMade + 1 });
              if (error instanceof PermanentJobError) throw new UnrecoverableError(error.message);
              throw error;
            }
          },
          { connection, prefix, concurrency },
        );
        worker.on('error', (error) => options.onError?.(error, { name, id: '-', attempt: 0 }));
        workers.push(worker);
        queueFor(name);
      }
      await Promise.all(workers.map((worker) => worker.waitUntilReady()));
    },

    async failed(limit = 50) {
      const all: FailedJob[] = [];
      for (const [name, queue] of queues) {
        for (const job of await queue.getFailed(0, limit - 1)) {
          all.push({
            id: job.id ?? '',
            name,
            data: job.data as unknown,
            attempts: job.attemptsMade,
            error: job.failedReason,
            failedAt: new Date(job.finishedOn ?? job.timestamp),
          });
        }
      }
      return all.sort((a, b) => b.failedAt.getTime() - a.failedAt.getTime()).slice(0, limit);
    },

    async close() {
      await Promise.all(workers.map((worker) => worker.close()));
      await Promise.all([...queues.values()].map((queue) => queue.close()));
      await connection.quit().catch(() => connection.disconnect());
    },
  };
}
