import { z } from 'zod';
import { aiStatusRows } from '../../ai/ai-settings.js';
import { findUser } from '../../auth/auth.service.js';
import { defineCommand, EXIT, table } from '../command.js';

/** `ai_control conversations [--user U]`: who answers how many conversations, per business. */
export const aiControlConversations = defineCommand({
  args: z.object({ user: z.string().optional(), json: z.boolean().default(false) }),
  async run({ database, config, io }, args) {
    if (args.user !== undefined && !(await findUser(database.db, args.user))) {
      io.err(`Error: no user named "${args.user}".`);
      return EXIT.failure;
    }
    const rows = (await aiStatusRows(database.db, config.gemini.defaultModel)).filter(
      (row) => args.user === undefined || row.username === args.user,
    );
    const total = rows.reduce(
      (sum, row) => ({ active: sum.active + row.active, supportActive: sum.supportActive + row.supportActive }),
      { active: 0, supportActive: 0 },
    );
    if (args.json) {
      io.out(
        JSON.stringify({
          users: rows.map((row) => ({
            username: row.username,
            active: row.active,
            support_active: row.supportActive,
            total: row.active + row.supportActive,
          })),
          total: {
            active: total.active,
            support_active: total.supportActive,
            total: total.active + total.supportActive,
          },
        }),
      );
      return EXIT.ok;
    }
    const lines = table(
      ['user', 'active (AI)', 'support_active (people)', 'total'],
      [
        ...rows.map((row) => [row.username, row.active, row.supportActive, row.active + row.supportActive]),
        ...(args.user === undefined && rows.length > 1
          ? [['all', total.active, total.supportActive, total.active + total.supportActive]]
          : []),
      ],
    );
    for (const line of lines) io.out(line);
    return EXIT.ok;
  },
});
