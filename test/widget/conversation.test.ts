import { describe, expect, it } from 'vitest';
import { Conversation } from '../../widget/src/messages.js';
import type { WidgetMessage } from '../../widget/src/wire.js';

// What the widget shows when the same messages reach it several ways: its own send's answer, the
// socket (which echoes the visitor's own messages so other tabs see them), and the fetch after a drop.

let next = 0;
function stored(seq: number, author: WidgetMessage['author'], text: string, clientId: string | null = null) {
  next += 1;
  return { id: `m${seq}`, seq, client_id: clientId, author, text, created_at: new Date(next * 1000).toISOString() };
}

const texts = (conversation: Conversation) =>
  conversation.ordered().map((message) => `${message.author}:${message.text}:${message.state}`);

describe("the widget's conversation", () => {
  it("shows the visitor's message once, whether its own answer or the socket's echo comes first", () => {
    for (const order of ['answer first', 'echo first']) {
      const conversation = new Conversation();
      conversation.addPending('c1', 'Do you deliver?');
      expect(texts(conversation)).toEqual(['visitor:Do you deliver?:sending']);
      const message = stored(1, 'visitor', 'Do you deliver?', 'c1');
      const reply = stored(2, 'ai', 'Yes, within 3 km.');
      const arrivals = order === 'answer first' ? [message, message, reply] : [message, reply, message];
      expect(arrivals.map((m) => conversation.add(m))).toEqual(
        order === 'answer first' ? [false, false, true] : [false, true, false],
      );
      expect(texts(conversation)).toEqual(['visitor:Do you deliver?:sent', 'ai:Yes, within 3 km.:sent']);
    }
  });

  it('a message from another tab (its client id unknown here) is new, and shows', () => {
    const conversation = new Conversation();
    expect(conversation.add(stored(1, 'visitor', 'From the other tab', 'other-tab'))).toBe(true);
    expect(texts(conversation)).toEqual(['visitor:From the other tab:sent']);
  });

  it('after a drop, what is fetched again merges by id: nothing twice, everything in order', () => {
    const conversation = new Conversation();
    const first = [stored(1, 'visitor', 'Hello', 'c1'), stored(2, 'ai', 'Hi!')];
    first.forEach((m) => conversation.add(m));
    expect(conversation.lastSeq).toBe(2);
    const missed = [stored(4, 'agent', 'Sam here.'), stored(3, 'system', 'A person will answer you here.')];
    // The fetch answers what came after seq 2, and the socket's copy of seq 4 arrives too.
    expect([...missed, missed[0]!].map((m) => conversation.add(m))).toEqual([true, true, false]);
    expect(conversation.lastSeq).toBe(4);
    expect(texts(conversation)).toEqual([
      'visitor:Hello:sent',
      'ai:Hi!:sent',
      'system:A person will answer you here.:sent',
      'agent:Sam here.:sent',
    ]);
  });

  it('messages still on their way stay after the stored ones, in the order sent', () => {
    const conversation = new Conversation();
    conversation.addPending('c2', 'second');
    conversation.add(stored(1, 'ai', 'Welcome back'));
    conversation.addPending('c3', 'third');
    expect(texts(conversation)).toEqual(['ai:Welcome back:sent', 'visitor:second:sending', 'visitor:third:sending']);
  });

  it('a refused send is marked failed, or taken away when its text goes back to the visitor', () => {
    const conversation = new Conversation();
    conversation.addPending('c1', 'kept');
    conversation.addPending('c2', 'given back');
    conversation.fail('c1', false);
    conversation.fail('c2', true);
    expect(texts(conversation)).toEqual(['visitor:kept:failed']);
    // A stored message is never failed afterwards.
    conversation.add(stored(1, 'visitor', 'kept', 'c1'));
    conversation.fail('c1', true);
    expect(texts(conversation)).toEqual(['visitor:kept:sent']);
  });
});
