/**
 * Many businesses at once, as an operator creates them: one administrator by
 * the CLI, then each business from the admin API, its owner's sign-in for a
 * token, and its AI switched on. Two CLI runs per business (as createBusiness
 * in ./setup.ts does) take about a second each; a thousand businesses here take
 * seconds. The server must run with a low PARLEY_PASSWORD_COST and no sign-in
 * limit (see businessesEnv): hashing is not what the benches measure.
 */
import { parleyCli, PASSWORD } from './setup.js';

/** What the server needs so that creating and signing in many businesses is quick. */
export const businessesEnv = {
  // scrypt's lowest cost: a sign-in per business, and the hash is not what is measured.
  PARLEY_PASSWORD_COST: '10',
  PARLEY_SIGN_INS_PER_MINUTE: '0',
} as const;

/** Requests in flight while creating businesses. */
const IN_FLIGHT = 8;

async function call(port: number, method: string, url: string, token: string | undefined, body: unknown) {
  const response = await fetch(`http://127.0.0.1:${port}${url}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} ${url} answered ${response.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** Creates `count` businesses named `<prefix>-<n>` with their AI on; returns each one's token, in order. */
export async function createBusinesses(
  env: Record<string, string>,
  port: number,
  prefix: string,
  count: number,
): Promise<string[]> {
  const cli = parleyCli(env);
  const admin = `${prefix}-admin`;
  await cli('createuser', admin, '--password', PASSWORD, '--admin');
  const adminToken = (await cli('token', 'create', admin)).trim();
  const tokens: string[] = new Array<string>(count);
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const index = next++;
      const username = `${prefix}-${index}`;
      const created = await call(port, 'POST', '/api/v1/admin/businesses/', adminToken, { username });
      const signedIn = await call(port, 'POST', '/api/v1/auth/token/', undefined, {
        username,
        password: created.password,
      });
      const token = String(signedIn.token);
      await call(port, 'PUT', '/api/v1/ai/config/', token, { auto_response_enabled: true });
      tokens[index] = token;
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  return tokens;
}
