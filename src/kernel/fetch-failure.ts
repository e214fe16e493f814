const CLOSED = new Set(['socket hang up', 'other side closed']);

/**
 * Why a `fetch` (or `keepAliveFetch`) to another service failed, in words a person can act on.
 * Node's fetch says only "fetch failed"; the reason (refused, no such host,
 * no answer in time) is in its cause.
 */
export function fetchFailureReason(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `no answer within ${timeoutMs / 1000} s`;
  }
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause instanceof AggregateError && cause.message === '') {
    // Every address of a name failed (localhost: ::1 and 127.0.0.1): one line each, once.
    const reasons = cause.errors.map((each: unknown) => (each instanceof Error ? each.message : String(each)));
    return [...new Set(reasons)].join('; ');
  }
  // A kept-alive connection the other side had just closed: node:http and undici each say it their way.
  if (cause instanceof Error && CLOSED.has(cause.message)) return 'the connection closed before an answer came';
  if (cause instanceof Error && cause.message !== '') return cause.message;
  return error instanceof Error ? error.message : String(error);
}
