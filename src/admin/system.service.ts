import type { Config } from '../kernel/config.js';
import { withTimeout } from '../kernel/timeout.js';
import type { Database } from '../db/client.js';
import type { FailedJob, JobCounts, Queue } from '../infra/queue.js';
import { modelHealthView, scheduledRuns } from '../jobs/scheduled.jobs.js';

export interface SystemDeps {
  db: Database;
  queue: Pick<Queue, 'kind' | 'counts' | 'failed'>;
  config: Pick<Config, 'gemini'>;
}

/** The failed jobs shown: enough to see what is wrong, few enough for a screen. */
const FAILED_SHOWN = 20;
/** Redis being away must not hang the page: the rest is shown with the queue's error. */
const QUEUE_TIMEOUT_MS = 2_000;

async function readQueue(queue: SystemDeps['queue']) {
  try {
    const [counts, failed]: [Record<string, JobCounts>, FailedJob[]] = await withTimeout(
      Promise.all([queue.counts(), queue.failed(FAILED_SHOWN)]),
      QUEUE_TIMEOUT_MS,
    );
    return { counts, failed, error: null };
  } catch (error) {
    return { counts: {}, failed: [], error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * What the operator's admin screen shows of the machinery: the model (and its
 * last scheduled health check), the queue's depth and failed jobs (what
 * /metrics counts), and each scheduled task's last run (`job_runs`).
 */
export async function systemStatus({ db, queue, config }: SystemDeps) {
  const [health, runs, read] = await Promise.all([modelHealthView(db), scheduledRuns(db), readQueue(queue)]);
  const kind = config.gemini.simulated ? 'simulated' : config.gemini.apiKey ? 'gemini' : 'none';
  return {
    model: { kind, default_model: config.gemini.defaultModel, health } as const,
    queue: {
      kind: queue.kind,
      error: read.error,
      jobs: Object.entries(read.counts)
        .map(([name, count]) => ({ name, ...count }))
        .sort((a, b) => a.name.localeCompare(b.name)),
      failed_jobs: read.failed.map((job) => ({
        id: job.id,
        name: job.name,
        attempts: job.attempts,
        error: job.error,
        failed_at: job.failedAt.toISOString(),
      })),
    },
    scheduled_jobs: runs.map(({ name, pattern, what, run }) => ({
      name,
      schedule: pattern,
      what,
      last_started_at: run?.lastStartedAt.toISOString() ?? null,
      last_finished_at: run?.lastFinishedAt?.toISOString() ?? null,
      ok: run?.ok ?? null,
      detail: run?.detail ?? null,
      runs: run?.runs ?? 0,
    })),
  };
}
