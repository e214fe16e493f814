import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { startControlServer, type ControlServer } from '../cli/control.js';
import { openDatabase, type DatabaseHandle } from '../db/client.js';
import { migrateDatabase } from '../db/migrate.js';
import { closeRedis, connectRedis, type Redis } from '../infra/redis.js';
import type { Config } from './config.js';
import type { ReadinessCheck } from './health.routes.js';
import { loggerOptions } from './logger.js';
import { withAppSecret } from './secret.js';
import { buildApp } from './server.js';

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  logger: Logger;
  close(): Promise<void>;
}

/** Everything `parley serve` owns: database, Redis, HTTP server, control socket. */
export async function startServer(
  baseConfig: Config,
  logger: Logger = pino(loggerOptions(baseConfig.logLevel)),
): Promise<RunningServer> {
  const config = await withAppSecret(baseConfig);
  const cleanups: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        logger.error({ err: error }, 'error during shutdown');
      }
    }
    cleanups.length = 0;
  };

  try {
    const database: DatabaseHandle = await openDatabase(config.database, {
      dataDir: config.dataDir,
      onPoolError: (error) => logger.warn({ err: error }, 'idle PostgreSQL connection lost'),
    });
    cleanups.push(() => database.close());
    const migration = await migrateDatabase(database);
    if (migration.applied > 0) logger.info(migration, 'database migrated');

    const readiness: Record<string, ReadinessCheck> = { database: () => database.ping() };
    let redis: Redis | undefined;
    if (config.redisUrl) {
      const client = await connectRedis(config.redisUrl, (error) =>
        logger.warn({ err: error }, 'Redis connection problem'),
      );
      redis = client;
      cleanups.push(() => closeRedis(client));
      readiness.redis = async () => {
        await client.ping();
      };
    }

    const app = await buildApp({ config, db: database.db, readiness, logger });
    cleanups.push(() => app.close());

    let control: ControlServer | undefined;
    if (database.kind === 'embedded') {
      control = await startControlServer({ database, config }, logger);
      if (control) cleanups.push(() => control!.close());
    }

    await app.listen({ port: config.port, host: config.host });
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
      },
      `Parley is listening on ${url}`,
    );
    return { app, url, logger, close };
  } catch (error) {
    await close();
    throw error;
  }
}
