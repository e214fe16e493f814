import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api.js';
import { navigate, safeNext } from './router.js';
import { rememberSession, signIn, signInWithLink } from './session.js';

/** The token of a one-time sign-in link (`/sign-in#link=…`), taken out of the address bar. */
function takeLinkToken(): string | null {
  const match = /^#link=([\w-]+)$/.exec(location.hash);
  if (!match) return null;
  history.replaceState(null, '', location.pathname + location.search);
  return match[1]!;
}

export function SignIn({ next, signedIn }: { next: string | null; signedIn: boolean }) {
  const client = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const username = useRef<HTMLInputElement>(null);
  const [link, setLink] = useState(takeLinkToken);
  // A link opened while this page is already showing changes only the fragment: no new page load.
  useEffect(() => {
    const changed = () => {
      const token = takeLinkToken();
      if (token) setLink(token);
    };
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  useEffect(() => {
    document.title = 'Sign in · Parley';
    if (link) return;
    if (signedIn) navigate(safeNext(next), true);
    else username.current?.focus();
  }, [signedIn, next, link]);

  // A one-time link signs in by itself; if it is spent, the form is there with the reason.
  useEffect(() => {
    if (!link) return;
    setBusy(true);
    signInWithLink(link)
      .then((session) => rememberSession(client, session))
      .then(() => navigate(safeNext(next), true))
      .catch((caught: unknown) => {
        setError(caught instanceof Error ? caught.message : 'Signing in with the link failed.');
        setBusy(false);
        username.current?.focus();
      });
  }, [link]);

  const submit = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    setBusy(true);
    setError(null);
    try {
      const session = await signIn(field(form, 'username'), field(form, 'password'));
      await rememberSession(client, session);
      navigate(safeNext(next), true);
    } catch (caught) {
      setError(
        caught instanceof ApiError && caught.status === 401
          ? 'That username and password do not match. Try again.'
          : caught instanceof Error
            ? caught.message
            : 'Signing in failed.',
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="centered sign-in">
      <h1>Sign in to Parley</h1>
      <form onSubmit={(event) => void submit(event)} aria-describedby={error ? 'sign-in-error' : undefined}>
        <label for="username">Username</label>
        <input id="username" name="username" autocomplete="username" required ref={username} />
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required />
        <p id="sign-in-error" class="error" role="alert">
          {error}
        </p>
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p class="hint">
        No account yet? Create one with <code>npx parley createuser</code>.
      </p>
    </main>
  );
}

function field(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === 'string' ? value : '';
}
