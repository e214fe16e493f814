import { z } from 'zod';
import { sharedKeyModel } from '../../model/shared-key.js';
import { checkBusinesses, failsCheck, statusOf } from '../../ai/setup-checks.js';
import { findUser } from '../../auth/auth.service.js';
import { defineCommand, EXIT } from '../command.js';
import { findingLine, findingsJson, statusWords } from '../setup-report.js';

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

/**
 * `ai_control validate [--user U] [--strict]`: every finding about each
 * business's AI setup. Exit 1 when a business has the AI on and it cannot
 * answer; a business that has not finished setting up (AI off, no prompts)
 * fails only with --strict.
 */
export const aiControlValidate = defineCommand({
  args: z.object({ user: z.string().optional(), json: z.boolean().default(false), strict: z.boolean().default(false) }),
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
    const failing = checks.filter((check) => failsCheck(check.findings, args.strict));
    if (args.json) {
      io.out(JSON.stringify({ valid: failing.length === 0, strict: args.strict, users: checks.map(findingsJson) }));
    } else if (checks.length === 0) {
      io.out('No users yet. Create one with `parley createuser USERNAME`.');
    } else {
      for (const check of checks) {
        io.out(`${check.username}: ${statusWords(check)} (${check.modelName})`);
        for (const finding of check.findings) io.out(`  - ${findingLine(finding, check.username)}`);
      }
      const count = (status: string) => checks.filter((check) => statusOf(check.findings) === status).length;
      const summary = `${count('ready')} ready, ${count('unfinished')} not set up yet, ${count('broken')} broken.`;
      io.out(
        failing.length === 0
          ? summary
          : `${summary} ${plural(failing.length, 'AI setup')} failed${args.strict ? ' (--strict)' : ''}.`,
      );
    }
    return failing.length === 0 ? EXIT.ok : EXIT.failure;
  },
});
