import { describe, expect, it } from 'vitest';
import { splitText, utf8Bytes } from './split.js';

describe('splitText', () => {
  it('leaves a short text whole', () => {
    expect(splitText('Hello!', 4096)).toEqual(['Hello!']);
  });

  it('cuts at paragraph breaks first, then sentence ends, then spaces, within the limit', () => {
    const paragraph = `${'a'.repeat(30)}.`;
    expect(splitText(`${paragraph}\n\n${paragraph}`, 40)).toEqual([paragraph, paragraph]);
    expect(splitText('One two three. Four five six seven eight.', 20)).toEqual([
      'One two three.',
      'Four five six seven',
      'eight.',
    ]);
    const long = 'word '.repeat(2_000).trim();
    const parts = splitText(long, 4_096);
    expect(parts.every((part) => part.length <= 4_096)).toBe(true);
    expect(parts.join(' ')).toBe(long);
  });

  it('measures bytes for Instagram, never splitting a character', () => {
    const text = 'é'.repeat(1_200);
    const parts = splitText(text, 1_000, utf8Bytes);
    expect(parts.every((part) => utf8Bytes(part) <= 1_000)).toBe(true);
    expect(parts.join('')).toBe(text);
  });
});
