import { describe, expect, it } from 'vitest';
import { fetchFailureReason } from './fetch-failure.js';

const fetchFailed = (cause: unknown) => new TypeError('fetch failed', { cause });

describe('fetchFailureReason', () => {
  it('gives the cause Node hides behind "fetch failed"', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    expect(fetchFailureReason(fetchFailed(refused), 10_000)).toBe('connect ECONNREFUSED 127.0.0.1:9');
    expect(fetchFailureReason(fetchFailed(new Error('getaddrinfo ENOTFOUND api.telegram.org')), 10_000)).toBe(
      'getaddrinfo ENOTFOUND api.telegram.org',
    );
  });

  it('lists each address of a name that failed, once', () => {
    const all = new AggregateError([
      new Error('connect ECONNREFUSED ::1:9'),
      new Error('connect ECONNREFUSED 127.0.0.1:9'),
      new Error('connect ECONNREFUSED 127.0.0.1:9'),
    ]);
    expect(fetchFailureReason(fetchFailed(all), 10_000)).toBe(
      'connect ECONNREFUSED ::1:9; connect ECONNREFUSED 127.0.0.1:9',
    );
  });

  it('says so plainly when a kept-alive connection closed under the request', () => {
    for (const said of ['socket hang up', 'other side closed']) {
      const closed = Object.assign(new Error(said), { code: 'ECONNRESET' });
      expect(fetchFailureReason(fetchFailed(closed), 10_000)).toBe('the connection closed before an answer came');
    }
  });

  it('says how long it waited when the request timed out', () => {
    const timeout = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    expect(fetchFailureReason(timeout, 10_000)).toBe('no answer within 10 s');
  });

  it('falls back to the error itself', () => {
    expect(fetchFailureReason(new TypeError('fetch failed'), 10_000)).toBe('fetch failed');
    expect(fetchFailureReason('odd', 10_000)).toBe('odd');
  });
});
