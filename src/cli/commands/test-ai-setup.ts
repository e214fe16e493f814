import { z } from 'zod';
import { sharedKeyModel } from '../../model/shared-key.js';
import { checkBusinesses, modelChecker } from '../../ai/setup-checks.js';
import { migrationStatus } from '../../db/migrate.js';
import { withTimeout } from '../../kernel/timeout.js';
import { closeRedis, connectRedis } from '../../infra/redis.js';
import { defineCommand, EXIT, type CommandContext } from '../command.js';

interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

const REDIS_TIMEOUT_MS = 3_000;

async function checkRedis(url: string): Promise<Check> {
  let lastError = '';
  const redis = await connectRedis(url, (error) => (lastError = error.message));
  try {
    const answer = await withTimeout(redis.ping(), REDIS_TIMEOUT_MS).catch((error: Error) => {
      throw new Error(lastError || error.message);
    });
    return { name: 'redis', ok: answer === 'PONG', detail: `answers ${answer}` };
  } catch (error) {
    return { name: 'redis', ok: false, detail: `cannot reach ${new URL(url).host}: ${(error as Error).message}` };
  } finally {
    await closeRedis(redis);
  }
}

async function runChecks({ database, config }: CommandContext): Promise<Check[]> {
  const checks: Check[] = [];
  try {
    await database.ping();
    checks.push({
      name: 'database',
      ok: true,
      detail: database.kind === 'embedded' ? 'embedded PGlite answers' : 'PostgreSQL answers',
    });
    const { applied, total } = await migrationStatus(database);
    checks.push({
      name: 'migrations',
      ok: applied === total,
      detail: applied === total ? `all ${total} applied` : `${applied} of ${total} applied: run \`parley migrate\``,
    });
  } catch (error) {
    checks.push({ name: 'database', ok: false, detail: (error as Error).message });
  }
  if (config.redisUrl) checks.push(await checkRedis(config.redisUrl));
  const model = sharedKeyModel(config);
  checks.push({
    name: 'gemini key',
    ok: Boolean(model),
    detail: model ? 'GEMINI_API_KEY is set' : 'GEMINI_API_KEY is not set: the AI is unavailable',
  });
  if (model) {
    const problem = await modelChecker(model)(config.gemini.defaultModel);
    checks.push({
      name: 'model',
      ok: !problem,
      detail: problem ?? `${config.gemini.defaultModel} is reachable with the key`,
    });
  }
  const businesses = await checkBusinesses(database.db, config, model);
  for (const business of businesses) {
    checks.push({
      name: `user ${business.username}`,
      ok: business.problems.length === 0,
      detail: business.problems.length === 0 ? `AI setup valid (${business.modelName})` : business.problems.join('; '),
    });
  }
  return checks;
}

/** `test_ai_setup`: database and migrations, Redis, key, model, and every business's AI setup. */
export const testAiSetup = defineCommand({
  args: z.object({ json: z.boolean().default(false) }),
  async run(context, args) {
    const checks = await runChecks(context);
    const ok = checks.every((check) => check.ok);
    if (args.json) context.io.out(JSON.stringify({ ok, checks }));
    else {
      for (const check of checks) context.io.out(`[${check.ok ? ' OK ' : 'FAIL'}] ${check.name}: ${check.detail}`);
      const failed = checks.filter((check) => !check.ok).length;
      context.io.out(ok ? 'Everything checked is ready.' : `${failed} check${failed === 1 ? '' : 's'} failed.`);
    }
    return ok ? EXIT.ok : EXIT.failure;
  },
});
