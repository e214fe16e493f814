import { randomId } from '../kernel/ids.js';
import { isUtc, nextUtc, parseCron } from './cron.js';
import {
  DEFAULT_ATTEMPTS,
  PermanentJobError,
  retryDelayMs,
  type FailedJob,
  type JobCounts,
  type JobHandler,
  type JobOptions,
  type JobType,
  type Queue,
  type RunningJob,
} from './queue.js';

/**
 * The embedded mode's queue: jobs run in this process, with the same
 * semantics as the BullMQ one (ids dedupe, debounce, retries with backoff,
 * cron schedules). Jobs live in memory, so whatever must survive a restart is
 * kept in the database and re-derived from there.
 */
interface Pending {
  id: string;
  name: string;
  data: unknown;
  attempt: number;
  attempts: number;
  /** For a first try that starts as it is added (`here`), and only for it. */
  alreadyRead?: unknown;
}

interface Handled {
  handler: JobHandler<unknown, unknown>;
  concurrency: number;
  running: number;
  backlog: Pending[];
}

const FAILED_KEPT = 500;

/** When a schedule next runs after `after`. */
type NextRun = (after: Date) => Date;

/** Refuses a malformed pattern or zone, as cron-parser does; see cron.ts for why UTC is read here. */
async function nextRunOf(pattern: string, timezone: string): Promise<NextRun> {
  const utc = isUtc(timezone) ? parseCron(pattern) : undefined;
  if (utc) return (after) => nextUtc(utc, after);
  const { default: cronParser } = await import('cron-parser');
  cronParser.parseExpression(pattern, { tz: timezone });
  return (after) => cronParser.parseExpression(pattern, { tz: timezone, currentDate: after }).next().toDate();
}

export interface LocalQueueOptions {
  backoffMs?: number;
  onError?: (error: unknown, job: { name: string; id: string; attempt: number }) => void;
}

export function createLocalQueue(options: LocalQueueOptions = {}): Queue {
  const handlers = new Map<string, Handled>();
  const waiting: Pending[] = [];
  const liveIds = new Set<string>();
  const debounces = new Map<string, { timer: NodeJS.Timeout; pending: Pending }>();
  const timers = new Set<NodeJS.Timeout>();
  const schedules: { name: string; next: NextRun; data: unknown }[] = [];
  const failures: FailedJob[] = [];
  /** Job types seen, and how many of each wait out a delay or a retry's backoff. */
  const delayed = new Map<string, number>();
  const idle: (() => void)[] = [];
  let started = false;
  let closed = false;

  const later = (ms: number, run: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      run();
    }, ms);
    timers.add(timer);
    return timer;
  };

  const enqueueAfter = (ms: number, job: Pending) => {
    delayed.set(job.name, (delayed.get(job.name) ?? 0) + 1);
    later(ms, () => {
      delayed.set(job.name, delayed.get(job.name)! - 1);
      enqueue(job);
    });
  };

  function enqueue(job: Pending) {
    if (closed) return;
    const handled = handlers.get(job.name);
    if (started && handled) {
      handled.backlog.push(job);
      pump(handled);
    } else {
      waiting.push(job);
    }
    // Started by now or not at all: when it runs later, what its adder read may have changed.
    delete job.alreadyRead;
  }

  function pump(handled: Handled) {
    // Closing lets running jobs finish but starts no new ones.
    if (closed) handled.backlog.length = 0;
    while (handled.running < handled.concurrency && handled.backlog.length > 0) {
      const job = handled.backlog.shift()!;
      handled.running++;
      void run(handled, job).finally(() => {
        handled.running--;
        pump(handled);
        if (isIdle()) for (const resolve of idle.splice(0)) resolve();
      });
    }
  }

  async function run(handled: Handled, job: Pending) {
    const { alreadyRead } = job;
    const running: RunningJob<unknown, unknown> = {
      id: job.id,
      name: job.name,
      data: job.data,
      attempt: job.attempt,
      ...(alreadyRead === undefined ? {} : { alreadyRead }),
    };
    try {
      await handled.handler(running);
      liveIds.delete(job.id);
    } catch (error) {
      options.onError?.(error, running);
      const permanent = error instanceof PermanentJobError;
      if (!permanent && job.attempt < job.attempts && !closed) {
        enqueueAfter(retryDelayMs(job.attempt, options.backoffMs), { ...job, attempt: job.attempt + 1 });
        return;
      }
      liveIds.delete(job.id);
      failures.unshift({
        id: job.id,
        name: job.name,
        data: job.data,
        attempts: job.attempt,
        error: error instanceof Error ? error.message : String(error),
        failedAt: new Date(),
      });
      failures.length = Math.min(failures.length, FAILED_KEPT);
    }
  }

  function isIdle() {
    return [...handlers.values()].every((h) => h.running === 0 && h.backlog.length === 0);
  }

  function armSchedule(schedule: (typeof schedules)[number]) {
    if (closed) return;
    const next = schedule.next(new Date());
    // setTimeout holds at most ~24.8 days; re-arm in steps for anything further.
    const wait = Math.min(next.getTime() - Date.now(), 2 ** 31 - 1);
    later(Math.max(wait, 0), () => {
      if (Date.now() >= next.getTime()) {
        enqueue({ id: randomId(12), name: schedule.name, data: schedule.data, attempt: 1, attempts: DEFAULT_ATTEMPTS });
      }
      armSchedule(schedule);
    });
  }

  return {
    kind: 'local',

    async add<T, Read = never>(type: JobType<T, Read>, data: T, jobOptions: JobOptions<Read> = {}) {
      const attempts = jobOptions.attempts ?? DEFAULT_ATTEMPTS;
      if (!delayed.has(type.name)) delayed.set(type.name, 0);
      if (jobOptions.debounce) {
        const { id, ms } = jobOptions.debounce;
        const current = debounces.get(id);
        if (current) clearTimeout(current.timer);
        const pending: Pending = { id: `debounce-${id}`, name: type.name, data, attempt: 1, attempts };
        const timer = setTimeout(() => {
          debounces.delete(id);
          enqueue(pending);
        }, ms);
        debounces.set(id, { timer, pending });
        return;
      }
      const id = jobOptions.jobId ?? randomId(16);
      if (jobOptions.jobId !== undefined) {
        if (liveIds.has(id)) return;
        liveIds.add(id);
      }
      const read = jobOptions.here && !jobOptions.delayMs ? jobOptions.alreadyRead : undefined;
      const job: Pending = {
        id,
        name: type.name,
        data,
        attempt: 1,
        attempts,
        ...(read === undefined ? {} : { alreadyRead: read }),
      };
      if (jobOptions.delayMs) enqueueAfter(jobOptions.delayMs, job);
      else enqueue(job);
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
        running: 0,
        backlog: [],
      });
    },

    runsHere(type) {
      return handlers.has(type.name);
    },

    async schedule<T>(type: JobType<T>, pattern: string, timezone: string, data: T) {
      const schedule = { name: type.name, next: await nextRunOf(pattern, timezone), data };
      schedules.push(schedule);
      if (started) armSchedule(schedule);
    },

    async start() {
      if (started) return;
      started = true;
      for (const job of waiting.splice(0)) enqueue(job);
      for (const schedule of schedules) armSchedule(schedule);
    },

    async failed(limit = 50) {
      return failures.slice(0, limit);
    },

    async counts() {
      const counts: Record<string, JobCounts> = {};
      const of = (name: string) => (counts[name] ??= { waiting: 0, active: 0, delayed: 0, failed: 0 });
      for (const [name, handled] of handlers) {
        of(name).waiting += handled.backlog.length;
        of(name).active += handled.running;
      }
      for (const job of waiting) of(job.name).waiting++;
      for (const [name, count] of delayed) of(name).delayed += count;
      for (const { pending } of debounces.values()) of(pending.name).delayed++;
      for (const failure of failures) of(failure.name).failed++;
      return counts;
    },

    async close() {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      for (const { timer } of debounces.values()) clearTimeout(timer);
      timers.clear();
      debounces.clear();
      for (const name of delayed.keys()) delayed.set(name, 0);
      if (!isIdle()) await new Promise<void>((resolve) => idle.push(resolve));
    },
  };
}
