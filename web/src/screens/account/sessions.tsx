import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'preact/hooks';
import { api, setCsrfToken } from '../../api.js';
import { navigate } from '../../router.js';
import { SESSION_KEY } from '../../session.js';
import type { DashboardSessions } from '../../types-account.js';
import { Confirm, when } from './confirm.js';

export const SESSIONS_KEY = ['account', 'sessions'] as const;

/** "Firefox on Android" from a User-Agent header, or the header itself when it names nothing known. */
export function browserName(userAgent: string | null): string {
  if (!userAgent) return 'Unknown browser';
  const browser =
    [
      ['Edg/', 'Edge'],
      ['OPR/', 'Opera'],
      ['Firefox/', 'Firefox'],
      ['Chrome/', 'Chrome'],
      ['Safari/', 'Safari'],
    ].find(([mark]) => userAgent.includes(mark!))?.[1] ?? null;
  const system =
    [
      ['Android', 'Android'],
      ['iPhone', 'iPhone'],
      ['iPad', 'iPad'],
      ['Windows', 'Windows'],
      ['Mac OS X', 'macOS'],
      ['CrOS', 'ChromeOS'],
      ['Linux', 'Linux'],
    ].find(([mark]) => userAgent.includes(mark!))?.[1] ?? null;
  if (!browser) return userAgent.slice(0, 60);
  return system ? `${browser} on ${system}` : browser;
}

/** Where this person is signed in, and the way to sign out of all of it. */
export function Sessions() {
  const client = useQueryClient();
  const sessions = useQuery({
    queryKey: SESSIONS_KEY,
    queryFn: () => api<DashboardSessions>('GET', '/api/v1/auth/sessions/'),
  });
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const signOutEverywhere = async () => {
    setBusy(true);
    setError(null);
    try {
      await api('DELETE', '/api/v1/auth/sessions/');
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : 'Signing out failed.');
      setBusy(false);
      return;
    }
    setCsrfToken(null);
    client.clear();
    client.setQueryData(SESSION_KEY, null);
    navigate('/sign-in', true);
  };

  const rows = sessions.data?.results ?? [];
  return (
    <section class="card" aria-labelledby="sessions-heading">
      <h2 id="sessions-heading">Where you are signed in</h2>
      {sessions.isError && (
        <p class="error" role="alert">
          {sessions.error.message}
        </p>
      )}
      {rows.length > 0 && (
        <div class="table-scroll" tabIndex={0} role="region" aria-label="Sign-ins">
          <table class="data">
            <caption class="visually-hidden">Your dashboard sign-ins, most recently used first</caption>
            <thead>
              <tr>
                <th scope="col">Browser</th>
                <th scope="col">Signed in</th>
                <th scope="col">Last used</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.id}>
                  <td>
                    {browserName(row.user_agent)}
                    {row.current && <span class="this-one">This browser</span>}
                  </td>
                  <td class="when">{when(row.created_at)}</td>
                  <td class="when">{when(row.last_seen_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p class="hint">
        Signing out everywhere ends every sign-in above, this one too, and closes their open inboxes. API tokens keep
        working.
      </p>
      <div class="form-actions">
        <button type="button" class="secondary" onClick={() => setAsking(true)}>
          Sign out everywhere
        </button>
      </div>
      <p class="error" role="alert">
        {error}
      </p>
      <Confirm
        open={asking}
        title="Sign out everywhere?"
        action="Sign out everywhere"
        busy={busy}
        onConfirm={() => void signOutEverywhere()}
        onCancel={() => setAsking(false)}
      >
        <p>
          Every browser signed in as you, this one included, goes back to the sign-in page. You will need your password
          to sign in again.
        </p>
      </Confirm>
    </section>
  );
}
