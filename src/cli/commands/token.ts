import { z } from 'zod';
import { createApiToken, findUser } from '../../auth/auth.service.js';
import { defineCommand, EXIT } from '../command.js';

export const tokenCreate = defineCommand({
  args: z.object({ username: z.string(), name: z.string().default('cli') }),
  async run({ database, io }, args) {
    const user = await findUser(database.db, args.username);
    if (!user) {
      io.err(`Error: no user named "${args.username}". Create one with \`parley createuser ${args.username}\`.`);
      return EXIT.failure;
    }
    // The token alone on stdout, so scripts can capture it: T=$(parley token create alice)
    io.out(await createApiToken(database.db, user.id, args.name));
    return EXIT.ok;
  },
});
