import { sql } from 'drizzle-orm';
import { bigint, integer, jsonb, numeric, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgliteSnapshot } from '../../test/helpers/pglite-snapshots.js';
import { openPglite, rowsOf, type DatabaseHandle } from './client.js';

const notes = pgTable('thread_notes', {
  id: integer().primaryKey(),
  at: timestamp({ withTimezone: true, mode: 'date' }),
  atText: timestamp({ withTimezone: true, mode: 'string' }),
  data: jsonb(),
  big: bigint({ mode: 'bigint' }),
  price: numeric(),
  tags: text().array(),
});

const CREATE = sql`create table thread_notes (
  id integer primary key, at timestamptz, at_text timestamptz, data jsonb, big bigint, price numeric, tags text[])`;
const note = {
  id: 1,
  at: new Date('2026-03-04T05:06:07.089Z'),
  atText: '2026-03-04 05:06:07.089+00',
  data: { text: 'Hello', list: [1, 'two', null], nested: { ok: true } },
  big: 9007199254740993n,
  price: '12.50',
  tags: ['a', 'b "quoted"', 'c,d'],
};

/** Every kind of value the app reads, in each of Drizzle's two row modes. */
async function readBack(handle: DatabaseHandle) {
  const selected = await handle.db.select().from(notes);
  const raw = rowsOf(
    await handle.db.execute(
      sql`select *, now() - now() as span, current_date - current_date as days, '\\x00ff'::bytea as bytes,
        array[at] as moments, count(*) over () as total from thread_notes`,
    ),
  );
  return { selected, raw };
}

describe('the embedded database on a thread of its own', () => {
  let own: DatabaseHandle;
  let caller: DatabaseHandle;

  beforeAll(async () => {
    const migrated = await pgliteSnapshot('migrated');
    [own, caller] = await Promise.all([
      openPglite('memory://', { loadDataDir: migrated, thread: 'own' }),
      openPglite('memory://', { loadDataDir: migrated, thread: 'caller' }),
    ]);
    for (const handle of [own, caller]) {
      await handle.db.execute(CREATE);
      await handle.db.insert(notes).values(note);
    }
  });

  afterAll(async () => {
    await Promise.all([own?.close(), caller?.close()]);
  });

  it('gives back every value as PGlite on the same thread does', async () => {
    const [fromThread, fromCaller] = await Promise.all([readBack(own), readBack(caller)]);
    expect(fromThread.selected).toEqual([note]);
    expect(fromThread.raw[0]).toMatchObject({ big: note.big, data: note.data, bytes: new Uint8Array([0, 255]) });
    expect(fromThread).toEqual(fromCaller);
  });

  it('keeps timers running while a query runs', async () => {
    let ticks = 0;
    let running = true;
    const tick = () => {
      ticks++;
      if (running) setImmediate(tick);
    };
    setImmediate(tick);
    await own.db.execute(sql`select pg_sleep(1)`);
    const during = ticks;
    running = false;
    expect(during).toBeGreaterThan(0);
  });

  it('rolls back a transaction whose work fails, and keeps other statements out of it', async () => {
    let outside: Promise<unknown> | undefined;
    await expect(
      own.db.transaction(async (tx) => {
        await tx.insert(notes).values({ id: 2 });
        // Sent while the transaction is open: it must not run inside it and see the uncommitted row.
        outside = own.db.select().from(notes);
        await tx.execute(sql`select 1`);
        throw new Error('the work failed');
      }),
    ).rejects.toThrow('the work failed');
    expect(await outside).toEqual([note]);
    expect(await own.db.select({ id: notes.id }).from(notes)).toEqual([{ id: 1 }]);
  });

  it('commits a transaction, with a failed savepoint inside it undone alone', async () => {
    await own.db.transaction(async (tx) => {
      await tx.insert(notes).values({ id: 3 });
      await expect(
        tx.transaction(async (inner) => {
          await inner.insert(notes).values({ id: 4 });
          throw new Error('inner failed');
        }),
      ).rejects.toThrow('inner failed');
    });
    expect(await own.db.select({ id: notes.id }).from(notes).orderBy(notes.id)).toEqual([{ id: 1 }, { id: 3 }]);
    await own.db.delete(notes).where(sql`${notes.id} <> 1`);
  });

  it("keeps PostgreSQL's error fields, as PGlite's own errors have them", async () => {
    const failure = async (handle: DatabaseHandle) => {
      const error = await handle.db
        .insert(notes)
        .values({ id: 1 })
        .then(() => undefined)
        .catch((caught: unknown) => caught);
      const cause = (error as { cause?: Record<string, unknown> }).cause;
      return { code: cause?.code, severity: cause?.severity, constraint: cause?.constraint, detail: cause?.detail };
    };
    const fromThread = await failure(own);
    expect(fromThread).toEqual({
      code: '23505',
      severity: 'ERROR',
      constraint: 'thread_notes_pkey',
      detail: 'Key (id)=(1) already exists.',
    });
    expect(fromThread).toEqual(await failure(caller));
  });

  it('lets a transaction open at close finish, and refuses anything new', async () => {
    const handle = await openPglite('memory://', { loadDataDir: await pgliteSnapshot('migrated'), thread: 'own' });
    let closing: Promise<void> | undefined;
    const inside = await handle.db.transaction(async (tx) => {
      closing = handle.close();
      await expect(handle.ping()).rejects.toThrow('closed');
      return rowsOf<{ answer: number }>(await tx.execute(sql`select 42 as answer`));
    });
    expect(inside).toEqual([{ answer: 42 }]);
    await closing;
    await expect(handle.ping()).rejects.toThrow('closed');
  });
});
