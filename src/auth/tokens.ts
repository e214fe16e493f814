import { createHash, timingSafeEqual } from 'node:crypto';
import { randomId } from '../kernel/ids.js';

/**
 * A token is `prl_` + a 12-character selector + a 32-character secret. The
 * selector finds the row; the SHA-256 of the whole token is compared in
 * constant time, so the database index never sees the secret half.
 */
const PREFIX = 'prl_';
const SELECTOR_LENGTH = 12;
const SECRET_LENGTH = 32;
const TOKEN_PATTERN = new RegExp(`^${PREFIX}([0-9A-Za-z]{${SELECTOR_LENGTH}})[0-9A-Za-z]{${SECRET_LENGTH}}$`);

export interface NewToken {
  token: string;
  selector: string;
  hash: string;
}

export function generateToken(): NewToken {
  const selector = randomId(SELECTOR_LENGTH);
  const token = `${PREFIX}${selector}${randomId(SECRET_LENGTH)}`;
  return { token, selector, hash: hashToken(token) };
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** The selector of a well-formed token, or undefined. */
export function tokenSelector(token: string): string | undefined {
  return TOKEN_PATTERN.exec(token)?.[1];
}

export function tokenMatches(token: string, storedHash: string): boolean {
  const presented = Buffer.from(hashToken(token), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}

/** Reads `Authorization: Bearer <token>` or `Token <token>`. */
export function tokenFromHeader(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^(?:Bearer|Token)\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
