import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
// The largest multiple of 62 below 256: bytes at or above it are skipped so every character is equally likely.
const LIMIT = 248;

// Random bytes drawn a few kilobytes at a time, as nanoid does: one call to the system's
// generator serves many ids, where a call per id costs more than the id.
const POOL_SIZE = 4_096;
let pool = Buffer.alloc(0);
let used = 0;

function nextByte(): number {
  // Stryker disable next-line ConditionalExpression,EqualityOperator: drawing more often costs time, not randomness
  if (used === pool.length) {
    pool = randomBytes(POOL_SIZE);
    used = 0;
  }
  return pool[used++]!;
}

/** A random base62 string; 12 characters carry about 71 bits. */
export function randomId(length = 16): string {
  let out = '';
  while (out.length < length) {
    const byte = nextByte();
    if (byte < LIMIT) out += ALPHABET[byte % 62];
  }
  return out;
}
