import type { ComponentChildren } from 'preact';
import { useAttentionCount } from './data.js';
import { navigate } from './router.js';
import { useSetup } from './setup.js';
import type { Session } from './types.js';

/** An in-app link: a real <a href> (open in a new tab works), routed without a reload. */
export function Link({
  href,
  children,
  class: className,
  current,
}: {
  href: string;
  children: ComponentChildren;
  class?: string;
  current?: boolean;
}) {
  return (
    <a
      href={href}
      class={className}
      aria-current={current ? 'page' : undefined}
      onClick={(event) => {
        if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
        event.preventDefault();
        navigate(href);
      }}
    >
      {children}
    </a>
  );
}

interface Item {
  href: string;
  label: string;
  /** Which paths count as this item's (for aria-current). */
  owns: (path: string) => boolean;
  admin?: boolean;
  /** Shown only while the business has not finished setting up (and on its own page). */
  firstRun?: boolean;
}

const ITEMS: Item[] = [
  { href: '/', label: 'Inbox', owns: (path) => path === '/' || path.startsWith('/c/') },
  { href: '/start', label: 'Get started', owns: (path) => path.startsWith('/start'), firstRun: true },
  { href: '/ai', label: 'AI', owns: (path) => path.startsWith('/ai') },
  { href: '/hours', label: 'Hours', owns: (path) => path.startsWith('/hours') },
  { href: '/channels', label: 'Channels', owns: (path) => path.startsWith('/channels') },
  { href: '/usage', label: 'Usage', owns: (path) => path.startsWith('/usage') },
  { href: '/admin', label: 'Admin', owns: (path) => path.startsWith('/admin'), admin: true },
  { href: '/account', label: 'Account', owns: (path) => path.startsWith('/account') },
];

/**
 * The dashboard's main menu; the admin screens only for administrators, "Get started" only
 * until the business is set up (with a tick once it is, while its page is open).
 */
export function MainNav({ session, path }: { session: Session; path: string }) {
  const attention = useAttentionCount();
  const waiting = attention.data ?? 0;
  const setup = useSetup();
  const setUp = setup.data?.complete ?? true;
  const shown = (item: Item) => (!item.admin || session.user.is_admin) && (!item.firstRun || !setUp || item.owns(path));
  return (
    <nav class="main-nav" aria-label="Main">
      <ul>
        {ITEMS.filter(shown).map((item) => (
          <li key={item.href}>
            <Link href={item.href} current={item.owns(path)}>
              {item.label}
              {item.firstRun && setUp && (
                <span class="nav-tick">
                  <span aria-hidden="true">✓</span>
                  <span class="visually-hidden">, done</span>
                </span>
              )}
              {item.href === '/' && waiting > 0 && (
                <span class="nav-count" aria-label={`, ${waiting} waiting for a person`}>
                  {waiting}
                </span>
              )}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}

/** Tabs between the screens of one area (the AI's settings, prompts and "try it"). */
export function SubNav({
  label,
  items,
  path,
}: {
  label: string;
  items: { href: string; label: string }[];
  path: string;
}) {
  return (
    <nav class="sub-nav" aria-label={label}>
      <ul>
        {items.map((item) => (
          <li key={item.href}>
            <Link href={item.href} current={path.replace(/\/$/, '') === item.href}>
              {item.label}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}
