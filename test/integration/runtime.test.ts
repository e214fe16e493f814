import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/kernel/config.js';
import { startServer, type RunningServer } from '../../src/app/runtime.js';
import { openDatabase } from '../../src/db/client.js';
import { migrateDatabase } from '../../src/db/migrate.js';
import { createPostgresDatabase } from '../helpers/database.js';

/** `parley serve`'s runtime on real PostgreSQL and Redis (TEST_DATABASE_URL, TEST_REDIS_URL). */
const redisUrl = process.env.TEST_REDIS_URL!;
let database: Awaited<ReturnType<typeof createPostgresDatabase>>;
const servers: RunningServer[] = [];

beforeAll(async () => {
  database = await createPostgresDatabase();
});
afterAll(async () => {
  for (const server of servers) await server.close();
  await database.drop();
});

function start(env: Record<string, string>) {
  const config = loadConfig({
    DATABASE_URL: database.url,
    APP_SECRET: 'integration-secret-integration-secret-0123',
    PORT: '0',
    LOG_LEVEL: 'silent',
    ...env,
  });
  return startServer(config, pino({ level: 'silent' })).then((server) => {
    servers.push(server);
    return server;
  });
}

describe('serve on PostgreSQL and Redis', () => {
  it('reports both ready', async () => {
    const server = await start({ REDIS_URL: redisUrl });
    const response = await fetch(`${server.url}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: 'ready',
      checks: { database: { ok: true }, redis: { ok: true } },
      model_health: null,
    });
  });

  it('reports not ready while Redis cannot be reached, and stays up', async () => {
    const server = await start({ REDIS_URL: 'redis://127.0.0.1:1' });
    const response = await fetch(`${server.url}/readyz`);
    expect(response.status).toBe(503);
    const body = (await response.json()) as { checks: Record<string, { ok: boolean }> };
    expect(body.checks.database).toEqual({ ok: true });
    expect(body.checks.redis?.ok).toBe(false);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('lets several processes migrate at once without tripping over each other', async () => {
    const fresh = await createPostgresDatabase();
    try {
      const handles = await Promise.all(
        [1, 2, 3].map(() => openDatabase({ kind: 'postgres', url: fresh.url }, { poolSize: 2 })),
      );
      const results = await Promise.all(handles.map((handle) => migrateDatabase(handle)));
      expect(results.map((result) => result.applied).sort()).toEqual([0, 0, results[0]!.total].sort());
      await Promise.all(handles.map((handle) => handle.close()));
    } finally {
      await fresh.drop();
    }
  });
});
