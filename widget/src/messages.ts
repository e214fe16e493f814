// The conversation as the widget shows it: messages from the API, the socket and this tab's own sends,
// merged so that nothing shows twice (by id, and the visitor's own by client_id) and kept in order.
import type { WidgetMessage } from './wire.js';

export interface ShownMessage {
  /** The visitor's client_id for their own messages (so a message being sent and the stored one are one), else the id. */
  key: string;
  author: WidgetMessage['author'];
  text: string;
  /** null while the visitor's message is on its way. */
  seq: number | null;
  state: 'sent' | 'sending' | 'failed';
}

export class Conversation {
  private readonly byKey = new Map<string, ShownMessage>();
  private readonly ids = new Set<string>();
  private highest = 0;

  /** Adds a stored message; false when it was already shown. */
  add(message: WidgetMessage): boolean {
    if (this.ids.has(message.id)) return false;
    this.ids.add(message.id);
    this.highest = Math.max(this.highest, message.seq);
    const key = message.client_id ?? message.id;
    const known = this.byKey.get(key);
    this.byKey.set(key, { key, author: message.author, text: message.text, seq: message.seq, state: 'sent' });
    return known === undefined;
  }

  /** The visitor's message before the server has it. */
  addPending(clientId: string, text: string): void {
    if (!this.byKey.has(clientId))
      this.byKey.set(clientId, { key: clientId, author: 'visitor', text, seq: null, state: 'sending' });
  }

  /** A send that failed: shown as failed, or taken away when the visitor gets the text back to try again. */
  fail(clientId: string, remove: boolean): void {
    const shown = this.byKey.get(clientId);
    if (shown?.seq !== null) return;
    if (remove) this.byKey.delete(clientId);
    else shown.state = 'failed';
  }

  /** The highest seq shown: what to ask for after a reconnect. */
  get lastSeq(): number {
    return this.highest;
  }

  /** Stored messages by seq, then those still on their way in the order sent. */
  ordered(): ShownMessage[] {
    const all = [...this.byKey.values()];
    const stored = all.filter((m) => m.seq !== null).sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
    return [...stored, ...all.filter((m) => m.seq === null)];
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }
}
