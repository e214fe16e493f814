import { perDatabaseCache } from '../db/cache.js';
import type { AuthUser } from './auth-user.js';

/**
 * Tokens and dashboard sessions are checked on every request, so a verified
 * one is remembered for a few seconds, keyed by its hash. Revoking it, ending
 * the session or changing its user forgets it at once in this process; another
 * process sees the change within the TTL, or at once when told by the
 * revocations channel (src/events/revocations.ts).
 */
export const credentialCache = perDatabaseCache<AuthUser>({ ttlMs: 5_000, maxEntries: 10_000 });
