import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/client.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { testDatabaseKind } from '../helpers/database.js';
import { asSession, sessionRow, signInSession, type BrowserSession } from '../helpers/sessions.js';

/**
 * A dashboard session ends when left idle (PARLEY_DASHBOARD_IDLE_HOURS) and, however much it
 * is used, once it is PARLEY_DASHBOARD_MAX_DAYS old. The database's clock decides, so the
 * tests move a session's times back rather than wait.
 */
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ env: { PARLEY_DASHBOARD_IDLE_HOURS: '24', PARLEY_DASHBOARD_MAX_DAYS: '3' } });
  await t.signUp('pat', { password: 'pat-password' });
});
afterAll(() => t.close());

const signIn = () => signInSession(t.app, 'pat', 'pat-password');
const me = (session: BrowserSession) => asSession(t.app, session, { method: 'GET', url: '/api/v1/auth/me/' });

/** Hours from now until the session expires if left unused. */
async function hoursLeft(session: BrowserSession): Promise<number> {
  const [row] = rowsOf<{ left: number }>(
    await t.db.execute(sql`select extract(epoch from expires_at - now()) / 3600 as left
      from dashboard_sessions where token_hash = ${sessionRow(session)}`),
  );
  return Number(row!.left);
}

/** Moves the session's sign-in `age` back, as if it had been signed in that long ago and used a minute ago. */
async function age(session: BrowserSession, interval: string): Promise<void> {
  await t.db.execute(sql`update dashboard_sessions
    set created_at = now() - ${interval}::interval, last_seen_at = now() - interval '2 minutes'
    where token_hash = ${sessionRow(session)}`);
}

describe(`a session's absolute lifetime (${testDatabaseKind})`, () => {
  it('is refused once PARLEY_DASHBOARD_MAX_DAYS old, however recently it was used', async () => {
    const young = await signIn();
    const old = await signIn();
    await age(young, '2 days 23 hours');
    await age(old, '3 days 1 minute');
    // Both were used two minutes ago, well within the idle allowance; only one is too old.
    const refused = await me(old);
    expect([refused.statusCode, refused.json<{ code: string }>().code]).toEqual([401, 'not_authenticated']);
    expect((await me(young)).statusCode).toBe(200);
  });

  it('moves the idle expiry forward on use, but never past sign-in plus the lifetime', async () => {
    const fresh = await signIn();
    expect(await hoursLeft(fresh)).toBeGreaterThan(23.9);
    expect(await hoursLeft(fresh)).toBeLessThanOrEqual(24);

    const nearlyDone = await signIn();
    await age(nearlyDone, '2 days 22 hours');
    expect((await me(nearlyDone)).statusCode).toBe(200);
    // Used now: 24 idle hours would reach past the three days, so the lifetime's end (in 2 hours) wins.
    expect(await hoursLeft(nearlyDone)).toBeGreaterThan(1.9);
    expect(await hoursLeft(nearlyDone)).toBeLessThanOrEqual(2);
  });

  it('is not listed among the live sessions once too old', async () => {
    const current = await signIn();
    const old = await signIn();
    const [row] = rowsOf<{ id: string }>(
      await t.db.execute(sql`select id from dashboard_sessions where token_hash = ${sessionRow(old)}`),
    );
    const listed = async () =>
      (await asSession(t.app, current, { method: 'GET', url: '/api/v1/auth/sessions/' }))
        .json<{ results: { id: string }[] }>()
        .results.map((session) => session.id);
    expect(await listed()).toContain(row!.id);
    await age(old, '3 days 1 minute');
    expect(await listed()).not.toContain(row!.id);
    expect((await listed()).length).toBeGreaterThan(0);
  });
});
