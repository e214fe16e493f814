import { QueryClient, QueryClientProvider, useQueryClient } from '@tanstack/react-query';
import { Suspense } from 'preact/compat';
import { useEffect, useRef, useState } from 'preact/hooks';
import { onUnauthorized } from './api.js';
import { applyEvent, catchUp } from './data.js';
import { Inbox } from './inbox/inbox.js';
import { connectLive, type ConnectionState } from './live.js';
import { Link, MainNav } from './nav.js';
import { goToSignIn, navigate, useLocation } from './router.js';
import { findScreen } from './screens.js';
import { SESSION_KEY, useSession, useSignOut } from './session.js';
import { SignIn } from './sign-in.js';
import type { Session } from './types.js';

const client = new QueryClient({
  defaultOptions: { queries: { staleTime: 30_000, refetchOnWindowFocus: false, retry: 1 } },
});

export function App() {
  return (
    <QueryClientProvider client={client}>
      <Screens />
    </QueryClientProvider>
  );
}

function Screens() {
  const { path, params } = useLocation();
  const session = useSession();
  const queryClient = useQueryClient();
  useEffect(() => onUnauthorized(() => queryClient.setQueryData(SESSION_KEY, null)), [queryClient]);
  useEffect(() => {
    if (session.data === null && path !== '/sign-in') goToSignIn();
  }, [session.data, path]);

  if (path === '/sign-in') return <SignIn next={params.get('next')} signedIn={!!session.data} />;
  if (session.isPending) return <p class="loading">Loading…</p>;
  if (session.isError) {
    return (
      <main class="centered">
        <h1>Parley could not be reached</h1>
        <p>{session.error.message}</p>
        <button type="button" onClick={() => void session.refetch()}>
          Try again
        </button>
      </main>
    );
  }
  if (!session.data) return null;
  return <SignedIn session={session.data} path={path} />;
}

const STATE_TEXT: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
};

function SignedIn({ session, path }: { session: Session; path: string }) {
  const conversation = /^\/c\/([^/]+)$/.exec(path);
  const openId = conversation ? decodeURIComponent(conversation[1]!) : null;
  const queryClient = useQueryClient();
  const signOut = useSignOut();
  const [state, setState] = useState<ConnectionState>('connecting');
  const open = useRef(openId);
  open.current = openId;
  useEffect(
    () =>
      connectLive({
        onEvent: (event) => applyEvent(queryClient, event, { openId: () => open.current }),
        onState: setState,
        onReconnected: () => void catchUp(queryClient).catch(() => undefined),
      }),
    [queryClient],
  );
  return (
    <div class="shell">
      <header class="topbar">
        <Link class="brand" href="/">
          Parley
        </Link>
        <MainNav session={session} path={path} />
        <span class={`connection connection--${state}`} role="status">
          <span class="dot" aria-hidden="true" />
          {STATE_TEXT[state]}
        </span>
        <span class="spacer" />
        <span class="who">Signed in as {session.user.username}</span>
        <button
          type="button"
          class="quiet"
          onClick={() => {
            void signOut().then(() => navigate('/sign-in', true));
          }}
        >
          Sign out
        </button>
      </header>
      {path === '/' || openId ? <Inbox openId={openId} /> : <ScreenAt session={session} path={path} />}
    </div>
  );
}

function ScreenAt({ session, path }: { session: Session; path: string }) {
  const found = findScreen(path);
  const title = !found
    ? 'Not found'
    : found.screen.admin && !session.user.is_admin
      ? 'For administrators'
      : found.screen.title;
  useEffect(() => {
    document.title = `${title} · Parley`;
  }, [title]);
  if (!found) {
    return (
      <main class="screen">
        <h1>Nothing here</h1>
        <p>
          This page does not exist. <Link href="/">Go to the inbox</Link>.
        </p>
      </main>
    );
  }
  if (found.screen.admin && !session.user.is_admin) {
    return (
      <main class="screen">
        <h1>For administrators</h1>
        <p>Only Parley's administrators can open this page. Ask the person who runs Parley for your business.</p>
      </main>
    );
  }
  const Screen = found.screen.component;
  return (
    <Suspense fallback={<p class="loading">Loading…</p>}>
      <Screen session={session} params={found.params} />
    </Suspense>
  );
}
