import type { Config } from '../kernel/config.js';
import { ModelError, type ModelProvider } from '../model/model-provider.js';
import { aggregateDays, daysToAggregate } from '../analytics/analytics.service.js';
import { reconcileConversations } from '../conversations/reconcile.js';
import type { Database } from '../db/client.js';
import { jobType, type JobType, type Queue } from '../infra/queue.js';
import { findJobRun, findJobRuns, markRunFinished, markRunStarted, type JobRun } from './job-runs.repo.js';
import { deleteIdleSessions } from '../auth/sessions.service.js';
import { deleteSpentSignInLinks } from '../auth/sign-in-links.service.js';
import { deactivateIdleConversations } from '../conversations/conversations.service.js';

/**
 * The seed's background tasks, run by whichever process runs the workers
 * (`parley worker`, or `serve` without Redis). Each records its last run in
 * `job_runs`; each is safe to run twice.
 */
type NoData = Record<string, never>;

export const cleanupSessions = jobType<NoData>('cleanup-sessions');
export const syncConversations = jobType<NoData>('sync-conversations');
export const modelHealthCheck = jobType<NoData>('model-health-check');
export const aggregateAnalytics = jobType<NoData>('aggregate-analytics');

/** Cron patterns, read in PARLEY_TIMEZONE. */
export const SCHEDULES: { type: JobType<NoData>; pattern: string; what: string }[] = [
  { type: aggregateAnalytics, pattern: '0 1 * * *', what: "aggregate yesterday's chat statistics (daily 01:00)" },
  {
    type: cleanupSessions,
    pattern: '0 2 * * *',
    what: 'mark sessions idle too long inactive, delete dashboard sign-ins idle too long or too old (daily 02:00)',
  },
  { type: syncConversations, pattern: '*/30 * * * *', what: 'reconcile conversation counters (every 30 min)' },
  { type: modelHealthCheck, pattern: '0 */12 * * *', what: 'one model call with the global key (every 12 h)' },
];

export interface ScheduledJobDeps {
  db: Database;
  config: Pick<Config, 'timezone' | 'sessionIdleDays' | 'gemini' | 'dashboard'>;
  model: ModelProvider | undefined;
}

/** Records the run; a failure is recorded, then rethrown so the queue retries it. */
async function recordRun(db: Database, name: string, run: () => Promise<{ ok: boolean; detail: string }>) {
  await markRunStarted(db, name);
  const finish = (ok: boolean, detail: string) => markRunFinished(db, name, ok, detail);
  try {
    const outcome = await run();
    await finish(outcome.ok, outcome.detail);
  } catch (error) {
    await finish(false, error instanceof Error ? error.message : String(error));
    throw error;
  }
}

export async function markIdleSessionsInactive(db: Database, idleDays: number): Promise<number> {
  return deactivateIdleConversations(db, idleDays);
}

export async function checkModelHealth(config: Pick<Config, 'gemini'>, model: ModelProvider | undefined) {
  if (!model) return { ok: false, detail: 'GEMINI_API_KEY is not set' };
  const started = performance.now();
  try {
    const result = await model.generate({
      model: config.gemini.defaultModel,
      systemInstruction: 'You are being health-checked. Answer with one word.',
      contents: [{ role: 'user', text: 'ping' }],
      temperature: 0,
      maxOutputTokens: 256,
    });
    const ms = Math.round(performance.now() - started);
    return result.kind === 'text'
      ? { ok: true, detail: `${config.gemini.defaultModel} answered in ${ms} ms` }
      : { ok: false, detail: `${config.gemini.defaultModel} gave no usable answer (${result.kind})` };
  } catch (error) {
    if (!(error instanceof ModelError)) throw error;
    return { ok: false, detail: `${config.gemini.defaultModel}: ${error.errorClass}, ${error.message}` };
  }
}

export function registerScheduledJobs(queue: Queue, { db, config, model }: ScheduledJobDeps): void {
  queue.handle(cleanupSessions, () =>
    recordRun(db, cleanupSessions.name, async () => {
      const count = await markIdleSessionsInactive(db, config.sessionIdleDays);
      const signIns = await deleteIdleSessions(db, config.dashboard);
      const links = await deleteSpentSignInLinks(db);
      return {
        ok: true,
        detail: `${count} sessions idle over ${config.sessionIdleDays} days marked inactive, ${signIns} expired dashboard sign-ins and ${links} spent sign-in links deleted`,
      };
    }),
  );
  queue.handle(syncConversations, () =>
    recordRun(db, syncConversations.name, async () => {
      const { checked, updated } = await reconcileConversations(db);
      return { ok: true, detail: `checked ${checked} conversations, updated ${updated.length}` };
    }),
  );
  queue.handle(aggregateAnalytics, () =>
    recordRun(db, aggregateAnalytics.name, async () => {
      const days = await daysToAggregate(db, config.timezone, new Date());
      const rows = await aggregateDays(db, config.timezone, days);
      return { ok: true, detail: `aggregated ${days.join(', ')} (${rows} rows)` };
    }),
  );
  // A failed check is a result, not a job failure: the next one is due in 12 hours anyway.
  queue.handle(modelHealthCheck, () => recordRun(db, modelHealthCheck.name, () => checkModelHealth(config, model)));
}

export async function scheduleJobs(queue: Queue, timezone: string): Promise<void> {
  for (const schedule of SCHEDULES) await queue.schedule(schedule.type, schedule.pattern, timezone, {});
}

export async function lastRun(db: Database, name: string): Promise<JobRun | undefined> {
  return findJobRun(db, name);
}

/** Every scheduled task with its last run (undefined before its first), in the order of SCHEDULES. */
export async function scheduledRuns(db: Database) {
  const runs = new Map((await findJobRuns(db)).map((run) => [run.name, run]));
  return SCHEDULES.map((schedule) => ({
    name: schedule.type.name,
    pattern: schedule.pattern,
    what: schedule.what,
    run: runs.get(schedule.type.name),
  }));
}

/** What /readyz shows of the last model health check. */
export async function modelHealthView(db: Database) {
  const run = await lastRun(db, modelHealthCheck.name);
  if (!run) return null;
  return { ok: run.ok, checked_at: (run.lastFinishedAt ?? run.lastStartedAt).toISOString(), detail: run.detail };
}
