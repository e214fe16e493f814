import { describe, expect, it } from 'vitest';
import { inboundFromEvent } from '../../src/channels/instagram/instagram.webhook.js';

const event = (message: Record<string, unknown>, overrides: Record<string, unknown> = {}) => ({
  sender: { id: 'customer-1' },
  recipient: { id: 'ig-account-1' },
  message: { mid: 'mid.1', ...message },
  ...overrides,
});

describe("Meta's messaging events", () => {
  it('become a customer message keyed by the message id, addressed to the account', () => {
    expect(inboundFromEvent(event({ text: 'Hi there' }))).toEqual({
      igId: 'ig-account-1',
      channelMessageId: 'mid.1',
      customerId: 'customer-1',
      customerName: null,
      text: 'Hi there',
    });
  });

  it('skip echoes of our own messages, and events without a message id', () => {
    expect(inboundFromEvent(event({ text: 'our answer', is_echo: true }))).toBeUndefined();
    expect(inboundFromEvent(event({ text: 'x', mid: 42 }))).toBeUndefined();
    // `is_echo` must be exactly true to be an echo.
    expect(inboundFromEvent(event({ text: 'hello', is_echo: false }))?.text).toBe('hello');
  });

  it('skip events that are not shaped like a message from someone to someone', () => {
    expect(inboundFromEvent(null)).toBeUndefined();
    expect(inboundFromEvent('text')).toBeUndefined();
    expect(inboundFromEvent([event({ text: 'x' })])).toBeUndefined();
    expect(inboundFromEvent({ sender: { id: 'c' }, recipient: { id: 'a' } })).toBeUndefined();
    expect(inboundFromEvent(event({ text: 'x' }, { message: ['not', 'an', 'object'] }))).toBeUndefined();
    expect(inboundFromEvent(event({ text: 'x' }, { sender: undefined }))).toBeUndefined();
    expect(inboundFromEvent(event({ text: 'x' }, { recipient: null }))).toBeUndefined();
    expect(inboundFromEvent(event({ text: 'x' }, { sender: { id: 7 } }))).toBeUndefined();
    expect(inboundFromEvent(event({ text: 'x' }, { recipient: { id: 7 } }))).toBeUndefined();
  });

  it('name attachments the customer sent without text', () => {
    const attachments = [
      { type: 'image' },
      { type: 'video' },
      { type: 'audio' },
      { type: 'file' },
      { type: 'share' },
      { type: 'story_mention' },
      { type: 'ig_reel' },
      { type: 'sticker-of-the-future' },
      'not an attachment',
    ];
    expect(inboundFromEvent(event({ attachments }))?.text).toBe(
      '[photo] [video] [voice message] [file] [shared post] [story mention] [reel] [attachment]',
    );
    // Blank text counts as none.
    expect(inboundFromEvent(event({ text: '   ', attachments: [{ type: 'image' }] }))?.text).toBe('[photo]');
    // Text wins over attachments.
    expect(inboundFromEvent(event({ text: 'look', attachments: [{ type: 'image' }] }))?.text).toBe('look');
  });

  it('drop events with nothing to read', () => {
    expect(inboundFromEvent(event({}))).toBeUndefined();
    expect(inboundFromEvent(event({ text: '  \n ' }))).toBeUndefined();
    expect(inboundFromEvent(event({ text: 5 }))).toBeUndefined();
    expect(inboundFromEvent(event({ attachments: [] }))).toBeUndefined();
    expect(inboundFromEvent(event({ attachments: ['x', 1] }))).toBeUndefined();
    expect(inboundFromEvent(event({ attachments: { type: 'image' } }))).toBeUndefined();
  });

  it('cut a very long message to 4096 characters', () => {
    const text = 'a'.repeat(4_096) + 'b'.repeat(10);
    expect(inboundFromEvent(event({ text }))?.text).toBe('a'.repeat(4_096));
  });

  it('keep a message with control characters, stripped of them, and never half an emoji', () => {
    expect(inboundFromEvent(event({ text: 'Open\u0000 on\u001f Sunday?\r\n🎂' }))?.text).toBe('Open on Sunday?\r\n🎂');
    expect(inboundFromEvent(event({ text: '\u0000\u0001' }))).toBeUndefined();
    // The cut at 4096 would split the emoji in two; its orphaned half goes.
    expect(inboundFromEvent(event({ text: `${'a'.repeat(4_095)}🎂` }))?.text).toBe('a'.repeat(4_095));
  });

  it('skip events whose ids carry control characters: no real id does', () => {
    expect(inboundFromEvent(event({ text: 'x', mid: 'mid\u0000' }))).toBeUndefined();
    expect(inboundFromEvent(event({ text: 'x' }, { sender: { id: 'c\u0000' } }))).toBeUndefined();
    expect(inboundFromEvent(event({ text: 'x' }, { recipient: { id: '\u0000' } }))).toBeUndefined();
  });
});
