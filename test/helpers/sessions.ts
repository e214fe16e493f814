import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { sql } from 'drizzle-orm';

/** Dashboard sessions as a browser holds them: the cookie and the CSRF token its writes carry. */
export interface BrowserSession {
  cookie: string;
  csrf: string;
}

/** What the dashboard sends from its own pages (the test app's PUBLIC_URL is http://127.0.0.1:8000 unless set). */
export const ownOrigin = (publicUrl = 'http://127.0.0.1:8000') => ({ origin: new URL(publicUrl).origin });

export async function signInSession(
  app: FastifyInstance,
  username: string,
  password: string,
  headers: Record<string, string> = {},
): Promise<BrowserSession> {
  const response = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/session/',
    payload: { username, password },
    headers,
  });
  if (response.statusCode !== 200) throw new Error(`sign-in failed: ${response.body}`);
  return {
    cookie: String(response.headers['set-cookie']).split(';')[0]!,
    csrf: response.json<{ csrf_token: string }>().csrf_token,
  };
}

/** A request with the session's cookie; writes carry its CSRF token and the dashboard's Origin. */
export function asSession(
  app: FastifyInstance,
  session: BrowserSession,
  request: InjectOptions,
  publicUrl?: string,
): Promise<LightMyRequestResponse> {
  const write = request.method !== undefined && !['GET', 'HEAD'].includes(request.method);
  return app.inject({
    ...request,
    headers: {
      cookie: session.cookie,
      ...(write ? { 'x-csrf-token': session.csrf, ...ownOrigin(publicUrl) } : {}),
      ...request.headers,
    },
  });
}

/** SQL naming the stored row of a session, by the hash of its cookie's value. */
export const sessionRow = (session: BrowserSession) =>
  sql`encode(sha256(convert_to(${session.cookie.split('=')[1]!}, 'UTF8')), 'hex')`;
