import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareRepeatedStatements, runUnprepared } from '../../src/db/prepared-statements.js';
import { createPostgresDatabase } from '../helpers/database.js';

/** On real PostgreSQL: which statements a connection keeps prepared, and that results do not change. */
let database: Awaited<ReturnType<typeof createPostgresDatabase>>;
let pool: pg.Pool;

const prepared = async () =>
  (await pool.query<{ statement: string }>({ text: 'select statement from pg_prepared_statements' })).rows.map(
    (row) => row.statement,
  );

beforeAll(async () => {
  database = await createPostgresDatabase();
  // One connection, so every query runs in the session whose statements are read back.
  pool = new pg.Pool({ connectionString: database.url, max: 1 });
  prepareRepeatedStatements(pool);
});
afterAll(async () => {
  await pool.end();
  await database.drop();
});

describe('repeated statements', () => {
  it('are prepared from their second run on, with the same answers for other values', async () => {
    const text = 'select $1::int * 2 as doubled';
    const answers = [];
    for (const value of [1, 2, 3]) answers.push((await pool.query({ text, values: [value] })).rows[0]);
    expect(answers).toEqual([{ doubled: 2 }, { doubled: 4 }, { doubled: 6 }]);
    expect(await prepared()).toContain(text);
    // One run only, and text passed as a plain string: left as they were.
    await pool.query({ text: 'select 41 + 1 as once' });
    await pool.query('select 40 + 2 as plain');
    await pool.query('select 40 + 2 as plain');
    const statements = await prepared();
    expect(statements).not.toContain('select 41 + 1 as once');
    expect(statements).not.toContain('select 40 + 2 as plain');
  });

  it('stay at a bounded number however many distinct texts repeat', async () => {
    for (let round = 0; round < 2; round++) {
      for (let n = 0; n < 450; n++) await pool.query({ text: `select ${n} as n` });
    }
    const statements = await prepared();
    expect(statements.length).toBeLessThanOrEqual(400);
    expect(statements.length).toBeGreaterThan(300);
    expect((await pool.query({ text: 'select 449 as n' })).rows).toEqual([{ n: 449 }]);
  });
});

describe('with prepared statements off', () => {
  it('runs even a statement its caller named unnamed, with the same answers', async () => {
    const unprepared = new pg.Pool({ connectionString: database.url, max: 1 });
    runUnprepared(unprepared);
    try {
      const text = 'select $1::int + 1 as next';
      const answers = [];
      for (const value of [1, 2])
        answers.push((await unprepared.query({ name: 'named_next', text, values: [value] })).rows[0]);
      expect(answers).toEqual([{ next: 2 }, { next: 3 }]);
      const kept = await unprepared.query<{ name: string }>('select name from pg_prepared_statements');
      expect(kept.rows).toEqual([]);
    } finally {
      await unprepared.end();
    }
  });
});
