import { PGlite } from '@electric-sql/pglite';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { pgliteSnapshot } from '../../test/helpers/pglite-snapshots.js';
import { until } from '../../test/helpers/wait.js';
import {
  MAINTENANCE_INTERVAL_MS,
  maintainOnce,
  maintenanceDue,
  startMaintenance,
  statementsSince,
  type TableActivity,
} from './pglite-maintenance.js';

const quiet = (table: string, rows: number): TableActivity => ({
  table,
  rows,
  deadRows: 0,
  insertedSinceVacuum: 0,
  changedSinceAnalyze: 0,
});

describe('maintenanceDue', () => {
  it("applies PostgreSQL's autovacuum thresholds: a base plus a share of the table", () => {
    expect(maintenanceDue([quiet('"public"."messages"', 10_000)])).toEqual([]);
    // 50 + 20% of 10,000 dead rows = 2,050: one more is due.
    expect(maintenanceDue([{ ...quiet('m', 10_000), deadRows: 2_050 }])).toEqual([]);
    expect(maintenanceDue([{ ...quiet('m', 10_000), deadRows: 2_051 }])).toEqual([
      { table: 'm', statement: 'VACUUM (ANALYZE)' },
    ]);
    // Inserts alone: 1,000 + 20%.
    expect(maintenanceDue([{ ...quiet('m', 10_000), insertedSinceVacuum: 3_001 }])).toEqual([
      { table: 'm', statement: 'VACUUM (ANALYZE)' },
    ]);
    // Changes for the statistics: 50 + 10%.
    expect(maintenanceDue([{ ...quiet('m', 10_000), changedSinceAnalyze: 1_050 }])).toEqual([]);
    expect(maintenanceDue([{ ...quiet('m', 10_000), changedSinceAnalyze: 1_051 }])).toEqual([
      { table: 'm', statement: 'ANALYZE' },
    ]);
    // A table never analyzed counts as empty: its first rows make it due soon.
    expect(maintenanceDue([{ ...quiet('new', 0), changedSinceAnalyze: 51 }])).toEqual([
      { table: 'new', statement: 'ANALYZE' },
    ]);
  });

  it('takes the most overdue first, a few a round', () => {
    const tables = [
      { ...quiet('a', 1_000), changedSinceAnalyze: 200 },
      { ...quiet('b', 1_000), changedSinceAnalyze: 5_000 },
      { ...quiet('c', 1_000), changedSinceAnalyze: 1_000 },
      { ...quiet('d', 1_000), changedSinceAnalyze: 400 },
      quiet('e', 1_000),
    ];
    expect(maintenanceDue(tables).map((step) => step.table)).toEqual(['b', 'c', 'd']);
    expect(maintenanceDue(tables, 10).map((step) => step.table)).toEqual(['b', 'c', 'd', 'a']);
  });
});

describe('maintainOnce on PGlite', () => {
  let db: PGlite;
  beforeAll(async () => {
    db = await PGlite.create({ loadDataDir: await pgliteSnapshot('empty') });
    await db.exec(`create table busy (id int primary key, seen bool not null default false);
                   create table calm (id int primary key);
                   insert into busy select g from generate_series(1, 5000) g;
                   insert into calm values (1), (2);
                   update busy set seen = true where id <= 3000;`);
  });
  afterAll(() => db.close());

  const statsOf = async (table: string) =>
    (
      await db.query<{ dead: number; analyzed: boolean; vacuumed: boolean; rows: number }>(
        `select s.n_dead_tup::int as dead, s.last_analyze is not null as analyzed,
                s.last_vacuum is not null as vacuumed, c.reltuples::int as rows
           from pg_stat_user_tables s join pg_class c on c.oid = s.relid where s.relname = $1`,
        [table],
      )
    ).rows[0]!;

  it('vacuums and analyzes a table with many dead rows, leaves a quiet one alone, and then rests', async () => {
    // PostgreSQL publishes a session's counts a moment after its statements.
    await until(async () => ((await statsOf('busy')).dead > 0 ? true : undefined));
    expect(await statsOf('busy')).toMatchObject({ dead: 3000, analyzed: false, vacuumed: false });

    expect(await maintainOnce(db)).toEqual([{ table: 'public.busy', statement: 'VACUUM (ANALYZE)' }]);
    expect(await statsOf('busy')).toMatchObject({ dead: 0, analyzed: true, vacuumed: true, rows: 5000 });
    expect(await statsOf('calm')).toMatchObject({ analyzed: false, vacuumed: false });
    // Nothing new since: nothing to do.
    expect(await maintainOnce(db)).toEqual([]);
  });
});

describe('startMaintenance', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('looks again every interval, only after statements came, until stopped', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const db = await PGlite.create({ loadDataDir: await pgliteSnapshot('empty') });
    const analyzed = async () =>
      (
        await db.query<{ analyzed: boolean; changed: number }>(
          `select last_analyze is not null as analyzed, n_mod_since_analyze::int as changed
             from pg_stat_user_tables where relname = 'fresh'`,
        )
      ).rows[0]!;
    try {
      await db.exec(
        'create table fresh (id int primary key); insert into fresh select g from generate_series(1, 500) g;',
      );
      await until(async () => ((await analyzed()).changed > 0 ? true : undefined));
      const statements = statementsSince();
      let asked = 0;
      const stop = startMaintenance(
        db,
        () => {
          asked++;
          return statements.sinceLastAsked();
        },
        (error) => {
          throw error;
        },
      );

      // No statement came: the table past its threshold waits.
      await vi.advanceTimersByTimeAsync(MAINTENANCE_INTERVAL_MS);
      expect(asked).toBe(1);
      expect(await analyzed()).toMatchObject({ analyzed: false, changed: 500 });

      statements.note();
      await vi.advanceTimersByTimeAsync(MAINTENANCE_INTERVAL_MS);
      expect(asked).toBe(2);
      await until(async () => ((await analyzed()).analyzed ? true : undefined));
      expect(await analyzed()).toMatchObject({ analyzed: true, changed: 0 });

      stop();
      await vi.advanceTimersByTimeAsync(3 * MAINTENANCE_INTERVAL_MS);
      expect(asked).toBe(2);
    } finally {
      await db.close();
    }
  });
});
