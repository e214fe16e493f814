import { z } from 'zod';
import { sharedKeyModel } from '../../model/shared-key.js';
import { checkBusinesses } from '../../ai/setup-checks.js';
import { findUser } from '../../auth/auth.service.js';
import { defineCommand, EXIT } from '../command.js';

/** `ai_control validate [--user U]`: names every problem with each business's AI setup. */
export const aiControlValidate = defineCommand({
  args: z.object({ user: z.string().optional(), json: z.boolean().default(false) }),
  async run({ database, config, io }, args) {
    if (args.user !== undefined && !(await findUser(database.db, args.user))) {
      io.err(`Error: no user named "${args.user}".`);
      return EXIT.failure;
    }
    const checks = await checkBusinesses(
      database.db,
      config,
      sharedKeyModel(config),
      args.user ? [args.user] : undefined,
    );
    const invalid = checks.filter((check) => check.problems.length > 0);
    if (args.json) {
      io.out(
        JSON.stringify({
          valid: invalid.length === 0,
          users: checks.map((check) => ({
            username: check.username,
            model_name: check.modelName,
            problems: check.problems,
          })),
        }),
      );
    } else if (checks.length === 0) {
      io.out('No users yet. Create one with `parley createuser USERNAME`.');
    } else {
      for (const check of checks) {
        if (check.problems.length === 0) {
          io.out(`${check.username}: OK (${check.modelName})`);
          continue;
        }
        io.out(`${check.username}: ${check.problems.length} problem${check.problems.length === 1 ? '' : 's'}`);
        for (const problem of check.problems) io.out(`  - ${problem}`);
      }
      io.out(
        invalid.length === 0
          ? `All ${checks.length} AI setup${checks.length === 1 ? '' : 's'} valid.`
          : `${invalid.length} of ${checks.length} AI setup${checks.length === 1 ? '' : 's'} invalid.`,
      );
    }
    return invalid.length === 0 ? EXIT.ok : EXIT.failure;
  },
});
