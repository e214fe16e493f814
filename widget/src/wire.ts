// The wire between the widget and Parley, as docs/widget.md fixes it (no DOM here: the tests read it too).

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
