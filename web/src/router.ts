import { useEffect, useState } from 'preact/hooks';

// History routing for a handful of screens: no router library needed.
const CHANGE = 'parley:navigate';

/** Screens with unsaved changes: asked before the app leaves them. */
const guards = new Set<() => string | null>();

/** Whether a guard objects to leaving, and the person agrees to leave anyway. */
function mayLeave(): boolean {
  for (const guard of guards) {
    const reason = guard();
    if (reason && !window.confirm(reason)) return false;
  }
  return true;
}

/** Goes to `to` inside the app; false when the person chose to stay with unsaved changes. */
export function navigate(to: string, replace = false): boolean {
  if (!replace && !mayLeave()) return false;
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  window.dispatchEvent(new Event(CHANGE));
  return true;
}

/**
 * Warns before unsaved changes are lost, by the app's own links, the browser's back button,
 * or closing the tab. `reason` returns the warning, or null when there is nothing to lose.
 */
export function useLeaveGuard(reason: () => string | null): void {
  useEffect(() => {
    guards.add(reason);
    const beforeUnload = (event: BeforeUnloadEvent) => {
      if (reason()) event.preventDefault();
    };
    window.addEventListener('beforeunload', beforeUnload);
    return () => {
      guards.delete(reason);
      window.removeEventListener('beforeunload', beforeUnload);
    };
  }, [reason]);
}

export interface Location {
  path: string;
  params: URLSearchParams;
}

function current(): Location {
  return { path: location.pathname, params: new URLSearchParams(location.search) };
}

export function useLocation(): Location {
  const [value, setValue] = useState(current);
  useEffect(() => {
    let shown = location.pathname + location.search;
    const update = () => setValue(current());
    const popped = () => {
      // The browser has already moved: go back where we were if the person chose to stay.
      if (!mayLeave()) {
        history.pushState(null, '', shown);
        return;
      }
      shown = location.pathname + location.search;
      update();
    };
    const changed = () => {
      shown = location.pathname + location.search;
      update();
    };
    window.addEventListener('popstate', popped);
    window.addEventListener(CHANGE, changed);
    return () => {
      window.removeEventListener('popstate', popped);
      window.removeEventListener(CHANGE, changed);
    };
  }, []);
  return value;
}

/** Where sign-in sends the browser back to: only a path on this site. */
export function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

export function goToSignIn(): void {
  if (location.pathname === '/sign-in') return;
  guards.clear();
  const here = location.pathname + location.search;
  navigate(here === '/' ? '/sign-in' : `/sign-in?next=${encodeURIComponent(here)}`, true);
}
