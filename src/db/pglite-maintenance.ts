import type { PGlite } from '@electric-sql/pglite';

/**
 * PostgreSQL's autovacuum for the embedded database. PGlite runs PostgreSQL as a single
 * process, so nothing vacuums or analyzes its tables: their statistics stay those of the
 * first minutes, dead rows pile up, and plans chosen for a nearly empty database stay in use as
 * the messages grow: in `npm run bench:memory` at 60 messages a second, the reply sweep's query
 * held the database for 200–300 ms a minute within minutes. This does what the autovacuum
 * daemon would: every 10 seconds, if statements came since it last looked, it reads the tables'
 * activity counters and vacuums or analyzes those past PostgreSQL's own default thresholds (a
 * base plus a fraction of the table), a few at a time, since every statement here waits for it
 * to finish. The thresholds decide how often a table is analyzed; the interval only how soon
 * after. Autovacuum looks once a minute, but here a plan made for a nearly empty table can walk
 * all of a business's rows until then: a new business's first thousands of customers made each
 * new customer's message 2–6 times slower within the minute. A round with nothing due holds the
 * database for about 2 ms.
 */

/** PostgreSQL's defaults: autovacuum_vacuum_threshold / _scale_factor and the others. */
const VACUUM_AFTER = { base: 50, fraction: 0.2 };
const VACUUM_AFTER_INSERTS = { base: 1_000, fraction: 0.2 };
const ANALYZE_AFTER = { base: 50, fraction: 0.1 };
/** Tables handled in one round at most: the next round takes the rest. */
const TABLES_PER_ROUND = 3;
export const MAINTENANCE_INTERVAL_MS = 10_000;

/** A table's activity since it was last vacuumed and analyzed, from `pg_stat_user_tables`. */
export interface TableActivity {
  /** Schema-qualified and quoted, ready for a statement. */
  table: string;
  /** Rows as of the last vacuum or analyze (0 before the first). */
  rows: number;
  deadRows: number;
  insertedSinceVacuum: number;
  changedSinceAnalyze: number;
}

export interface MaintenanceStep {
  table: string;
  statement: 'VACUUM (ANALYZE)' | 'ANALYZE';
}

const past = (count: number, rows: number, { base, fraction }: { base: number; fraction: number }) =>
  count > base + fraction * rows;

/** The tables due for a vacuum (which analyzes too) or an analyze, the most overdue first. */
export function maintenanceDue(tables: TableActivity[], limit = TABLES_PER_ROUND): MaintenanceStep[] {
  const due: (MaintenanceStep & { overdue: number })[] = [];
  for (const each of tables) {
    const vacuum =
      past(each.deadRows, each.rows, VACUUM_AFTER) || past(each.insertedSinceVacuum, each.rows, VACUUM_AFTER_INSERTS);
    if (vacuum || past(each.changedSinceAnalyze, each.rows, ANALYZE_AFTER)) {
      due.push({
        table: each.table,
        statement: vacuum ? 'VACUUM (ANALYZE)' : 'ANALYZE',
        overdue: each.changedSinceAnalyze / (ANALYZE_AFTER.base + ANALYZE_AFTER.fraction * each.rows),
      });
    }
  }
  return due
    .sort((a, b) => b.overdue - a.overdue)
    .slice(0, limit)
    .map(({ table, statement }) => ({ table, statement }));
}

/** Reads the counters and runs what is due; returns what it ran. */
export async function maintainOnce(db: PGlite): Promise<MaintenanceStep[]> {
  const { rows } = await db.query<{
    table: string;
    rows: number;
    dead_rows: number;
    inserted: number;
    changed: number;
  }>(`select format('%I.%I', s.schemaname, s.relname) as table,
              greatest(c.reltuples, 0)::float8 as rows,
              s.n_dead_tup::float8 as dead_rows,
              s.n_ins_since_vacuum::float8 as inserted,
              s.n_mod_since_analyze::float8 as changed
         from pg_stat_user_tables s join pg_class c on c.oid = s.relid`);
  const steps = maintenanceDue(
    rows.map((row) => ({
      table: row.table,
      rows: row.rows,
      deadRows: row.dead_rows,
      insertedSinceVacuum: row.inserted,
      changedSinceAnalyze: row.changed,
    })),
  );
  for (const step of steps) await db.exec(`${step.statement} ${step.table}`);
  return steps;
}

/** Whether statements came since `startMaintenance` last asked: noted per statement, cleared when asked. */
export function statementsSince(): { note: () => void; sinceLastAsked: () => boolean } {
  let seen = false;
  return {
    note: () => {
      seen = true;
    },
    sinceLastAsked: () => {
      const was = seen;
      seen = false;
      return was;
    },
  };
}

/**
 * Runs `maintainOnce` every `MAINTENANCE_INTERVAL_MS` until the returned function is called;
 * only when `queriedSince` says statements came since it last asked, so an idle database is
 * left alone (nothing can have passed a threshold there).
 */
export function startMaintenance(
  db: PGlite,
  queriedSince: () => boolean,
  onError: (error: unknown) => void,
): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running || db.closed || !queriedSince()) return;
    running = true;
    maintainOnce(db)
      .catch(onError)
      .finally(() => (running = false));
  }, MAINTENANCE_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
