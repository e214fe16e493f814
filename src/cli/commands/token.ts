import { z } from 'zod';
import { createApiToken, findUser, isExpired, listTokens, revokeAnyToken, tokenView } from '../../auth/auth.service.js';
import { defineCommand, EXIT, table } from '../command.js';

const UNIT_SECONDS = { s: 1, m: 60, h: 3_600, d: 86_400 } as const;
/** Ten years: a token meant to outlive that should not expire at all. */
export const MAX_EXPIRES_IN_SECONDS = 3_650 * 86_400;
export const EXPIRES_IN_USAGE = 'a duration such as 30d, 12h, 45m or 3600 (seconds), at most 3650d';

/** `30d`, `12h`, `45m`, `90s` or plain seconds, in seconds; undefined when it is not one. */
export function parseExpiresIn(value: string): number | undefined {
  const match = /^(\d{1,10})([smhd]?)$/.exec(value.trim().toLowerCase());
  if (!match) return undefined;
  const seconds = Number(match[1]) * UNIT_SECONDS[(match[2] || 's') as keyof typeof UNIT_SECONDS];
  return seconds >= 1 && seconds <= MAX_EXPIRES_IN_SECONDS ? seconds : undefined;
}

const noSuchUser = (username: string) =>
  `Error: no user named "${username}". Create one with \`parley createuser ${username}\`.`;

export const tokenCreate = defineCommand({
  args: z.object({
    username: z.string(),
    name: z
      .string()
      .trim()
      .min(1, 'the name must not be blank')
      .max(100, 'the name is at most 100 characters')
      .default('cli'),
    expiresIn: z
      .number()
      .int()
      .min(1, `--expires-in must be ${EXPIRES_IN_USAGE}`)
      .max(MAX_EXPIRES_IN_SECONDS, `--expires-in must be ${EXPIRES_IN_USAGE}`)
      .optional(),
  }),
  async run({ database, io }, args) {
    const user = await findUser(database.db, args.username);
    if (!user) {
      io.err(noSuchUser(args.username));
      return EXIT.failure;
    }
    const expiresAt = args.expiresIn === undefined ? null : new Date(Date.now() + args.expiresIn * 1000);
    // The token alone on stdout, so scripts can capture it: T=$(parley token create alice)
    io.out(await createApiToken(database.db, user.id, args.name, { expiresAt }));
    return EXIT.ok;
  },
});

const when = (date: Date | null, never: string) => date?.toISOString() ?? never;

/** `token list USERNAME`: a user's tokens, never the tokens themselves. */
export const tokenList = defineCommand({
  args: z.object({ username: z.string(), json: z.boolean().default(false) }),
  async run({ database, io }, args) {
    const user = await findUser(database.db, args.username);
    if (!user) {
      io.err(noSuchUser(args.username));
      return EXIT.failure;
    }
    const tokens = await listTokens(database.db, user.id);
    if (args.json) {
      io.out(JSON.stringify(tokens.map(tokenView)));
      return EXIT.ok;
    }
    if (tokens.length === 0) {
      io.out(`${user.username} has no tokens.`);
      return EXIT.ok;
    }
    const rows = tokens.map((token) => [
      token.id,
      token.name,
      token.createdAt.toISOString(),
      when(token.lastUsedAt, 'never'),
      isExpired(token.expiresAt) ? `expired ${when(token.expiresAt, '')}` : when(token.expiresAt, 'never'),
    ]);
    for (const line of table(['id', 'name', 'created', 'last used', 'expires'], rows)) io.out(line);
    return EXIT.ok;
  },
});

/** `token revoke ID`: any user's token; its WebSockets close on every running server. */
export const tokenRevoke = defineCommand({
  args: z.object({ id: z.string().trim().min(1, 'the token id must not be blank') }),
  async run({ database, io, revocations }, args) {
    const revoked = await revokeAnyToken(database.db, args.id, revocations);
    if (!revoked) {
      io.err(`Error: no token with id "${args.id}". \`parley token list USERNAME\` shows a user's tokens.`);
      return EXIT.failure;
    }
    io.out(`Revoked token ${revoked.id} ("${revoked.name}") of ${revoked.username}.`);
    return EXIT.ok;
  },
});
