import { lazy } from 'preact/compat';
import type { ComponentType } from 'preact';
import type { Session } from './types.js';

/** What every screen gets: who is signed in, and the parts of the path its pattern captured. */
export interface ScreenProps {
  session: Session;
  params: string[];
}

export interface Screen {
  /** The whole path, anchored; capture groups become `params`. */
  pattern: RegExp;
  /** The page title (before " · Parley"). */
  title: string;
  /** Only for users with is_admin; others are told the page is for administrators. */
  admin?: boolean;
  component: ComponentType<ScreenProps>;
}

// Every screen but the inbox is its own chunk, loaded when first opened: the inbox starts small.
const screen = <T extends Record<string, unknown>>(load: () => Promise<T>, name: keyof T) =>
  lazy(() => load().then((module) => ({ default: module[name] as ComponentType<ScreenProps> })));

export const SCREENS: Screen[] = [
  {
    pattern: /^\/start\/?$/,
    title: 'Get started',
    component: screen(() => import('./screens/first-run.js'), 'FirstRun'),
  },
  {
    pattern: /^\/ai\/?$/,
    title: 'AI settings',
    component: screen(() => import('./screens/ai-settings.js'), 'AiSettings'),
  },
  {
    pattern: /^\/ai\/prompts\/?$/,
    title: 'Prompts',
    component: screen(() => import('./screens/prompts.js'), 'Prompts'),
  },
  {
    pattern: /^\/ai\/try\/?$/,
    title: 'Try it',
    component: screen(() => import('./screens/try-it.js'), 'TryIt'),
  },
  {
    pattern: /^\/hours\/?$/,
    title: 'Business hours',
    component: screen(() => import('./screens/hours.js'), 'BusinessHours'),
  },
  {
    pattern: /^\/channels\/?$/,
    title: 'Channels',
    component: screen(() => import('./screens/channels.js'), 'Channels'),
  },
  {
    pattern: /^\/usage\/?$/,
    title: 'Usage',
    component: screen(() => import('./screens/usage.js'), 'Usage'),
  },
  {
    pattern: /^\/admin(?:\/([\w-]+))?\/?$/,
    title: 'Admin',
    admin: true,
    component: screen(() => import('./screens/admin.js'), 'Admin'),
  },
  {
    pattern: /^\/account\/?$/,
    title: 'Account',
    component: screen(() => import('./screens/account.js'), 'Account'),
  },
];

export function findScreen(path: string): { screen: Screen; params: string[] } | null {
  for (const candidate of SCREENS) {
    const match = candidate.pattern.exec(path);
    if (match) return { screen: candidate, params: match.slice(1).filter((part) => part !== undefined) };
  }
  return null;
}
