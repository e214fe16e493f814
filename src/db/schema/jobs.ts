import { boolean, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** The last run of each scheduled job and what came of it, for operators and /readyz. */
export const jobRuns = pgTable('job_runs', {
  name: text('name').primaryKey(),
  lastStartedAt: timestamp('last_started_at', { withTimezone: true }).notNull(),
  lastFinishedAt: timestamp('last_finished_at', { withTimezone: true }),
  ok: boolean('ok'),
  detail: text('detail'),
  runs: integer('runs').notNull().default(0),
});
