// The wire between the widget and Parley, as docs/widget.md fixes it, and what the loader hands the panel.

export type Author = 'visitor' | 'ai' | 'agent' | 'system';

export interface WidgetMessage {
  id: string;
  seq: number;
  client_id: string | null;
  author: Author;
  text: string;
  created_at: string;
}

export interface WidgetSettings {
  public_id: string;
  business_name: string;
  greeting: string | null;
  colour: string | null;
  position: 'right' | 'left';
  launcher_label: string | null;
  language: string | null;
  ask_identity: 'none' | 'name' | 'name_and_email';
  z_index: number | null;
  open_now: boolean;
  away_message: string | null;
}

export type HandledBy = 'ai' | 'people';

export interface MessagesPage {
  messages: WidgetMessage[];
  status: string;
  handled_by: HandledBy;
}

export type ServerFrame =
  | { type: 'ready'; last_seq: number }
  | { type: 'message'; message: WidgetMessage }
  | { type: 'ai.delta'; text: string }
  | { type: 'ai.done' }
  | { type: 'typing'; who: 'agent' | 'ai'; typing: boolean }
  | { type: 'status'; status: string; handled_by: HandledBy }
  | { type: 'pong' };

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
}

export interface PanelModule {
  mount(host: PanelHost): Panel;
}

/** The one thing the widget keeps in the visitor's browser, once they have opened it. */
export function readToken(storageKey: string): string | null {
  try {
    const stored = window.localStorage.getItem(storageKey);
    if (!stored) return null;
    const parsed: unknown = JSON.parse(stored);
    if (typeof parsed === 'object' && parsed !== null && 'visitor_token' in parsed) {
      const token = parsed.visitor_token;
      return typeof token === 'string' ? token : null;
    }
  } catch {
    // Storage blocked (cookies disabled) or a value we did not write: as if nothing were stored.
  }
  return null;
}
