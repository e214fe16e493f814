import { describe, expect, it } from 'vitest';
import { createConnectionRegistry, messageBudget } from './connections.js';

describe("a socket's message budget", () => {
  it('allows a burst, refuses past it, and allows again as the second passes', () => {
    let now = 0;
    const take = messageBudget(3, () => now);
    expect([take(), take(), take(), take()]).toEqual([true, true, true, false]);
    now += 334;
    expect([take(), take()]).toEqual([true, false]);
    now += 10_000;
    // Refilled to the burst, never beyond it.
    expect([take(), take(), take(), take()]).toEqual([true, true, true, false]);
  });
});

describe('the connection registry', () => {
  it('frees a place when a socket leaves, and forgets a socket left twice only once', () => {
    const registry = createConnectionRegistry<string>({
      maxConnections: 10,
      maxPerBusiness: 2,
      maxPerToken: 2,
      messagesPerSecond: 1,
    });
    expect(registry.admit('a', { userId: 'u1', tokenId: 't1' })).toBeUndefined();
    expect(registry.admit('b', { userId: 'u1', tokenId: 't2' })).toBeUndefined();
    expect(registry.admit('c', { userId: 'u1', tokenId: 't3' })).toBe('too many connections for this business');
    registry.remove('a');
    registry.remove('a');
    expect(registry.size).toBe(1);
    expect(registry.admit('c', { userId: 'u1', tokenId: 't3' })).toBeUndefined();
    expect(registry.withToken('t3')).toEqual(['c']);
    expect(registry.tokenIds().sort()).toEqual(['t2', 't3']);
    expect([...(registry.room('u1') ?? [])].sort()).toEqual(['b', 'c']);
  });
});
