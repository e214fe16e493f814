import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { randomId } from '../kernel/ids.js';
import { createSemaphore } from '../kernel/semaphore.js';

interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/**
 * OWASP's recommendation for scrypt (Password Storage Cheat Sheet): N=2^17, r=8,
 * p=1. Each hash takes 128 MiB and about a third of a second of one CPU core.
 */
export const RECOMMENDED_COST = 17;
const BLOCK_SIZE = 8;
const PARALLELISM = 1;
const KEY_LENGTH = 32;
/** Stored hashes naming more than this are refused rather than run: 2^20 already takes 1 GiB. */
const MAX_COST = 20;

/**
 * Hashes run on libuv's thread pool (4 threads by default), which file access,
 * DNS lookups and zlib share. Two at a time leaves the others free, caps the
 * memory to 2 × 128 MiB, and makes a flood of sign-ins wait in line instead of
 * starving the rest of the process.
 */
const HASHES_AT_ONCE = 2;
const hashing = createSemaphore(HASHES_AT_ONCE);

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 1024;

let cost = RECOMMENDED_COST;

/**
 * A password for an account someone else creates (the admin screen), shown to
 * them once: four groups of five letters and digits, about 119 random bits,
 * easy to read out and to copy. The owner should change it after signing in.
 */
export function generatePassword(): string {
  return randomId(20).match(/.{5}/g)!.join('-');
}

/**
 * Sets the cost (log2 of N) of new hashes for this process, from config.
 * Like the thread pool the hashes run on, it belongs to the process; hashes of
 * any cost already stored keep verifying.
 */
export function setPasswordCost(newCost: number): void {
  if (!Number.isInteger(newCost) || newCost < 1 || newCost > MAX_COST) {
    throw new RangeError(`password cost must be a whole number from 1 to ${MAX_COST} (got ${newCost})`);
  }
  if (newCost !== cost) dummyHash = undefined;
  cost = newCost;
}

/** How many hashes are being computed now, and how many wait for a turn. */
export function passwordHashing(): { running: number; waiting: number } {
  return { running: hashing.running, waiting: hashing.waiting };
}

const currentParams = (): ScryptParams => ({ N: 2 ** cost, r: BLOCK_SIZE, p: PARALLELISM });

/**
 * OpenSSL needs 128·r·(N + p + 2) bytes (the ROMix table, the working blocks);
 * Node refuses anything above `maxmem`, 32 MiB by default, so it is set to that
 * plus 1 MiB of headroom.
 */
const maxmem = ({ N, r, p }: ScryptParams) => 128 * r * (N + p + 2) + 1024 * 1024;

const scrypt = (password: string, salt: Buffer, keylen: number, params: ScryptParams) =>
  hashing.run(
    () =>
      new Promise<Buffer>((resolve, reject) =>
        scryptCallback(
          password,
          salt,
          keylen,
          { ...params, maxmem: maxmem(params) } satisfies ScryptOptions,
          (error, key) => (error ? reject(error) : resolve(key)),
        ),
      ),
  );

/** `scrypt$N$r$p$salt$hash`, salt and hash in base64: the parameters travel with the hash. */
export async function hashPassword(password: string): Promise<string> {
  const params = currentParams();
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, KEY_LENGTH, params);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64'), key.toString('base64')].join('$');
}

interface StoredHash {
  params: ScryptParams;
  salt: Buffer;
  key: Buffer;
}

function parseHash(stored: string): StoredHash | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [, n, r, p, saltText, keyText] = parts as [string, string, string, string, string, string];
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  const sane =
    Number.isInteger(params.N) &&
    params.N > 1 &&
    params.N <= 2 ** MAX_COST &&
    (params.N & (params.N - 1)) === 0 &&
    Number.isInteger(params.r) &&
    params.r >= 1 &&
    params.r <= 32 &&
    Number.isInteger(params.p) &&
    params.p >= 1 &&
    params.p <= 16;
  const key = Buffer.from(keyText, 'base64');
  if (!sane || key.length === 0) return undefined;
  return { params, salt: Buffer.from(saltText, 'base64'), key };
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed) return false;
  const key = await scrypt(password, parsed.salt, parsed.key.length, parsed.params);
  return key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
}

/** Whether a stored hash is weaker than what new hashes get, so the next sign-in should replace it. */
export function needsRehash(stored: string): boolean {
  const parsed = parseHash(stored);
  if (!parsed) return false;
  const wanted = currentParams();
  return parsed.params.N < wanted.N || parsed.params.r < wanted.r || parsed.params.p < wanted.p;
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the same time as a real check, so a login for an unknown user cannot
 * be told apart from a wrong password by how long it takes.
 */
export async function burnPasswordCheck(password: string): Promise<void> {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
  await verifyPassword(password, await dummyHash);
}

/** The same, as sentences to show beside the field: "The password must be at least 8 characters." */
export function passwordProblemSentences(password: string): string[] {
  return passwordProblems(password).map((problem) => `The password ${problem}.`);
}

/** Problems with a new password, in words a person can act on. */
export function passwordProblems(password: string): string[] {
  const problems: string[] = [];
  if (password.length < PASSWORD_MIN_LENGTH) problems.push(`must be at least ${PASSWORD_MIN_LENGTH} characters`);
  if (password.length > PASSWORD_MAX_LENGTH) problems.push(`must be at most ${PASSWORD_MAX_LENGTH} characters`);
  if (/^\d+$/.test(password)) problems.push('must not be entirely numeric');
  return problems;
}
