// What the loader hands the panel chunk, and the one value the widget stores.
import type { WidgetSettings } from './wire.js';

export type * from './wire.js';

/** What a site with signed-in customers passes to `window.Parley.identify`. */
export interface Identity {
  user_id: string;
  user_hash: string;
  name?: string;
  email?: string;
}

/** What the loader gives the panel chunk when the visitor first opens it. */
export interface PanelHost {
  shadow: ShadowRoot;
  launcher: HTMLButtonElement;
  settings: WidgetSettings;
  /** The widget's public API, ending in a slash: `https://parley.example/api/v1/widget/wgt_…/`. */
  api: string;
  storageKey: string;
  identity: Identity | undefined;
  /** Called by the panel when it opens or closes, so the launcher says so. */
  setExpanded(open: boolean): void;
  setUnread(count: number): void;
}

export interface Panel {
  open(): void;
  close(): void;
  identify(identity: Identity): void;
  /** Forgets the visitor, the conversation shown and the identity, in every tab. */
  logout(): void;
}

export interface PanelModule {
  mount(host: PanelHost): Panel;
}

/**
 * The one thing the widget keeps in the visitor's browser, once they have opened it: their token and,
 * for a signed-in customer, the `user_id` it was verified for (so another customer's login switches).
 */
export interface StoredVisitor {
  visitor_token: string;
  user_id?: string;
}

export function readVisitor(storageKey: string): StoredVisitor | null {
  try {
    const stored = window.localStorage.getItem(storageKey);
    const parsed: unknown = stored ? JSON.parse(stored) : null;
    if (typeof parsed === 'object' && parsed !== null && 'visitor_token' in parsed) {
      const { visitor_token: token, user_id: userId } = parsed as Record<string, unknown>;
      if (typeof token === 'string')
        return typeof userId === 'string' ? { visitor_token: token, user_id: userId } : { visitor_token: token };
    }
  } catch {
    // Storage blocked (cookies disabled) or a value we did not write: as if nothing were stored.
  }
  return null;
}
