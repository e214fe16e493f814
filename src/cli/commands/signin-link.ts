import { z } from 'zod';
import { findUser } from '../../auth/auth.service.js';
import {
  createSignInLink,
  DEFAULT_LINK_MINUTES,
  MAX_LINK_MINUTES,
  signInLinkUrl,
} from '../../auth/sign-in-links.service.js';
import { defineCommand, EXIT } from '../command.js';

/**
 * `signin_link USERNAME [--minutes N]`: a one-time link that opens the dashboard signed in as the
 * user, for handing a new business its first sign-in or letting someone in who lost the password.
 * The link alone on stdout, so scripts can capture it.
 */
export const signinLink = defineCommand({
  args: z.object({
    username: z.string(),
    minutes: z
      .number()
      .int(`--minutes must be a whole number from 1 to ${MAX_LINK_MINUTES}`)
      .min(1, `--minutes must be a whole number from 1 to ${MAX_LINK_MINUTES}`)
      .max(MAX_LINK_MINUTES, `--minutes must be a whole number from 1 to ${MAX_LINK_MINUTES}`)
      .default(DEFAULT_LINK_MINUTES),
  }),
  async run({ database, config, io }, args) {
    if (!(await findUser(database.db, args.username))) {
      io.err(`Error: no user named "${args.username}". Create one with \`parley createuser ${args.username}\`.`);
      return EXIT.failure;
    }
    const link = await createSignInLink(database.db, args);
    io.out(signInLinkUrl(config.publicUrl, link.token));
    io.err(`It signs in once, until ${link.expiresAt.toISOString()}. Whoever has it is signed in as ${args.username}.`);
    return EXIT.ok;
  },
});
