import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { sharedKeyModel } from '../model/shared-key.js';
import { openDatabase, type DatabaseHandle } from '../db/client.js';
import { createInfra, type Infra } from '../infra/index.js';
import { startAllJobs } from '../jobs/catalogue.js';
import { modelHealthView, SCHEDULES } from '../jobs/scheduled.jobs.js';
import { createFanoutEventBus, createSingleProcessEventBus } from '../events/fanout.js';
import { cacheWatchers } from '../events/watchers.js';
import type { EventBus } from '../events/events.js';
import { createTokenRevocations, type TokenRevocations } from '../events/revocations.js';
import { secretBox } from '../kernel/secret-box.js';
import { resealCredentials } from '../channels/credentials.js';
import { migrateDatabase } from '../db/migrate.js';
import { closeRedis, connectRedis, type Redis } from '../infra/redis.js';
import { instrumentModel } from '../metrics/instrument-model.js';
import { createMetrics } from '../metrics/metrics.js';
import { startMetricsServer, type MetricsServer } from '../metrics/metrics.server.js';
import { ConfigError, type Config } from '../kernel/config.js';
import type { ReadinessCheck } from './health.routes.js';
import { loggerOptions } from '../kernel/logger.js';
import { withAppSecret } from '../kernel/app-secret.js';
import { buildApp } from './server.js';
import { RECOMMENDED_COST } from '../auth/password.js';
import { NO_KEY_HELP } from '../ai/availability.js';
import { handBackWaiting, type HandbackDeps } from '../ai/handback.js';

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  logger: Logger;
  close(): Promise<void>;
}

export interface ServeOptions {
  /** Run the queue workers and schedules here too. Always so without Redis, where the queue is in-process. */
  worker?: boolean;
  /**
   * Opens the CLI's control socket beside an embedded database, so `parley`
   * commands run inside this process while it holds the database.
   */
  control?: (
    context: { database: DatabaseHandle; config: Config; revocations: TokenRevocations; events: EventBus },
    logger: Logger,
  ) => Promise<Closable | undefined>;
  /** How the person started this server, for the hint when its port is taken. Default: `npm start`. */
  startCommand?: string;
}

interface Closable {
  close(): Promise<void>;
}

/** A port another process holds: one line saying which variable moves Parley elsewhere, not a stack. */
export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    variable: 'PORT' | 'PARLEY_METRICS_PORT',
    command: string,
  ) {
    const free = port < 65535 ? port + 1 : port - 1;
    super(
      `port ${port} is already in use (is another Parley running?). Set ${variable} to a free port, e.g. ${variable}=${free} ${command}.`,
    );
    this.name = 'PortInUseError';
  }
}

async function listenOn<T>(listen: () => Promise<T>, port: number, error: () => PortInUseError): Promise<T> {
  try {
    return await listen();
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'EADDRINUSE' && port !== 0) throw error();
    throw cause;
  }
}

/** Everything `parley serve` owns: database, Redis, queue, HTTP server, control socket. */
export async function startServer(
  baseConfig: Config,
  logger: Logger = pino(loggerOptions(baseConfig.logLevel)),
  options: ServeOptions = {},
): Promise<RunningServer> {
  const config = await withAppSecret(baseConfig);
  const cleanups: Cleanup[] = [];
  const close = () => closeInTurn(cleanups, logger);

  try {
    const database: DatabaseHandle = await openDatabase(config.database, {
      dataDir: config.dataDir,
      onPoolError: (error) => logger.warn({ err: error }, 'idle PostgreSQL connection lost'),
    });
    cleanups.push({ what: 'the database', run: () => database.close() });
    const migration = await migrateDatabase(database);
    if (migration.applied > 0) logger.info(migration, 'database migrated');
    await resealChannelCredentials(config, database, logger);

    const readiness: Record<string, ReadinessCheck> = { database: () => database.ping() };
    let redis: Redis | undefined;
    if (config.redisUrl) {
      const client = await connectRedis(config.redisUrl, (error) =>
        logger.warn({ err: error }, 'Redis connection problem'),
      );
      redis = client;
      cleanups.push({ what: 'Redis', run: () => closeRedis(client) });
      readiness.redis = async () => {
        await client.ping();
      };
    }

    const infra = await createInfra(config, logger);
    cleanups.push({ what: 'the queue (running jobs finish)', run: () => infra.close() });
    if (config.passwordCost < RECOMMENDED_COST) {
      logger.warn(
        { passwordCost: config.passwordCost, recommended: RECOMMENDED_COST },
        "PARLEY_PASSWORD_COST is below OWASP's recommendation: new password hashes are weaker (meant for test suites)",
      );
    }
    const runsWorkers = options.worker === true || !config.redisUrl;

    // Events reach this process's WebSockets from every process, through Redis when configured.
    const { metrics, ...jobDeps } = await processParts(config, database, infra, logger, { listen: true });
    cleanups.push({ what: 'the event bus', run: () => jobDeps.events.close() });
    const { events, model, watchers } = jobDeps;
    if (runsWorkers) await startAllJobs(infra.queue, jobDeps);
    // Revokes from any process (or the CLI) close this process's sockets of the token.
    const revocations = createTokenRevocations(infra.pubsub, {
      onPublishError: (error) => logger.warn({ err: error }, 'token revoke not announced to other processes'),
      onSubscribeError: (error) => logger.warn({ err: error }, 'cannot hear token revokes yet; retrying'),
      onListenerError: (error) => logger.error({ err: error }, 'token revoke listener failed'),
    });
    cleanups.push({ what: 'token revocations', run: () => revocations.close() });

    const app = await buildApp({
      config,
      watchers,
      db: database.db,
      events,
      revocations,
      queue: infra.queue,
      model,
      readiness,
      modelHealth: () => modelHealthView(database.db),
      logger,
      metrics,
      cache: infra.cache,
      ...(redis ? { redis } : {}),
    });
    cleanups.push({ what: 'the HTTP server and its sockets', run: () => app.close() });

    if (database.kind === 'embedded' && options.control) {
      const control = await options.control({ database, config, revocations, events }, logger);
      if (control) cleanups.push({ what: 'the control socket', run: () => control.close() });
    }

    await handBackOnStart({ db: database.db, events, config }, logger);
    await listenOn(
      () => app.listen({ port: config.port, host: config.host }),
      config.port,
      () => new PortInUseError(config.port, 'PORT', options.startCommand ?? 'npm start'),
    );
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
    logger.info(
      {
        url,
        database:
          database.kind === 'embedded'
            ? `embedded (${config.database.kind === 'embedded' ? config.database.directory : ''})`
            : 'postgres',
        redis: redis ? 'configured' : 'not configured (in-process queue)',
        workers: runsWorkers ? 'in this process' : 'in `parley worker` processes',
        model: modelSummary(config),
      },
      `Parley is listening on ${url}`,
    );
    warnAboutModel(config, logger);
    return { app, url, logger, close };
  } catch (error) {
    await close();
    throw error;
  }
}

export interface RunningWorker {
  logger: Logger;
  close(): Promise<void>;
}

/** `parley worker`: the queue's workers and schedules, sharing jobs through Redis with every other process. */
export async function startWorker(
  baseConfig: Config,
  logger: Logger = pino(loggerOptions(baseConfig.logLevel)),
): Promise<RunningWorker> {
  if (!baseConfig.redisUrl || baseConfig.database.kind !== 'postgres') {
    throw new ConfigError([
      'parley worker needs DATABASE_URL and REDIS_URL: without them the queue is in-process and `parley serve` runs the jobs itself',
    ]);
  }
  const config = await withAppSecret(baseConfig);
  const database = await openDatabase(config.database, {
    onPoolError: (error) => logger.warn({ err: error }, 'idle PostgreSQL connection lost'),
  });
  let infra: Infra | undefined;
  try {
    await migrateDatabase(database);
    await resealChannelCredentials(config, database, logger);
    infra = await createInfra(config, logger);
    // Nobody listens here: the events go to the `serve` processes' WebSockets.
    const { metrics, ...jobDeps } = await processParts(config, database, infra, logger, { listen: false });
    metrics.observeQueue(infra.queue);
    await startAllJobs(infra.queue, jobDeps);
    // Only when asked for: a worker listens on nothing by default.
    const metricsPort = config.metricsPort;
    const metricsServer: MetricsServer | undefined =
      metricsPort === undefined
        ? undefined
        : await listenOn(
            () => startMetricsServer(metrics, metricsPort, config.host, config.metricsToken),
            metricsPort,
            () => new PortInUseError(metricsPort, 'PARLEY_METRICS_PORT', 'parley worker'),
          );
    logger.info(
      {
        schedules: SCHEDULES.map((s) => `${s.type.name} ${s.pattern} ${config.timezone}`),
        metrics: metricsServer?.url ?? 'not served (PARLEY_METRICS_PORT unset)',
      },
      'Parley worker is running',
    );
    const running = infra;
    return {
      logger,
      async close() {
        await metricsServer?.close();
        await running.close();
        await database.close();
      },
    };
  } catch (error) {
    await infra?.close();
    await database.close();
    throw error;
  }
}

function modelSummary(config: Config): string {
  if (config.gemini.simulated) return 'SIMULATED: a local stand-in for Gemini, every reply starts with [Simulated]';
  if (!config.gemini.apiKey) return 'none: GEMINI_API_KEY is not set';
  return `Gemini (${config.gemini.defaultModel} by default) with the shared key`;
}

/** The first thing a newcomer without a key needs to read: why the AI is silent, and what to do. */
function warnAboutModel(config: Config, logger: Logger): void {
  if (config.gemini.simulated) {
    logger.warn(
      'AI replies are SIMULATED by a local stand-in for Gemini and start with "[Simulated]". For real answers, set GEMINI_API_KEY instead of PARLEY_SIMULATED_MODEL.',
    );
  } else if (!config.gemini.apiKey) {
    logger.warn(NO_KEY_HELP.join(' '));
  }
}

/** Conversations that went to people only because the AI was unavailable follow their default handler again. */
async function handBackOnStart(deps: HandbackDeps, logger: Logger): Promise<void> {
  if (!deps.config.gemini.apiKey) return;
  try {
    const reports = await handBackWaiting(deps);
    for (const report of reports.filter((each) => each.returned > 0)) {
      logger.info(
        { user: report.username, conversations: report.returned },
        'conversations that waited for the AI are answered by the AI again',
      );
    }
  } catch (error) {
    // Their next customer message hands them back anyway: not a reason to refuse to start.
    logger.warn({ err: error }, 'could not hand waiting conversations back to the AI');
  }
}

/** Credentials sealed the old way or under APP_SECRET_PREVIOUS are sealed again for their row under APP_SECRET. */
async function resealChannelCredentials(
  config: Config & { appSecret: string },
  database: DatabaseHandle,
  logger: Logger,
): Promise<void> {
  const report = await resealCredentials(database.db, secretBox(config.appSecret, config.previousAppSecret));
  if (report.resealed > 0) logger.info({ resealed: report.resealed }, 'channel credentials re-sealed under APP_SECRET');
  if (report.unreadable.length > 0) {
    logger.warn(
      { channels: report.unreadable },
      'these channels’ credentials open under neither APP_SECRET nor APP_SECRET_PREVIOUS: they must be reconnected',
    );
  }
}

/**
 * What a `serve` or `worker` process builds once beside its database and
 * Redis: its metrics, its one model client (so every caller shares its rate
 * gate), its event bus, and who is watching live.
 */
async function processParts(
  config: Config & { appSecret: string },
  database: DatabaseHandle,
  infra: Infra,
  logger: Logger,
  { listen }: { listen: boolean },
) {
  const metrics = createMetrics();
  const onListenerError = (error: unknown) => logger.error({ err: error }, 'event listener failed');
  // Without Redis the pub/sub is this process's own: nobody else hears it.
  const events =
    infra.pubsub.kind === 'local'
      ? createSingleProcessEventBus({ onListenerError })
      : await createFanoutEventBus(infra.pubsub, {
          listen,
          onPublishError: (error) => logger.warn({ err: error }, 'live event not published'),
          onSubscribeError: (error) => logger.warn({ err: error }, 'cannot hear live events yet; retrying'),
          onListenerError,
        });
  return {
    metrics,
    db: database.db,
    config,
    model: instrumentModel(sharedKeyModel(config, infra.cache), metrics),
    events,
    secrets: secretBox(config.appSecret, config.previousAppSecret),
    watchers: cacheWatchers(infra.cache),
    cache: infra.cache,
  };
}

/** One thing a server closes on the way out, named for the log. */
interface Cleanup {
  what: string;
  run: () => Promise<void>;
}

/** A step slower than this is logged while it runs: a shutdown that hangs says on what. */
const SLOW_CLOSE_MS = 2_000;

/** Closes what was opened, last first; a failing step is logged and the others still run. */
async function closeInTurn(cleanups: Cleanup[], logger: Logger): Promise<void> {
  for (const { what, run } of cleanups.reverse()) {
    const slow = setTimeout(() => logger.warn(`shutdown is still waiting for ${what}`), SLOW_CLOSE_MS);
    try {
      await run();
    } catch (error) {
      logger.error({ err: error }, `error during shutdown, closing ${what}`);
    } finally {
      clearTimeout(slow);
    }
  }
  cleanups.length = 0;
}
