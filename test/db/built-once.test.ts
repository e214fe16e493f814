import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtOnce } from '../../src/db/built-once.js';
import { rowsOf, type Database } from '../../src/db/client.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

let database: TestDatabase;
let db: Database;

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.handle.db;
  await db.execute(sql`create table built_once_notes (id text primary key, body text)`);
});
afterAll(() => database.drop());

const greeting = builtOnce('test_greeting');
const shout = () => sql`select upper(${sql.placeholder('name')}::text) as said`;
const say = () => sql`select ${sql.placeholder('name')}::text as said`;
const said = async (shape: 'shout' | 'say', name: string) =>
  rowsOf<{ said: string }>(await greeting(db, shape, shape === 'shout' ? shout : say, { name }))[0]?.said;

const addNote = builtOnce('test_add_note');
const insertNote = () =>
  sql`insert into built_once_notes (id, body) values (${sql.placeholder('id')}, ${sql.placeholder('body')})`;
const notes = async (handle: Database = db) =>
  rowsOf<{ id: string; body: string | null }>(
    await handle.execute(sql`select id, body from built_once_notes order by id`),
  );

describe('a statement built once per shape', () => {
  it("runs each shape's own SQL with each call's values, building each shape once", async () => {
    let builds = 0;
    const counted = builtOnce('test_counted');
    const run = async (shape: 'shout' | 'say', name: string) => {
      const result = await counted(
        db,
        shape,
        () => {
          builds += 1;
          return shape === 'shout' ? shout() : say();
        },
        { name },
      );
      return rowsOf<{ said: string }>(result)[0]?.said;
    };
    expect(await run('say', 'sunday')).toBe('sunday');
    expect(await run('shout', 'monday')).toBe('MONDAY');
    expect(await run('say', 'tuesday')).toBe('tuesday');
    expect(await run('shout', 'wednesday')).toBe('WEDNESDAY');
    expect(builds).toBe(2);
    // Two statements with shapes of the same key do not mix.
    expect(await said('shout', 'open')).toBe('OPEN');
    expect(await said('say', 'closed')).toBe('closed');
  });

  it('writes within the transaction it is given: kept when it commits, gone when it rolls back', async () => {
    await db.transaction(async (tx) => {
      await addNote(tx, 'plain', insertNote, { id: 'kept', body: 'open at 9' });
    });
    await expect(
      db.transaction(async (tx) => {
        await addNote(tx, 'plain', insertNote, { id: 'undone', body: null });
        expect((await notes(tx)).map((note) => note.id)).toEqual(['kept', 'undone']);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await notes()).toEqual([{ id: 'kept', body: 'open at 9' }]);
  });

  it('refuses a call that leaves a placeholder without a value, and runs the next one', async () => {
    await expect(addNote(db, 'plain', insertNote, { id: 'no-body' })).rejects.toThrow(/"body"/);
    await addNote(db, 'plain', insertNote, { id: 'with-body', body: 'closed on Sunday' });
    expect(await notes()).toContainEqual({ id: 'with-body', body: 'closed on Sunday' });
    expect((await notes()).map((note) => note.id)).not.toContain('no-body');
  });
});
