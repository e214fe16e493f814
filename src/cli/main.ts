import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ConfigError, loadConfig, type Config } from '../kernel/config.js';
import type { Logger } from 'pino';
import { startServer, startWorker } from '../app/runtime.js';
import { withAppSecret } from '../kernel/app-secret.js';
import { openDatabase } from '../db/client.js';
import { EmbeddedDatabaseBusyError, lockHolder } from '../db/lock.js';
import { createFanoutEventBus } from '../events/fanout.js';
import { createTokenRevocations } from '../events/revocations.js';
import { createLocalPubSub, type PubSub } from '../infra/pubsub.js';
import { migrateDatabase } from '../db/migrate.js';
import { EXIT, type CommandIO } from './command.js';
import { databaseCommands } from './commands/index.js';
import { addAiControlCommands } from './program-ai-control.js';
import { EXPIRES_IN_USAGE, parseExpiresIn } from './commands/token.js';
import { runInServer, startControlServer } from './control.js';
import { demoBanner, startDemo } from './demo.js';
import { DEFAULT_LINK_MINUTES, MAX_LINK_MINUTES } from '../auth/sign-in-links.service.js';
import { withSimulatedModel } from './simulated-model.js';
import { EXIT_CANCELLED, PromptCancelled, readPassword } from './prompt.js';
import { PASSWORD_MIN_LENGTH, setPasswordCost } from '../auth/password.js';

const terminal: CommandIO = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** How long a CLI waits for a starting server to open its control socket. */
const SERVER_STARTUP_WAIT_MS = 20_000;

function configOrExit(): Config {
  try {
    const config = loadConfig();
    // `createuser` hashes in this process when no server runs.
    setPasswordCost(config.passwordCost);
    return config;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) terminal.err(problem);
    process.exit(EXIT.failure);
  }
}

/**
 * Runs a database command: inside the running embedded server when there is
 * one (it holds the database), otherwise against the database directly.
 */
async function runDatabaseCommand(name: string, args: unknown): Promise<number> {
  const definition = databaseCommands[name];
  if (!definition) throw new Error(`unknown database command ${name}`);
  const config = await withAppSecret(configOrExit());
  if (config.database.kind === 'embedded') {
    const deadline = Date.now() + SERVER_STARTUP_WAIT_MS;
    for (;;) {
      const remote = await runInServer(config.dataDir, name, args, terminal);
      if (remote !== undefined) return remote;
      const holder = await lockHolder(config.dataDir);
      if (holder === undefined) break;
      // A server is starting (it takes the lock before it opens the socket): wait for it.
      if (Date.now() > deadline) throw new EmbeddedDatabaseBusyError(holder);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  const database = await openDatabase(config.database, { dataDir: config.dataDir, poolSize: 2 });
  const pubsub = config.redisUrl ? lazyRedisPubSub(config.redisUrl, config.redisPrefix) : createLocalPubSub();
  const revocations = createTokenRevocations(pubsub, {
    listen: false,
    onPublishError: () =>
      terminal.err(
        "Warning: Redis did not take the news; running servers close the token's live connections at their next check, within 30 seconds.",
      ),
  });
  // Nobody listens in the CLI: its events (a hand-back's status changes) are for running servers.
  const events = await createFanoutEventBus(pubsub, { listen: false });
  // `ai_control test` and `test_ai_setup` call the model: simulated here too when the server's would be.
  const model = await withSimulatedModel(config);
  try {
    if (name !== 'migrate') await migrateDatabase(database);
    return await definition.run({ database, config: model.config, io: terminal, revocations, events }, args);
  } finally {
    await model.close();
    await events.close();
    await pubsub.close();
    await database.close();
  }
}

/**
 * Redis for the CLI's one announcement (a revoke reaching running servers),
 * connected only when a command has something to announce: most have not.
 */
function lazyRedisPubSub(url: string, prefix: string): PubSub {
  let opened: Promise<PubSub> | undefined;
  const open = () =>
    (opened ??= import('../infra/redis-pubsub.js').then(({ createRedisPubSub }) =>
      // Connection trouble shows as the publish failing; the retries' own errors would only be noise.
      createRedisPubSub(url, () => {}, prefix),
    ));
  return {
    kind: 'redis',
    publish: async (channel, message) => (await open()).publish(channel, message),
    subscribe: () => Promise.reject(new Error('the CLI does not listen to live channels')),
    close: async () => (opened ? (await opened).close() : undefined),
  };
}

/** Keeps a server running until SIGTERM or SIGINT, then closes it gracefully (forcefully after 10 s). */
function stopOnSignal(logger: Logger, close: () => Promise<void>): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.error('shutdown took longer than 10 s; exiting');
      process.exit(EXIT.failure);
    }, 10_000);
    force.unref();
    close().then(
      () => process.exit(EXIT.ok),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(EXIT.failure);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

async function serve(options: { worker: boolean; simulated: boolean }): Promise<void> {
  const config = configOrExit();
  if (options.simulated) {
    if (config.gemini.apiKey || config.gemini.baseUrl) {
      terminal.err('Error: --simulated answers with simulated replies, GEMINI_API_KEY with the real model: use one.');
      process.exit(EXIT.usage);
    }
    config.gemini.simulated = true;
    // As if set in the environment, so a CLI whose shell sets it too is not told the server differs.
    process.env.PARLEY_SIMULATED_MODEL = '1';
  }
  const model = await withSimulatedModel(config);
  try {
    const server = await startServer(model.config, undefined, { worker: options.worker, control: startControlServer });
    stopOnSignal(server.logger, async () => {
      await server.close();
      await model.close();
    });
  } catch (error) {
    await model.close();
    throw error;
  }
}

async function worker(): Promise<void> {
  const model = await withSimulatedModel(configOrExit());
  try {
    const running = await startWorker(model.config);
    stopOnSignal(running.logger, async () => {
      await running.close();
      await model.close();
    });
  } catch (error) {
    await model.close();
    throw error;
  }
}

async function demo(): Promise<void> {
  const config = configOrExit();
  // Request logs would bury the banner; LOG_LEVEL still wins when set.
  if (process.env.LOG_LEVEL === undefined) config.logLevel = 'warn';
  const running = await startDemo(config);
  for (const line of demoBanner(running.server.url, running)) terminal.err(line);
  stopOnSignal(running.server.logger, () => running.close());
}

export function buildProgram(): Command {
  const program = new Command('parley')
    .description('Parley: customer chats answered by AI, watched and taken over by people.')
    .showHelpAfterError()
    .exitOverride();

  const exitWith = (code: number) => {
    process.exitCode = code;
  };

  program
    .command('serve')
    .description('migrate the database, then serve the HTTP API (and the jobs, without Redis or with --worker)')
    .option('--worker', 'also run the queue workers and schedules in this process', false)
    .option(
      '--simulated',
      'answer with simulated AI replies (no Gemini key needed), as PARLEY_SIMULATED_MODEL=1 does',
      false,
    )
    .action(serve);

  program
    .command('worker')
    .description('run the queue workers and schedules (needs DATABASE_URL and REDIS_URL)')
    .action(worker);

  program
    .command('demo')
    .description('serve a demo bakery whose AI replies are simulated locally: no Gemini key needed')
    .action(demo);

  program
    .command('migrate')
    .description('apply pending database migrations')
    .action(async () => exitWith(await runDatabaseCommand('migrate', {})));

  program
    .command('createuser')
    .description('create a business account')
    .argument('<username>', 'letters, digits and @ . + - _')
    .option('--email <email>', 'contact address')
    .option(
      '--password <password>',
      `at least ${PASSWORD_MIN_LENGTH} characters, not all digits (else PARLEY_PASSWORD, else asked for)`,
    )
    .option('--admin', 'may see every business (global usage)', false)
    .action(async (username: string, options: { email?: string; password?: string; admin: boolean }) => {
      let password: string;
      try {
        password = options.password ?? process.env.PARLEY_PASSWORD ?? (await readPassword());
      } catch (error) {
        if (!(error instanceof PromptCancelled)) throw error;
        terminal.err('\nCancelled.');
        return exitWith(EXIT_CANCELLED);
      }
      exitWith(
        await runDatabaseCommand('createuser', {
          username,
          email: options.email,
          password: password === '' ? undefined : password,
          admin: options.admin,
        }),
      );
    });

  const token = program.command('token').description('API tokens');
  const expiresIn = (value: string) => {
    const seconds = parseExpiresIn(value);
    if (seconds === undefined) throw new InvalidArgumentError(`Expected ${EXPIRES_IN_USAGE}.`);
    return seconds;
  };
  token
    .command('create')
    .description('print a new API token for a user, and nothing else')
    .argument('<username>')
    .option('--name <name>', 'a label to recognise the token by', 'cli')
    .option('--expires-in <duration>', 'expire after 30d, 12h, 45m or a number of seconds (default: never)', expiresIn)
    .action(async (username: string, options: { name: string; expiresIn?: number }) =>
      exitWith(await runDatabaseCommand('token create', { username, ...options })),
    );
  token
    .command('list')
    .description("a user's tokens: id, name, created, last used, expires (never the tokens themselves)")
    .argument('<username>')
    .addOption(new Option('--json', 'machine-readable output').default(false))
    .action(async (username: string, options: { json: boolean }) =>
      exitWith(await runDatabaseCommand('token list', { username, ...options })),
    );
  token
    .command('revoke')
    .description('revoke a token by id; its live connections close on every server')
    .argument('<id>', 'as `token list` shows it')
    .action(async (id: string) => exitWith(await runDatabaseCommand('token revoke', { id })));

  const wholeNumber = (value: string) => {
    if (!/^\d{1,7}$/.test(value.trim())) throw new InvalidArgumentError('Expected a whole number.');
    return Number(value);
  };
  program
    .command('signin_link')
    .alias('signin-link')
    .description('print a one-time link that opens the dashboard signed in as a user (for a first sign-in)')
    .argument('<username>')
    .option('--minutes <n>', `how long the link works, 1 to ${MAX_LINK_MINUTES}`, wholeNumber, DEFAULT_LINK_MINUTES)
    .action(async (username: string, options: { minutes: number }) =>
      exitWith(await runDatabaseCommand('signin_link', { username, ...options })),
    );

  addAiControlCommands(program, async (name, options) => exitWith(await runDatabaseCommand(name, options)));

  program
    .command('test_ai_setup')
    .alias('test-ai-setup')
    .description(
      "check database, migrations, Redis, key, model and each user's AI setup; exit 1 on what is broken " +
        '(a business with the AI on that cannot answer), not on one that has the AI off or no prompts',
    )
    .option('--strict', 'also exit 1 while any business has not finished setting up (AI off, no prompts)', false)
    .addOption(new Option('--json', 'machine-readable output').default(false))
    .action(async (options: { json: boolean; strict: boolean }) =>
      exitWith(await runDatabaseCommand('test_ai_setup', options)),
    );

  return program;
}

export async function main(argv: string[] = process.argv): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are not errors; everything else commander rejects is a usage error.
      process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    if (error instanceof EmbeddedDatabaseBusyError) {
      terminal.err(`Error: ${error.message} Stop it, or wait for it to finish starting.`);
      process.exitCode = EXIT.failure;
      return;
    }
    if (error instanceof ConfigError) {
      for (const problem of error.problems) terminal.err(problem);
      process.exitCode = EXIT.failure;
      return;
    }
    terminal.err(`Error: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = EXIT.failure;
  }
}

await main();
