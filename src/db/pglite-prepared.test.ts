import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preparingQuery } from './pglite-prepared.js';

let db: PGlite;
let query: ReturnType<typeof preparingQuery>;

const preparedCount = async () =>
  Number((await db.query<{ n: number }>('select count(*)::int as n from pg_prepared_statements')).rows[0]?.n);

beforeAll(async () => {
  db = await PGlite.create();
  await db.exec(`create table notes (id text primary key, body jsonb, made timestamptz not null default now(), n int)`);
  query = preparingQuery(db);
});
afterAll(() => db.close());

describe("the embedded database's repeated statements", () => {
  it('are prepared at their second run and answer as PGlite does, values and types alike', async () => {
    const insert = 'insert into notes (id, body, n) values ($1, $2, $3) returning id, body, n, made';
    const first = await query(insert, ['a', { sunday: '9-13' }, 1]);
    expect(await preparedCount()).toBe(0);
    const second = await query(insert, ['b', { sunday: 'closed' }, 2]);
    const third = await query(insert, ['c', null, null]);
    expect(await preparedCount()).toBe(1);

    expect(first.rows[0]).toMatchObject({ id: 'a', body: { sunday: '9-13' }, n: 1 });
    expect(second.rows[0]).toMatchObject({ id: 'b', body: { sunday: 'closed' }, n: 2 });
    expect(third.rows[0]).toMatchObject({ id: 'c', body: null, n: null });
    expect(second.rows[0]).toHaveProperty('made', expect.any(Date));
    expect(second.fields.map((field) => field.name)).toEqual(['id', 'body', 'n', 'made']);
    expect(second.affectedRows).toBe(1);

    // As Drizzle asks: rows as arrays, timestamps kept as PostgreSQL's text, every other type as PGlite parses it.
    const select = 'select id, made, body, n from notes where id = $1';
    const keep = { rowMode: 'array' as const, parsers: { 1184: (text: string) => text } };
    await query(select, ['a'], keep);
    const asArray = await query<unknown[]>(select, ['b'], keep);
    expect(asArray.rows).toEqual([
      ['b', expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/), { sunday: 'closed' }, 2],
    ]);
    // Without them, a timestamp is a Date again.
    const parsed = await query<unknown[]>(select, ['b'], { rowMode: 'array' });
    expect(parsed.rows[0]?.[1]).toBeInstanceOf(Date);
  });

  it('fail as PGlite does, and the next statement still runs', async () => {
    const insert = 'insert into notes (id, n) values ($1, $2)';
    await query(insert, ['x', 1]);
    await query(insert, ['y', 2]);
    await expect(query(insert, ['x', 3])).rejects.toMatchObject({ code: '23505', query: insert });
    await expect(query(insert, ['z', 'not a number'])).rejects.toMatchObject({ code: '22P02' });
    await query(insert, ['z', 4]);
    const rows = await query<{ id: string; n: number }>('select id, n from notes where id in ($1, $2, $3)', [
      'x',
      'y',
      'z',
    ]);
    expect(rows.rows.sort((a, b) => a.id.localeCompare(b.id))).toEqual([
      { id: 'x', n: 1 },
      { id: 'y', n: 2 },
      { id: 'z', n: 4 },
    ]);
  });

  it('wait for a transaction to end instead of running inside it', async () => {
    const count = 'select count(*)::int as n from notes where id like $1';
    await query(count, ['t%']);
    await query(count, ['t%']);
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const transaction = db.transaction(async (tx) => {
      await tx.query(`insert into notes (id) values ('t1')`);
      await held;
      await tx.rollback();
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    let counted: number | undefined;
    const outside = query<{ n: number }>(count, ['t%']).then((result) => (counted = result.rows[0]?.n));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(counted).toBeUndefined();
    release();
    await transaction;
    await outside;
    // Run inside the transaction it would have counted its uncommitted row.
    expect(counted).toBe(0);
  });
});
