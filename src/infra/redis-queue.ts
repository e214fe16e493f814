import { Queue as BullQueue, UnrecoverableError, Worker, type Job, type JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { randomId } from '../kernel/ids.js';
import {
  DEFAULT_ATTEMPTS,
  DEFAULT_BACKOFF_MS,
  PermanentJobError,
  type FailedJob,
  type JobCounts,
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
const LOCK_MS = 10_000;
const FAILED_KEPT = 5_000;
/**
 * A job whose first try ran in this process (`here`) and failed goes to the queue wrapped, with
 * the tries it made, so that the handler counts on from them; and, when it failed for good, why:
 * the worker then fails it at once, so that it is listed with the others.
 */
const TRIED_HERE = '__parleyTriedHere';

interface TriedHere {
  tried: number;
  failedFor?: string;
}

function unwrap(stored: unknown): { data: unknown; tried: number; failedFor?: string } {
  if (typeof stored !== 'object' || stored === null || !(TRIED_HERE in stored)) return { data: stored, tried: 0 };
  const { [TRIED_HERE]: here, data } = stored as { [TRIED_HERE]: TriedHere; data: unknown };
  return { data, ...here };
}

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
  // A Redis that restarts without persistence comes back without the schedules: put them back.
  const schedules: (() => Promise<unknown>)[] = [];
  let connectedBefore = false;
  connection.on('ready', () => {
    if (connectedBefore) {
      for (const upsert of schedules) {
        upsert().catch((error: unknown) => options.onError?.(error, { name: 'schedule', id: '-', attempt: 0 }));
      }
    }
    connectedBefore = true;
  });
  const queues = new Map<string, BullQueue>();
  const handlers = new Map<string, { handler: JobHandler<unknown, unknown>; concurrency: number }>();
  const workers: Worker[] = [];
  /** The job types this process runs, and how many first tries run `here` now. */
  const runningHere = new Map<
    string,
    { handler: JobHandler<unknown, unknown>; concurrency: number; running: number }
  >();
  const triesHere = new Set<Promise<void>>();
  let closing = false;
  const backoff = options.backoffMs ?? DEFAULT_BACKOFF_MS;
  const prefix = options.prefix ?? 'parley';
  /**
   * Every job type any process of this deployment has used. A `serve` without
   * workers has handled nothing and only adds some types, yet its /metrics
   * should show the depth of all of them; a set in Redis, kept by each process
   * as it first touches a type, needs no list of job names kept in step here.
   */
  const jobTypesKey = `${prefix}:job-types`;

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
      connection
        .sadd(jobTypesKey, name)
        .catch((error: unknown) => options.onError?.(error, { name, id: '-', attempt: 0 }));
    }
    return queue;
  };

  /** Runs a job's first try in this process, if it runs the type and has room; false otherwise. */
  const tryHere = (name: string, data: unknown, attempts = DEFAULT_ATTEMPTS, alreadyRead?: unknown): boolean => {
    const runner = runningHere.get(name);
    if (!runner || closing || runner.running >= runner.concurrency) return false;
    runner.running++;
    const id = `here-${randomId(12)}`;
    const run = (async () => {
      try {
        await runner.handler({ id, name, data, attempt: 1, ...(alreadyRead === undefined ? {} : { alreadyRead }) });
      } catch (error) {
        options.onError?.(error, { name, id, attempt: 1 });
        const final = error instanceof PermanentJobError || attempts <= 1;
        const tried: TriedHere = final ? { tried: 1, failedFor: messageOf(error) } : { tried: 1 };
        await queueFor(name)
          .add(
            name,
            { [TRIED_HERE]: tried, data },
            final ? { attempts: 1 } : { attempts: attempts - 1, delay: backoff },
          )
          .catch((queueError: unknown) => options.onError?.(queueError, { name, id, attempt: 1 }));
      } finally {
        runner.running--;
      }
    })();
    triesHere.add(run);
    void run.finally(() => triesHere.delete(run));
    return true;
  };

  return {
    kind: 'redis',

    async add<T, Read = never>(type: JobType<T, Read>, data: T, jobOptions: JobOptions<Read> = {}) {
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
      if (
        jobOptions.here &&
        !opts.delay &&
        opts.jobId === undefined &&
        tryHere(type.name, data, opts.attempts, jobOptions.alreadyRead)
      )
        return;
      await queueFor(type.name).add(type.name, data, opts);
    },

    handle<T, Read = never>(
      type: JobType<T, Read>,
      handler: JobHandler<T, Read>,
      handleOptions: { concurrency?: number } = {},
    ) {
      if (handlers.has(type.name)) throw new Error(`job "${type.name}" already has a handler`);
      handlers.set(type.name, {
        handler: handler as JobHandler<unknown, unknown>,
        concurrency: handleOptions.concurrency ?? 1,
      });
    },

    runsHere(type) {
      return runningHere.has(type.name);
    },

    async schedule<T>(type: JobType<T>, pattern: string, timezone: string, data: T) {
      const upsert = () =>
        queueFor(type.name).upsertJobScheduler(type.name, { pattern, tz: timezone }, { name: type.name, data });
      schedules.push(upsert);
      // Idempotent: every process may upsert the same scheduler at start.
      await upsert();
    },

    async start() {
      for (const [name, { handler, concurrency }] of handlers) {
        const worker = new Worker(
          name,
          async (job: Job) => {
            const { data, tried, failedFor } = unwrap(job.data);
            if (failedFor !== undefined) throw new UnrecoverableError(failedFor);
            const attempt = tried + job.attemptsMade + 1;
            try {
              await handler({ id: job.id ?? '', name, data, attempt });
            } catch (error) {
              options.onError?.(error, { name, id: job.id ?? '', attempt });
              if (error instanceof PermanentJobError) throw new UnrecoverableError(error.message);
              throw error;
            }
          },
          {
            connection,
            prefix,
            concurrency,
            // A worker killed mid-job holds its lock this long; then another worker picks the job up
            // again. Short, so a reply waits seconds, not a minute; the lock renews itself meanwhile.
            lockDuration: LOCK_MS,
            stalledInterval: LOCK_MS / 2,
          },
        );
        worker.on('error', (error) => options.onError?.(error, { name, id: '-', attempt: 0 }));
        workers.push(worker);
        runningHere.set(name, { handler, concurrency, running: 0 });
        queueFor(name);
      }
      await Promise.all(workers.map((worker) => worker.waitUntilReady()));
    },

    async failed(limit = 50) {
      const all: FailedJob[] = [];
      // Every type the deployment used, as counts() reads them: a `serve` without workers ran none itself.
      for (const name of new Set([...queues.keys(), ...(await connection.smembers(jobTypesKey))])) {
        for (const job of await queueFor(name).getFailed(0, limit - 1)) {
          const { data, tried, failedFor } = unwrap(job.data);
          all.push({
            id: job.id ?? '',
            name,
            data,
            // A job failed for good here made its tries here; the worker's at once is not one.
            attempts: tried + job.attemptsMade - (failedFor === undefined ? 0 : 1),
            error: job.failedReason,
            failedAt: new Date(job.finishedOn ?? job.timestamp),
          });
        }
      }
      return all.sort((a, b) => b.failedAt.getTime() - a.failedAt.getTime()).slice(0, limit);
    },

    async counts() {
      const names = new Set([...queues.keys(), ...(await connection.smembers(jobTypesKey))]);
      const counts: Record<string, JobCounts> = {};
      await Promise.all(
        [...names].map(async (name) => {
          const c = await queueFor(name).getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed');
          counts[name] = {
            // A paused queue's jobs and prioritized ones are waiting too.
            waiting: (c.waiting ?? 0) + (c.paused ?? 0) + (c.prioritized ?? 0),
            active: (c.active ?? 0) + (runningHere.get(name)?.running ?? 0),
            delayed: c.delayed ?? 0,
            failed: c.failed ?? 0,
          };
        }),
      );
      return counts;
    },

    async close() {
      closing = true;
      await Promise.all([...workers.map((worker) => worker.close()), ...triesHere]);
      await Promise.all([...queues.values()].map((queue) => queue.close()));
      await connection.quit().catch(() => connection.disconnect());
    },
  };
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
