import { useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { api, ApiError, setCsrfToken } from './api.js';
import type { Session } from './types.js';

export const SESSION_KEY = ['session'] as const;

/** Who is signed in, or null: asked once on load, set by sign-in, cleared by sign-out or a 401. */
export function useSession() {
  return useQuery({
    queryKey: SESSION_KEY,
    staleTime: Infinity,
    retry: false,
    queryFn: async (): Promise<Session | null> => {
      try {
        const session = await api<Session>('GET', '/api/v1/auth/session/', undefined, { expectUnauthorized: true });
        setCsrfToken(session.csrf_token);
        return session;
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) return null;
        throw error;
      }
    },
  });
}

/** Who is signed in now; a "who is it?" question still on its way (asked before the cookie was set) is dropped. */
export async function rememberSession(client: QueryClient, session: Session): Promise<void> {
  await client.cancelQueries({ queryKey: SESSION_KEY });
  client.setQueryData(SESSION_KEY, session);
}

export async function signIn(username: string, password: string): Promise<Session> {
  const session = await api<Session>(
    'POST',
    '/api/v1/auth/session/',
    { username, password },
    { expectUnauthorized: true },
  );
  setCsrfToken(session.csrf_token);
  return session;
}

/** Spends a one-time sign-in link's token for a session. */
export async function signInWithLink(token: string): Promise<Session> {
  const session = await api<Session>('POST', '/api/v1/auth/session/link/', { token }, { expectUnauthorized: true });
  setCsrfToken(session.csrf_token);
  return session;
}

export function useSignOut() {
  const client = useQueryClient();
  return async () => {
    await api('DELETE', '/api/v1/auth/session/', undefined, { expectUnauthorized: true }).catch(() => undefined);
    setCsrfToken(null);
    client.clear();
    client.setQueryData(SESSION_KEY, null);
  };
}
