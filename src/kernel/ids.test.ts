import { describe, expect, it } from 'vitest';
import { randomId } from './ids.js';

describe('random ids', () => {
  it('are base62 strings of the length asked for, never the same twice', () => {
    const ids = Array.from({ length: 20_000 }, (_, index) => randomId(index % 2 ? 12 : 16));
    for (const [index, id] of ids.entries()) expect(id).toMatch(index % 2 ? /^[0-9A-Za-z]{12}$/ : /^[0-9A-Za-z]{16}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('use every character about equally often', () => {
    const counts = new Map<string, number>();
    const length = 62 * 2_000;
    for (const char of Array.from({ length: length / 31 }, () => randomId(31)).join('')) {
      counts.set(char, (counts.get(char) ?? 0) + 1);
    }
    expect(counts.size).toBe(62);
    // 2,000 expected each; a biased mapping (bytes 248–255 folded in) would give the first 8 characters ~2,250.
    for (const count of counts.values()) expect(count).toBeGreaterThan(1_780);
    for (const count of counts.values()) expect(count).toBeLessThan(2_220);
  });
});
