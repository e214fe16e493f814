import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken, findUser, liveTokenIds, revokeAnyToken } from '../../src/auth/auth.service.js';
import { createTokenRevocations } from '../../src/events/revocations.js';
import { createLocalPubSub } from '../../src/infra/pubsub.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const DAY_MS = 86_400_000;

interface TokenItem {
  id: string;
  name: string;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  expired: boolean;
  current: boolean;
}

async function signIn(username: string, password: string): Promise<string> {
  const response = await t.app.inject({ method: 'POST', url: '/api/v1/auth/token/', payload: { username, password } });
  expect(response.statusCode).toBe(200);
  return response.json<{ token: string }>().token;
}

async function tokensOf(token: string): Promise<TokenItem[]> {
  const response = await t.as(token, { method: 'GET', url: '/api/v1/auth/tokens/' });
  expect(response.statusCode).toBe(200);
  const body = response.json<{ count: number; next: null; previous: null; results: TokenItem[] }>();
  expect(body.count).toBe(body.results.length);
  return body.results;
}

const me = (token: string) => t.as(token, { method: 'GET', url: '/api/v1/auth/me/' });

describe('GET /api/v1/auth/tokens/', () => {
  it("lists the signed-in user's tokens, newest first, and never a token or its hash", async () => {
    const first = await t.signUp('lister', { password: 'correct horse' });
    const second = await signIn('lister', 'correct horse');
    const stranger = await t.signUp('stranger');

    const response = await t.as(second, { method: 'GET', url: '/api/v1/auth/tokens' });
    expect(response.statusCode).toBe(200);
    for (const secret of [first, second, first.slice(4, 16), second.slice(4, 16), stranger]) {
      expect(response.body).not.toContain(secret);
    }
    expect(response.body).not.toMatch(/[0-9a-f]{64}/);

    const tokens = await tokensOf(second);
    expect(tokens.map((token) => [token.name, token.current])).toEqual([
      ['sign-in', true],
      ['test', false],
    ]);
    expect(Object.keys(tokens[0]!).sort()).toEqual([
      'created_at',
      'current',
      'expired',
      'expires_at',
      'id',
      'last_used_at',
      'name',
    ]);
    // Used by the two listings just made; the first token has not been presented yet.
    expect(tokens[0]!.last_used_at).not.toBeNull();
    expect(tokens[1]).toMatchObject({ last_used_at: null, expires_at: null, expired: false });

    const theirs = await tokensOf(stranger);
    expect(theirs).toHaveLength(1);
    expect(theirs[0]).toMatchObject({ name: 'test', current: true });
    expect(tokens.map((token) => token.id)).not.toContain(theirs[0]!.id);
  });

  it('gives a sign-in token 30 days by default, and a CLI-style token no expiry', async () => {
    const token = await t.signUp('thirty', { password: 'correct horse' });
    await signIn('thirty', 'correct horse');
    const [signedIn, created] = await tokensOf(token);
    expect(signedIn!.name).toBe('sign-in');
    const lifetime = Date.parse(signedIn!.expires_at!) - Date.parse(signedIn!.created_at);
    expect(Math.abs(lifetime - 30 * DAY_MS)).toBeLessThan(60_000);
    expect(created!.expires_at).toBeNull();
  });

  it('needs a token', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/v1/auth/tokens/' });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ code: 'not_authenticated' });
  });
});

describe('DELETE /api/v1/auth/tokens/{id}/', () => {
  it('revokes one of your tokens at once, even one this server has just checked, and leaves the others working', async () => {
    const keeper = await t.signUp('revoker', { password: 'correct horse' });
    const doomed = await signIn('revoker', 'correct horse');
    // Checked, and so remembered by the token cache.
    expect((await me(doomed)).statusCode).toBe(200);
    const doomedId = (await tokensOf(doomed)).find((token) => token.current)!.id;

    const revoked = await t.as(keeper, { method: 'DELETE', url: `/api/v1/auth/tokens/${doomedId}/` });
    expect(revoked.statusCode).toBe(204);
    expect(revoked.body).toBe('');

    const refused = await me(doomed);
    expect(refused.statusCode).toBe(401);
    expect(refused.json()).toEqual({ detail: 'The token is invalid or has been revoked.', code: 'invalid_token' });
    expect((await me(keeper)).statusCode).toBe(200);
    expect((await tokensOf(keeper)).map((token) => token.id)).not.toContain(doomedId);

    const again = await t.as(keeper, { method: 'DELETE', url: `/api/v1/auth/tokens/${doomedId}/` });
    expect(again.statusCode).toBe(404);
  });

  it("answers 404 for another user's token and leaves it working", async () => {
    const mine = await t.signUp('curious');
    const theirs = await t.signUp('victim');
    const theirId = (await tokensOf(theirs))[0]!.id;

    const response = await t.as(mine, { method: 'DELETE', url: `/api/v1/auth/tokens/${theirId}` });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ detail: 'No such token.', code: 'not_found' });
    expect((await me(theirs)).statusCode).toBe(200);
    expect((await me(mine)).statusCode).toBe(200);
  });

  it('may revoke the token presented, which then stops working', async () => {
    const token = await t.signUp('self');
    const id = (await tokensOf(token))[0]!.id;
    expect((await t.as(token, { method: 'DELETE', url: `/api/v1/auth/tokens/${id}/` })).statusCode).toBe(204);
    expect((await me(token)).statusCode).toBe(401);
  });
});

describe('expired tokens', () => {
  it('are refused with 401 like revoked ones, listed as expired, and may still be revoked', async () => {
    const live = await t.signUp('expiring');
    const user = (await findUser(t.db, 'expiring'))!;
    const expired = await createApiToken(t.db, user.id, 'old laptop', { expiresAt: new Date(Date.now() - 1_000) });
    const later = await createApiToken(t.db, user.id, 'next week', { expiresAt: new Date(Date.now() + 7 * DAY_MS) });

    const refused = await me(expired);
    expect(refused.statusCode).toBe(401);
    expect(refused.json()).toMatchObject({ code: 'invalid_token' });
    expect((await me(later)).statusCode).toBe(200);
    expect((await me(live)).statusCode).toBe(200);

    const tokens = await tokensOf(live);
    const old = tokens.find((token) => token.name === 'old laptop')!;
    expect(old.expired).toBe(true);
    expect(tokens.find((token) => token.name === 'next week')!.expired).toBe(false);

    expect((await t.as(live, { method: 'DELETE', url: `/api/v1/auth/tokens/${old.id}/` })).statusCode).toBe(204);
    expect((await tokensOf(live)).map((token) => token.name)).not.toContain('old laptop');
  });
});

describe('PARLEY_SIGN_IN_TOKEN_DAYS', () => {
  it('sets how long a sign-in token lasts', async () => {
    const short = await createTestApp({ env: { PARLEY_SIGN_IN_TOKEN_DAYS: '7' } });
    try {
      const token = await short.signUp('weekly', { password: 'correct horse' });
      const response = await short.app.inject({
        method: 'POST',
        url: '/api/v1/auth/token/',
        payload: { username: 'weekly', password: 'correct horse' },
      });
      expect(response.statusCode).toBe(200);
      const list = await short.as(token, { method: 'GET', url: '/api/v1/auth/tokens/' });
      const signedIn = list.json<{ results: TokenItem[] }>().results.find((item) => item.name === 'sign-in')!;
      const lifetime = Date.parse(signedIn.expires_at!) - Date.parse(signedIn.created_at);
      expect(Math.abs(lifetime - 7 * DAY_MS)).toBeLessThan(60_000);
    } finally {
      await short.close();
    }
  });
});

describe("the operator's revoke (what `parley token revoke` runs)", () => {
  it("revokes any business's token by id, says whose it was and announces it; an unknown id changes nothing", async () => {
    const token = await t.signUp('opal');
    const keep = await createApiToken(t.db, (await findUser(t.db, 'opal'))!.id, 'other');
    const idOf = async (presented: string) => (await tokensOf(presented)).find((item) => item.current)!.id;
    const [revokedId, keptId] = [await idOf(token), await idOf(keep)];
    const announced: string[][] = [];
    const revocations = createTokenRevocations(createLocalPubSub());
    revocations.subscribe((ids) => announced.push(ids));
    try {
      expect(await revokeAnyToken(t.db, 'no-such-token', revocations)).toBeUndefined();
      expect(announced).toEqual([]);
      expect(await liveTokenIds(t.db, [revokedId, keptId])).toEqual(new Set([revokedId, keptId]));

      expect(await revokeAnyToken(t.db, revokedId, revocations)).toMatchObject({ id: revokedId, username: 'opal' });
      expect(announced).toEqual([[revokedId]]);
      expect(await liveTokenIds(t.db, [revokedId, keptId])).toEqual(new Set([keptId]));
      expect(await liveTokenIds(t.db, [])).toEqual(new Set());
      expect((await t.as(token, { method: 'GET', url: '/api/v1/auth/me/' })).statusCode).toBe(401);
      expect((await t.as(keep, { method: 'GET', url: '/api/v1/auth/me/' })).json()).toMatchObject({ username: 'opal' });
    } finally {
      await revocations.close();
    }
  });
});
