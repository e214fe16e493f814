import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Cache } from '../../infra/cache.js';
import { takePlace, type WindowAnswer } from '../../infra/sliding-window.js';
import { RateLimitedError } from '../../kernel/errors.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

/**
 * Takes a place in a sliding window in the shared Cache (so every process counts together) and
 * refuses past `max` with the seconds until a place frees. 0 = no limit. While the Cache is
 * away the request passes: its outage must not shut every site's widget.
 */
async function countInWindow(cache: Cache, key: string, max: number, windowMs: number, detail: string) {
  if (max === 0) return;
  let answer: WindowAnswer;
  try {
    answer = await takePlace(cache, key, max, windowMs);
  } catch {
    return;
  }
  if (!answer.taken) throw new RateLimitedError(answer.retryAfterMs / 1000, detail);
}

export function countNewVisitor(cache: Cache, ip: string, perHour: number): Promise<void> {
  return countInWindow(cache, `widget-visitors:${ip}`, perHour, HOUR_MS, 'Too many new chats from this address.');
}

export function countVisitorMessage(cache: Cache, visitorId: string, perMinute: number): Promise<void> {
  return countInWindow(cache, `widget-messages:${visitorId}`, perMinute, MINUTE_MS, 'Too many messages at once.');
}

/** A typing indicator is sent a few times a message; more than one a second is not a person typing. */
const TYPING_PER_MINUTE = 60;

export function countVisitorTyping(cache: Cache, visitorId: string): Promise<void> {
  return countInWindow(cache, `widget-typing:${visitorId}`, TYPING_PER_MINUTE, MINUTE_MS, 'Too many typing signals.');
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
