import { z } from 'zod';
import { migrateDatabase } from '../../db/migrate.js';
import { defineCommand, EXIT } from '../command.js';

export const migrate = defineCommand({
  args: z.object({}),
  async run({ database, io }) {
    const { applied, total } = await migrateDatabase(database);
    io.out(
      applied === 0
        ? `Database is up to date (${total} migration${total === 1 ? '' : 's'}).`
        : `Applied ${applied} migration${applied === 1 ? '' : 's'}; ${total} in all.`,
    );
    return EXIT.ok;
  },
});
