import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';

/**
 * Password guessing: after three failures a username is locked for a minute,
 * each further failure doubles that, and a success forgets the failures. The
 * clock is faked, so a lock-out ends when the test says so.
 */
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({
    env: {
      PARLEY_SIGN_IN_FAILURES: '3',
      PARLEY_SIGN_IN_LOCKOUT_SECONDS: '60',
      PARLEY_SIGN_IN_LOCKOUT_MAX_SECONDS: '300',
    },
  });
  await t.signUp('rosa', { password: 'rosa-real-password' });
  await t.signUp('bruno', { password: 'bruno-real-password' });
  await t.signUp('carla', { password: 'carla-real-password' });
});
afterAll(() => t.close());
afterEach(() => vi.useRealTimers());

const signIn = (username: string, password: string, remoteAddress = '127.0.0.1') =>
  t.app.inject({ method: 'POST', url: '/api/v1/auth/token/', payload: { username, password }, remoteAddress });

const later = (seconds: number) => vi.setSystemTime(Date.now() + seconds * 1000);

describe('a username under a password-guessing attack', () => {
  it('is locked after three failures, refusing even the right password, each further failure doubling the wait', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    for (let i = 0; i < 3; i++) {
      expect((await signIn('rosa', `guess ${i}`)).json()).toMatchObject({ code: 'invalid_credentials' });
    }

    const guess = await signIn('rosa', 'guess 4');
    expect(guess.statusCode).toBe(429);
    expect(guess.headers['retry-after']).toBe('60');
    expect(guess.json()).toEqual({
      detail: 'Too many failed sign-ins for this username. Try again in 60 seconds.',
      code: 'rate_limited',
    });
    const right = await signIn('rosa', 'rosa-real-password');
    expect([right.statusCode, right.headers['retry-after']]).toEqual([429, '60']);
    // Another account, from the same address, is not affected.
    expect((await signIn('bruno', 'bruno-real-password')).statusCode).toBe(200);

    later(45);
    expect((await signIn('rosa', 'rosa-real-password')).headers['retry-after']).toBe('15');

    // When the lock-out ends one more guess is checked; it fails and the next wait is twice as long.
    later(16);
    expect((await signIn('rosa', 'guess 5')).statusCode).toBe(401);
    const doubled = await signIn('rosa', 'rosa-real-password');
    expect([doubled.statusCode, doubled.headers['retry-after']]).toEqual([429, '120']);

    later(121);
    const after = await signIn('rosa', 'rosa-real-password');
    expect(after.statusCode).toBe(200);
    expect(after.json<{ token: string }>().token).toMatch(/^prl_/);

    // The success forgot the failures: two wrong passwords are only wrong again.
    expect((await signIn('rosa', 'typo one')).statusCode).toBe(401);
    expect((await signIn('rosa', 'typo two')).statusCode).toBe(401);
    expect((await signIn('rosa', 'rosa-real-password')).statusCode).toBe(200);
  });

  it('lets only the allowed guesses through when they all arrive at once', async () => {
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => signIn('bruno', `parallel guess ${i}`)));
    const statuses = answers.map((answer) => answer.statusCode).sort();
    expect(statuses).toEqual([401, 401, 401, 429, 429, 429, 429, 429, 429, 429]);
    expect(answers.find((answer) => answer.statusCode === 429)?.json()).toMatchObject({ code: 'rate_limited' });
    expect((await signIn('bruno', 'bruno-real-password')).statusCode).toBe(429);
  });

  it('is locked the same way when it does not exist, so a lock-out tells nothing about who has an account', async () => {
    for (let i = 0; i < 3; i++) expect((await signIn('nobody-here', `guess ${i}`)).statusCode).toBe(401);
    const locked = await signIn('nobody-here', 'guess 4');
    expect([locked.statusCode, locked.headers['retry-after']]).toEqual([429, '60']);
    expect(locked.json()).toMatchObject({ code: 'rate_limited' });
    expect((await signIn('carla', 'carla-real-password')).statusCode).toBe(200);
  });
});

describe('sign-ins from one address', () => {
  let limited: TestApp;
  beforeAll(async () => {
    limited = await createTestApp({ env: { PARLEY_SIGN_INS_PER_MINUTE: '3' } });
    await limited.signUp('dora', { password: 'dora-real-password' });
  });
  afterAll(() => limited.close());

  const attempt = (password: string, remoteAddress: string) =>
    limited.app.inject({
      method: 'POST',
      url: '/api/v1/auth/token/',
      payload: { username: 'dora', password },
      remoteAddress,
    });

  it('are refused past the limit, whatever the username, while other addresses and the health checks still answer', async () => {
    expect((await attempt('wrong one', '203.0.113.7')).statusCode).toBe(401);
    expect((await attempt('wrong two', '203.0.113.7')).statusCode).toBe(401);
    expect((await attempt('dora-real-password', '203.0.113.7')).statusCode).toBe(200);

    const refused = await attempt('dora-real-password', '203.0.113.7');
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(refused.json()).toMatchObject({ code: 'rate_limited', detail: expect.stringMatching(/^Too many sign-ins/) });

    expect((await attempt('dora-real-password', '203.0.113.8')).statusCode).toBe(200);
    for (const url of ['/healthz', '/readyz']) {
      expect((await limited.app.inject({ method: 'GET', url, remoteAddress: '203.0.113.7' })).statusCode).toBe(200);
    }
  });
});

describe('sign-ins behind a reverse proxy listed in PARLEY_TRUSTED_PROXIES', () => {
  const PROXY = '10.1.0.5';
  let proxied: TestApp;
  beforeAll(async () => {
    proxied = await createTestApp({ env: { PARLEY_SIGN_INS_PER_MINUTE: '2', PARLEY_TRUSTED_PROXIES: PROXY } });
  });
  afterAll(() => proxied.close());

  const attempt = (remoteAddress: string, forwardedFor: string) =>
    proxied.app
      .inject({
        method: 'POST',
        url: '/api/v1/auth/token/',
        payload: { username: 'erin', password: 'a guess' },
        remoteAddress,
        headers: { 'x-forwarded-for': forwardedFor },
      })
      .then((response) => response.statusCode);

  it('are counted per client the proxy names, and a forged header from elsewhere changes nothing', async () => {
    expect([await attempt(PROXY, '198.51.100.1'), await attempt(PROXY, '198.51.100.1')]).toEqual([401, 401]);
    expect(await attempt(PROXY, '198.51.100.1')).toBe(429);
    expect(await attempt(PROXY, '198.51.100.2')).toBe(401);

    const direct = '203.0.113.9';
    expect([await attempt(direct, '198.51.100.3'), await attempt(direct, '198.51.100.4')]).toEqual([401, 401]);
    expect(await attempt(direct, '198.51.100.5')).toBe(429);
  });
});
