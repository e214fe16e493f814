import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { CONFIG_VARIABLES } from '../kernel/config.js';

/**
 * A command forwarded to the running server runs with the server's
 * environment, not the shell's: `GEMINI_API_KEY=x parley ai_control test`
 * would test the server's key. So the CLI asks the server which of the
 * configuration variables this shell sets it does not share, and warns.
 *
 * Values never cross the socket: the CLI sends, per variable, an HMAC of its
 * value under a key made for this one request, and the server answers the
 * names whose value it does not have. A digest is useless beyond the request,
 * so not even a short secret can be guessed from it afterwards.
 */

/** How the CLI finds the server (its data dir), however spelled: the same by construction. */
const NOT_COMPARED = new Set(['PARLEY_DATA_DIR']);

export interface EnvironmentDigests {
  key: string;
  /** Variable name → HMAC-SHA-256 of its value, hex. */
  digests: Record<string, string>;
}

const digestOf = (key: string, value: string) => createHmac('sha256', key).update(value).digest('hex');

/** What the CLI sends: a digest of each configuration variable this shell sets. */
export function environmentDigests(shell: Record<string, string>): EnvironmentDigests {
  const key = randomBytes(32).toString('hex');
  const digests: Record<string, string> = {};
  for (const [name, value] of Object.entries(shell)) {
    if (!NOT_COMPARED.has(name)) digests[name] = digestOf(key, value);
  }
  return { key, digests };
}

/** What the server answers: the variables whose value in the shell it does not have (or has none of). */
export function differingVariables(sent: unknown, server: Record<string, string>): string[] {
  if (!isDigests(sent)) return [];
  const known = new Set(CONFIG_VARIABLES);
  return Object.entries(sent.digests)
    .filter(([name]) => known.has(name) && !NOT_COMPARED.has(name))
    .filter(([name, digest]) => {
      const value = server[name];
      if (value === undefined) return true;
      const mine = Buffer.from(digestOf(sent.key, value), 'hex');
      const theirs = Buffer.from(digest, 'hex');
      return mine.length !== theirs.length || !timingSafeEqual(mine, theirs);
    })
    .map(([name]) => name)
    .sort();
}

function isDigests(value: unknown): value is EnvironmentDigests {
  if (typeof value !== 'object' || value === null) return false;
  const { key, digests } = value as Record<string, unknown>;
  return (
    typeof key === 'string' &&
    key.length >= 32 &&
    typeof digests === 'object' &&
    digests !== null &&
    Object.values(digests).every((digest) => typeof digest === 'string')
  );
}

/** The lines the CLI prints on stderr before a forwarded command's own output. */
export function forwardedNotice(pid: number | undefined, differing: string[]): string[] {
  return [
    `Running in the Parley server that is already running${pid === undefined ? '' : ` (pid ${pid})`}, which holds the database; it uses its own environment.`,
    ...differing.map(
      (name) =>
        `Warning: ${name} is set in this shell but the running server has a different value (or none); the command uses the server's. Restart the server with it to change that.`,
    ),
  ];
}
