import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Cache } from '../../infra/cache.js';
import { RateLimitedError } from '../../kernel/errors.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

/**
 * Counts one more in a fixed window in the shared Cache (so every process counts together) and
 * refuses past `max` with the seconds to the window's end. 0 = no limit. While the Cache is
 * away the request passes: its outage must not shut every site's widget.
 */
async function countInWindow(cache: Cache, key: string, max: number, windowMs: number, detail: string) {
  if (max === 0) return;
  const now = Date.now();
  const window = Math.floor(now / windowMs);
  let count: number;
  try {
    count = await cache.increment(`${key}:${window}`, windowMs);
  } catch {
    return;
  }
  if (count > max) throw new RateLimitedError(((window + 1) * windowMs - now) / 1000, detail);
}

export function countNewVisitor(cache: Cache, ip: string, perHour: number): Promise<void> {
  return countInWindow(cache, `widget-visitors:${ip}`, perHour, HOUR_MS, 'Too many new chats from this address.');
}

export function countVisitorMessage(cache: Cache, visitorId: string, perMinute: number): Promise<void> {
  return countInWindow(cache, `widget-messages:${visitorId}`, perMinute, MINUTE_MS, 'Too many messages at once.');
}

/** `hex(HMAC-SHA256(secret, user_id))`, as the site's server computes it. */
export function userHash(secret: string, userId: string): string {
  return createHmac('sha256', secret).update(userId, 'utf8').digest('hex');
}

/** Compared in constant time, so the answer's timing says nothing of how much of a guess was right. */
export function validUserHash(secret: string, userId: string, presented: string): boolean {
  const expected = Buffer.from(userHash(secret, userId), 'hex');
  const given = Buffer.from(/^[0-9a-f]{64}$/i.test(presented) ? presented : '', 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
