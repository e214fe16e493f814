import { eq, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { jobRuns } from '../db/schema/index.js';

export interface JobRun {
  name: string;
  lastStartedAt: Date;
  lastFinishedAt: Date | null;
  ok: boolean | null;
  detail: string | null;
  runs: number;
}

/** Stamps the start and counts the run; the first run of a job creates its row. */
export async function markRunStarted(db: Database, name: string): Promise<void> {
  await db
    .insert(jobRuns)
    .values({ name, lastStartedAt: sql`now()`, runs: 1 })
    .onConflictDoUpdate({ target: jobRuns.name, set: { lastStartedAt: sql`now()`, runs: sql`${jobRuns.runs} + 1` } });
}

export async function markRunFinished(db: Database, name: string, ok: boolean, detail: string): Promise<void> {
  await db
    .update(jobRuns)
    .set({ lastFinishedAt: sql`now()`, ok, detail })
    .where(eq(jobRuns.name, name));
}

export async function findJobRun(db: Database, name: string): Promise<JobRun | undefined> {
  const [row] = await db.select().from(jobRuns).where(eq(jobRuns.name, name)).limit(1);
  return row;
}

export async function findJobRuns(db: Database): Promise<JobRun[]> {
  return db.select().from(jobRuns);
}
