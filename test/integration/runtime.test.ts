import { createCipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/kernel/config.js';
import { startServer, type RunningServer } from '../../src/app/runtime.js';
import { openDatabase } from '../../src/db/client.js';
import { migrateDatabase } from '../../src/db/migrate.js';
import { channels } from '../../src/db/schema/index.js';
import { createUser } from '../../src/auth/auth.service.js';
import { secretBox } from '../../src/kernel/secret-box.js';
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

  it('re-seals, at start, channel credentials sealed before they were bound to their row or under APP_SECRET_PREVIOUS', async () => {
    const previous = 'integration-previous-secret-0123456789ab';
    const handle = await openDatabase({ kind: 'postgres', url: database.url }, { poolSize: 2 });
    try {
      await migrateDatabase(handle);
      const owner = await createUser(handle.db, { username: 'reseal-owner' });
      const old = sealTheOldWay(previous, '123:old-format-token');
      await handle.db.insert(channels).values([
        { id: 'reseal-old', userId: owner.id, type: 'telegram', externalId: '900001', name: '@old', credentials: old },
        {
          id: 'reseal-gone',
          userId: owner.id,
          type: 'telegram',
          externalId: '900002',
          name: '@gone',
          credentials: sealTheOldWay('a-secret-nobody-has-any-more-0123456789', '123:lost'),
        },
      ]);

      await start({ APP_SECRET_PREVIOUS: previous });
      const rows = await handle.db.select().from(channels).orderBy(channels.id);
      const current = secretBox('integration-secret-integration-secret-0123');
      expect(rows.map((row) => row.id)).toEqual(['reseal-gone', 'reseal-old']);
      expect(current.open(rows[1]!.credentials, 'channels/reseal-old/credentials')).toEqual({
        plaintext: '123:old-format-token',
      });
      // What opens under neither secret is left as it was, for the business to reconnect.
      expect(rows[0]!.credentials).toMatch(/^v1\./);
    } finally {
      await handle.close();
    }
  });
});

/** A token as Parley sealed it before values were bound to their row (format v1). */
function sealTheOldWay(appSecret: string, plaintext: string): string {
  const key = Buffer.from(hkdfSync('sha256', appSecret, 'parley', 'channel-credentials', 32));
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', ...[iv, cipher.getAuthTag(), body].map((part) => part.toString('base64url'))].join('.');
}
