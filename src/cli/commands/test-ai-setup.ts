import { z } from 'zod';
import { sharedKeyModel } from '../../model/shared-key.js';
import { checkBusinesses, failsCheck, modelChecker, statusOf } from '../../ai/setup-checks.js';
import { migrationStatus } from '../../db/migrate.js';
import { withTimeout } from '../../kernel/timeout.js';
import { closeRedis, connectRedis } from '../../infra/redis.js';
import { defineCommand, EXIT, type CommandContext } from '../command.js';
import { findingLine, statusWords } from '../setup-report.js';

/** `warn`: worth knowing, not a failure (a business that has not finished setting up), unless --strict. */
type CheckState = 'ok' | 'warn' | 'fail';

interface Check {
  name: string;
  ok: boolean;
  state: CheckState;
  detail: string;
}

const check = (name: string, ok: boolean, detail: string): Check => ({
  name,
  ok,
  state: ok ? 'ok' : 'fail',
  detail,
});

const REDIS_TIMEOUT_MS = 3_000;

async function checkRedis(url: string): Promise<Check> {
  let lastError = '';
  const redis = await connectRedis(url, (error) => (lastError = error.message));
  try {
    const answer = await withTimeout(redis.ping(), REDIS_TIMEOUT_MS).catch((error: Error) => {
      throw new Error(lastError || error.message);
    });
    return check('redis', answer === 'PONG', `answers ${answer}`);
  } catch (error) {
    return check('redis', false, `cannot reach ${new URL(url).host}: ${(error as Error).message}`);
  } finally {
    await closeRedis(redis);
  }
}

async function runChecks({ database, config }: CommandContext, strict: boolean): Promise<Check[]> {
  const checks: Check[] = [];
  let databaseAnswers = true;
  try {
    await database.ping();
    checks.push(
      check('database', true, database.kind === 'embedded' ? 'embedded PGlite answers' : 'PostgreSQL answers'),
    );
    const { applied, total } = await migrationStatus(database);
    checks.push(
      check(
        'migrations',
        applied === total,
        applied === total ? `all ${total} applied` : `${applied} of ${total} applied: run \`parley migrate\``,
      ),
    );
  } catch (error) {
    checks.push(check('database', false, (error as Error).message));
    databaseAnswers = false;
  }
  if (config.redisUrl) checks.push(await checkRedis(config.redisUrl));
  const model = sharedKeyModel(config);
  checks.push(
    check(
      'gemini key',
      Boolean(model),
      model ? 'GEMINI_API_KEY is set' : 'GEMINI_API_KEY is not set: the AI is unavailable',
    ),
  );
  if (model) {
    const problem = await modelChecker(model)(config.gemini.defaultModel);
    checks.push(
      check('model', !problem, problem?.message ?? `${config.gemini.defaultModel} is reachable with the key`),
    );
  }
  // The businesses' setups are read from the database: without it there is nothing to check.
  let businesses: Awaited<ReturnType<typeof checkBusinesses>> = [];
  try {
    if (databaseAnswers) businesses = await checkBusinesses(database.db, config, model);
  } catch (error) {
    checks.push(check('businesses', false, `cannot read their setups: ${(error as Error).message}`));
  }
  for (const business of businesses) {
    const status = statusOf(business.findings);
    const fails = failsCheck(business.findings, strict);
    const findings = business.findings.map((finding) => findingLine(finding, business.username)).join('; ');
    checks.push({
      name: `user ${business.username}`,
      ok: !fails,
      state: fails ? 'fail' : status === 'ready' ? 'ok' : 'warn',
      detail: status === 'ready' ? `ready (${business.modelName})` : `${statusWords(business)}: ${findings}`,
    });
  }
  return checks;
}

const LABEL: Record<CheckState, string> = { ok: ' OK ', warn: 'WARN', fail: 'FAIL' };

/**
 * `test_ai_setup [--strict]`: database and migrations, Redis, key, model, and
 * every business's AI setup. Fails (exit 1) on what is broken: a business that
 * has the AI off or no prompts is its own choice and only warns, unless --strict.
 */
export const testAiSetup = defineCommand({
  args: z.object({ json: z.boolean().default(false), strict: z.boolean().default(false) }),
  async run(context, args) {
    const checks = await runChecks(context, args.strict);
    const ok = checks.every((each) => each.ok);
    if (args.json) context.io.out(JSON.stringify({ ok, strict: args.strict, checks }));
    else {
      for (const each of checks) context.io.out(`[${LABEL[each.state]}] ${each.name}: ${each.detail}`);
      const failed = checks.filter((each) => !each.ok).length;
      const warned = checks.filter((each) => each.state === 'warn').length;
      context.io.out(
        !ok
          ? `${failed} check${failed === 1 ? '' : 's'} failed.`
          : warned > 0
            ? `Ready, with ${warned} business${warned === 1 ? '' : 'es'} not set up yet (--strict fails on those).`
            : 'Everything checked is ready.',
      );
    }
    return ok ? EXIT.ok : EXIT.failure;
  },
});
