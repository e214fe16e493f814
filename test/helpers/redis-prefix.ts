import { randomBytes } from 'node:crypto';
import { afterAll } from 'vitest';
import { forgetRedisKeys } from './redis-keys.js';

/**
 * A namespace of this test file's own in the shared Redis (`parley-test-<name>-<random>`), so no
 * other suite's process takes its jobs or hears its events; its keys are deleted after the file's
 * tests. Call it at the top of the file, before the file's own `afterAll`: after-hooks run last
 * registered first, so the keys go once the file's processes have stopped.
 */
export function testRedisPrefix(name: string): string {
  const prefix = `parley-test-${name}-${randomBytes(4).toString('hex')}`;
  afterAll(async () => {
    if (process.env.TEST_REDIS_URL) await forgetRedisKeys(process.env.TEST_REDIS_URL, prefix);
  });
  return prefix;
}
