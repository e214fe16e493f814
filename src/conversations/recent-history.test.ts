import { describe, expect, it } from 'vitest';
import type { StoredMessage } from './stored-message.js';
import { RecentHistory } from './recent-history.js';

/** What the process remembers of a conversation between a customer's messages (the database checks it; see test/conversations/recent-history.test.ts). */
const at = new Date('2026-12-07T10:00:00Z');
const message = (seq: number, text = `message ${seq}`): StoredMessage => ({
  id: `m-${seq}`,
  seq,
  type: seq % 2 ? 'customer' : 'AI',
  text,
  createdAt: at,
  responseTimeMs: null,
});
const messages = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => message(from + i));
const seqsOf = (known: { messages: readonly StoredMessage[] } | undefined) => known?.messages.map((m) => m.seq);

describe('the history remembered for a customer', () => {
  it('gives the newest messages asked for, or all of a conversation that holds fewer', () => {
    const recent = new RecentHistory();
    expect(recent.known('ana', 59)).toBeUndefined();

    recent.remember('ana', 'c-ana', 100, messages(41, 100));
    expect(recent.known('ana', 59)).toMatchObject({ conversationId: 'c-ana', messageCount: 100 });
    expect(seqsOf(recent.known('ana', 59))).toEqual(messages(42, 100).map((m) => m.seq));
    // More than it holds of a longer conversation: not known, the database is asked.
    expect(recent.known('ana', 61)).toBeUndefined();

    recent.remember('bo', 'c-bo', 3, messages(1, 3));
    expect(seqsOf(recent.known('bo', 59))).toEqual([1, 2, 3]);
    // Three remembered of a conversation the database counts four in: one is missing.
    recent.remember('bo', 'c-bo', 4, messages(1, 3));
    expect(recent.known('bo', 59)).toBeUndefined();
  });

  it('keeps the 64 newest messages of a long conversation', () => {
    const recent = new RecentHistory();
    recent.remember('ana', 'c-ana', 200, messages(101, 200));
    expect(seqsOf(recent.known('ana', 64))).toEqual(messages(137, 200).map((m) => m.seq));
    expect(recent.known('ana', 65)).toBeUndefined();
  });

  it('takes a message stored next, in seq order, and forgets a history that missed one', () => {
    const recent = new RecentHistory();
    recent.remember('ana', 'c-ana', 2, [message(10), message(12)]);
    // Two stored at once: the later seq counted first.
    recent.added('c-ana', message(14), 3);
    recent.added('c-ana', message(13), 4);
    expect(seqsOf(recent.known('ana', 59))).toEqual([10, 12, 13, 14]);
    expect(recent.known('ana', 59)?.messageCount).toBe(4);

    // The conversation counted six after this one: the fifth message was stored elsewhere.
    recent.added('c-ana', message(20), 6);
    expect(recent.known('ana', 59)).toBeUndefined();
    expect(recent.size).toBe(0);

    // A conversation not remembered is left so.
    recent.added('c-bo', message(21), 1);
    expect(recent.size).toBe(0);
  });

  it('forgets the least recently used conversations beyond 500, or beyond a million characters', () => {
    const recent = new RecentHistory();
    for (let n = 0; n < 500; n++) recent.remember(`customer-${n}`, `c-${n}`, 1, [message(n)]);
    expect(recent.known('customer-0', 1)).toBeDefined();
    recent.remember('customer-500', 'c-500', 1, [message(500)]);
    expect(recent.size).toBe(500);
    // customer-0 was just used: customer-1 went instead.
    expect(recent.known('customer-1', 1)).toBeUndefined();
    expect(recent.known('customer-0', 1)).toBeDefined();
    // Forgotten with its customer: a message to its conversation is not taken.
    recent.added('c-1', message(501), 2);
    expect(recent.known('customer-1', 1)).toBeUndefined();

    const long = new RecentHistory();
    long.remember('ana', 'c-ana', 1, [message(1, 'x'.repeat(600_000))]);
    long.remember('bo', 'c-bo', 1, [message(2, 'y'.repeat(400_000))]);
    // A million characters in all are kept; one more is not.
    expect(long.size).toBe(2);
    long.remember('cy', 'c-cy', 1, [message(3, 'z'.repeat(1))]);
    expect(long.known('ana', 1)).toBeUndefined();
    expect(seqsOf(long.known('cy', 1))).toEqual([3]);
    expect(long.size).toBe(2);
    // Remembering a customer again counts its characters once.
    long.remember('bo', 'c-bo', 1, [message(2, 'y'.repeat(400_000))]);
    long.remember('dee', 'c-dee', 1, [message(4, 'w'.repeat(599_999))]);
    expect(long.size).toBe(3);
  });
});
