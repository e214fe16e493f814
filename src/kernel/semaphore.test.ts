import { describe, expect, it } from 'vitest';
import { createSemaphore } from './semaphore.js';

const deferred = () => {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

describe('a semaphore', () => {
  it('runs at most its limit of tasks at once, then the waiting ones in order, and every task completes', async () => {
    const semaphore = createSemaphore(2);
    const gates = Array.from({ length: 5 }, deferred);
    let inside = 0;
    let most = 0;
    const started: number[] = [];
    const results = gates.map((gate, index) =>
      semaphore.run(async () => {
        inside += 1;
        most = Math.max(most, inside);
        started.push(index);
        await gate.promise;
        inside -= 1;
        return index;
      }),
    );
    await Promise.resolve();
    expect([semaphore.running, semaphore.waiting]).toEqual([2, 3]);
    expect(started).toEqual([0, 1]);
    // Finish them out of order: a freed turn goes to the longest waiter.
    for (const index of [1, 0, 3, 2, 4]) {
      gates[index]!.resolve();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await Promise.all(results)).toEqual([0, 1, 2, 3, 4]);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(most).toBe(2);
    expect([semaphore.running, semaphore.waiting]).toEqual([0, 0]);
  });

  it('frees the turn of a task that fails, and passes its error on', async () => {
    const semaphore = createSemaphore(1);
    const failing = deferred();
    const first = semaphore.run(() => failing.promise);
    const second = semaphore.run(async () => 'second ran');
    expect(semaphore.waiting).toBe(1);
    failing.reject(new Error('boom'));
    await expect(first).rejects.toThrow('boom');
    await expect(second).resolves.toBe('second ran');
    expect([semaphore.running, semaphore.waiting]).toEqual([0, 0]);
  });

  it('refuses a limit below 1', () => {
    expect(() => createSemaphore(0)).toThrow(RangeError);
  });
});
