/**
 * Background jobs behind one interface: BullMQ on Redis in production, an
 * in-process runner in the embedded mode. Domain code declares its jobs with
 * `jobType` and never knows which runner it has.
 */

/**
 * A job name with the type of its payload, and of what an adder may hand a first try that runs
 * `here` (never stored); declared once, next to its handler's domain.
 */
export interface JobType<T, Read = never> {
  readonly name: string;
  /** Carry T and Read for the type checker only. */
  readonly payload?: T;
  readonly read?: Read;
}

export function jobType<T, Read = never>(name: string): JobType<T, Read> {
  if (!/^[a-z][a-z0-9_.-]*$/.test(name)) throw new Error(`job names are lower-case words: ${name}`);
  return { name };
}

export interface JobOptions<Read = never> {
  /** A job whose id is still waiting or running is not added twice. Not all digits, no ':'. */
  jobId?: string;
  delayMs?: number;
  /**
   * Coalesces a burst: the job runs `ms` after the last add with this id,
   * with the data of that last add.
   */
  debounce?: { id: string; ms: number };
  /** Tries in all, the first included. */
  attempts?: number;
  /**
   * The first try runs at once in this process when it handles the job type and has room,
   * without the queue's round trips; a failed try goes to the queue for the tries left. A crash
   * during that try loses the job: only for jobs that a sweep finds again. Not with a delay,
   * a debounce or an id.
   */
  here?: boolean;
  /**
   * What the adder already read for the job, handed to a first try that runs `here` as
   * `alreadyRead`, so that it need not read it again. Never stored: a try run any other way,
   * later or elsewhere, has none.
   */
  alreadyRead?: Read;
}

export interface RunningJob<T, Read = never> {
  id: string;
  name: string;
  data: T;
  /** 1 on the first try. */
  attempt: number;
  /** A first try run `here`: what its adder handed it (`JobOptions.alreadyRead`). */
  alreadyRead?: Read;
}

export type JobHandler<T, Read = never> = (job: RunningJob<T, Read>) => Promise<void>;

/** Thrown by a handler when trying again cannot help: the job fails at once. */
export class PermanentJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentJobError';
  }
}

export interface FailedJob {
  id: string;
  name: string;
  data: unknown;
  attempts: number;
  error: string;
  failedAt: Date;
}

/** How many jobs of one type are in each state. */
export interface JobCounts {
  waiting: number;
  active: number;
  /** Waiting out a delay, a debounce window or a retry's backoff. */
  delayed: number;
  /** Failed for good and still kept. */
  failed: number;
}

export interface Queue {
  readonly kind: 'local' | 'redis';
  add<T, Read = never>(type: JobType<T, Read>, data: T, options?: JobOptions<Read>): Promise<void>;
  /** One handler per job type; a second one is a programming error. */
  handle<T, Read = never>(
    type: JobType<T, Read>,
    handler: JobHandler<T, Read>,
    options?: { concurrency?: number },
  ): void;
  /** A repeating job: `pattern` is a five-field cron expression read in `timezone`. */
  schedule<T>(type: JobType<T>, pattern: string, timezone: string, data: T): Promise<void>;
  /** Begins running handled jobs (and due schedules) in this process. */
  start(): Promise<void>;
  /** Whether this process runs jobs of `type` (a `serve` without workers runs none): a first try added `here` can run here. */
  runsHere(type: JobType<unknown, unknown>): boolean;
  /** Jobs that failed for good, newest first (bounded). */
  failed(limit?: number): Promise<FailedJob[]>;
  /** Jobs per job type, for every type this deployment has used (metrics). */
  counts(): Promise<Record<string, JobCounts>>;
  close(): Promise<void>;
}

export const DEFAULT_ATTEMPTS = 5;
export const DEFAULT_BACKOFF_MS = 1_000;

/** Exponential backoff after the `attempt`-th failed try: 1 s, 2 s, 4 s … */
export function retryDelayMs(attempt: number, baseMs = DEFAULT_BACKOFF_MS): number {
  return baseMs * 2 ** (attempt - 1);
}
