import { InvalidArgumentError, Option, type Command } from 'commander';
import { CAP_USAGE, parseCap, parseWeight, WEIGHT_USAGE } from './commands/ai-quota.js';

/** Runs a database command by name with the parsed options (in this process, or in the running server). */
type RunCommand = (name: string, options: object) => Promise<void>;

/** `parley ai_control …`: the operator's switches and reports on the AI. */
export function addAiControlCommands(program: Command, run: RunCommand): void {
  const aiControl = program
    .command('ai_control')
    .alias('ai-control')
    .description('switch and inspect AI auto-response');
  aiControl
    .command('enable')
    .description('switch AI auto-response on for one user, or all')
    .option('--user <username>')
    .action(async (options: { user?: string }) => run('ai_control enable', options));
  aiControl
    .command('disable')
    .description('switch AI auto-response off for one user, or all')
    .option('--user <username>')
    .action(async (options: { user?: string }) => run('ai_control disable', options));
  aiControl
    .command('status')
    .description('one row per user: auto-response, default handler, model, key, conversations by status')
    .addOption(new Option('--json', 'machine-readable output').default(false))
    .action(async (options: { json: boolean }) => run('ai_control status', options));
  aiControl
    .command('test')
    .description('one real call to the model with the global key; prints latency and reply (exit 1 on failure)')
    .option('--model <name>', 'model to call (default: PARLEY_DEFAULT_MODEL)')
    .addOption(new Option('--json', 'machine-readable output').default(false))
    .action(async (options: { model?: string; json: boolean }) => run('ai_control test', options));
  aiControl
    .command('validate')
    .description(
      "check each user's AI setup and name every finding; exit 1 if a business has the AI on and it cannot " +
        'answer (not for one that has the AI off or no prompts)',
    )
    .option('--user <username>')
    .option('--strict', 'also exit 1 while a business has not finished setting up (AI off, no prompts)', false)
    .addOption(new Option('--json', 'machine-readable output').default(false))
    .action(async (options: { user?: string; json: boolean; strict: boolean }) => run('ai_control validate', options));
  aiControl
    .command('sync')
    .description("recompute each conversation's message count and last activity from its messages")
    .addOption(new Option('--json', 'machine-readable output').default(false))
    .action(async (options: { json: boolean }) => run('ai_control sync', options));
  aiControl
    .command('conversations')
    .description('conversations answered by the AI (active) and by people (support_active), per user')
    .option('--user <username>')
    .addOption(new Option('--json', 'machine-readable output').default(false))
    .action(async (options: { user?: string; json: boolean }) => run('ai_control conversations', options));
  aiControl
    .command('handback')
    .description(
      'hand back to the AI the conversations that went to people only because the AI was unavailable when they began',
    )
    .option('--user <username>')
    .option('--dry-run', 'say what would change, change nothing', false)
    .addOption(new Option('--json', 'machine-readable output').default(false))
    .action(async (options: { user?: string; dryRun: boolean; json: boolean }) => run('ai_control handback', options));
  aiControl
    .command('suspend')
    .description("the operator's stop: this user's AI answers no one, whatever they set (their own switch is kept)")
    .requiredOption('--user <username>')
    .action(async (options: { user: string }) => run('ai_control suspend', options));
  aiControl
    .command('resume')
    .description("lift a suspension: the user's own settings decide again")
    .requiredOption('--user <username>')
    .action(async (options: { user: string }) => run('ai_control resume', options));
  const cap = (value: string) => {
    const parsed = parseCap(value);
    if (parsed === undefined) throw new InvalidArgumentError(`Expected ${CAP_USAGE}.`);
    return parsed;
  };
  const weight = (value: string) => {
    const parsed = parseWeight(value);
    if (parsed === undefined) throw new InvalidArgumentError(`Expected ${WEIGHT_USAGE}.`);
    return parsed;
  };
  aiControl
    .command('quota')
    .description(
      "set (0 = none, default = the operator's default) or show a business's token caps on the shared key " +
        '(over a cap, AI replies stop) and its weight in the turns businesses take when the per-minute budget is contended',
    )
    .requiredOption('--user <username>')
    .option('--daily-tokens <n>', 'tokens a calendar day (PARLEY_TIMEZONE), 0 for none, or default', cap)
    .option('--monthly-tokens <n>', 'tokens a calendar month (PARLEY_TIMEZONE), 0 for none, or default', cap)
    .option('--weight <n>', `its share of the per-minute budget relative to others' (${WEIGHT_USAGE})`, weight)
    .addOption(new Option('--json', 'machine-readable output').default(false))
    .action(
      async (options: {
        user: string;
        dailyTokens?: number | 'default';
        monthlyTokens?: number | 'default';
        weight?: number;
        json: boolean;
      }) => run('ai_control quota', options),
    );
}
