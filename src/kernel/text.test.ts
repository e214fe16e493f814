import { describe, expect, it } from 'vitest';
import { hasUnsafeCharacters, stripUnsafeCharacters, unsafeTextPaths } from './text.js';

describe('the text Parley accepts', () => {
  it('refuses NUL, the other C0 controls and unpaired surrogates, keeping tab, LF, CR and emoji', () => {
    for (const bad of ['\u0000', 'a\u0001b', '\u0008', '\u000b', '\u000c', '\u000e', '\u001f', '\ud83d', 'x\ude00']) {
      expect(hasUnsafeCharacters(bad), JSON.stringify(bad)).toBe(true);
    }
    for (const good of ['', 'plain', 'tab\there', 'lines\r\nand\n', '🎂 pão', '\u007f', ' ']) {
      expect(hasUnsafeCharacters(good), JSON.stringify(good)).toBe(false);
    }
  });

  it('strips what it refuses and nothing else', () => {
    expect(stripUnsafeCharacters('Hel\u0000lo\u0007 🎂\ud83d\tthere\r\n')).toBe('Hello 🎂\tthere\r\n');
    expect(stripUnsafeCharacters('\u0000\u0000')).toBe('');
  });

  it('names where refused text sits, keys included, however deep', () => {
    expect(unsafeTextPaths({ a: 'ok', b: ['ok', 'n\u0000'], c: { d: 'x\u0001' } }).sort()).toEqual([
      ['b', '1'],
      ['c', 'd'],
    ]);
    expect(unsafeTextPaths({ nested: { 'bad\u0000key': 'fine' } })).toEqual([['nested']]);
    expect(unsafeTextPaths('\u0000')).toEqual([[]]);
    expect(unsafeTextPaths({ n: 1, b: true, z: null })).toEqual([]);
    let deep: unknown = 'bottom\u0000';
    for (let level = 0; level < 100_000; level++) deep = [deep];
    expect(unsafeTextPaths(deep)[0]).toHaveLength(100_000);
    expect(unsafeTextPaths(Array.from({ length: 50 }, () => '\u0000'))).toHaveLength(20);
  });
});
