import { z } from 'zod';
import { AppError } from '../../kernel/errors.js';
import { createUser } from '../../auth/auth.service.js';
import { defineCommand, EXIT } from '../command.js';

export const createuser = defineCommand({
  args: z.object({
    username: z.string(),
    email: z.string().optional(),
    password: z.string().optional(),
    admin: z.boolean().default(false),
  }),
  async run({ database, io }, args) {
    try {
      const user = await createUser(database.db, {
        username: args.username,
        email: args.email,
        password: args.password,
        isAdmin: args.admin,
      });
      io.out(`Created ${user.isAdmin ? 'administrator' : 'user'} "${user.username}".`);
      if (!user.passwordHash) {
        io.err('No password was given: this account signs in with tokens only (`parley token create`).');
      }
      return EXIT.ok;
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      io.err(`Error: ${error.message}`);
      for (const [field, messages] of Object.entries(error.errors ?? {})) {
        if (messages.length > 1 || !error.message.includes(messages[0] ?? ''))
          io.err(`  ${field}: ${messages.join(' ')}`);
      }
      // An existing user is a failure (exit 1); bad arguments are a usage error (exit 2).
      return error.code === 'user_exists' ? EXIT.failure : EXIT.usage;
    }
  },
});
