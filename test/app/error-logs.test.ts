import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app/server.js';
import { insertChannel } from '../../src/channels/channels.repo.js';
import { createLocalQueue } from '../../src/infra/local-queue.js';
import { loggerOptions } from '../../src/kernel/logger.js';
import { testConfig } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

/**
 * A database error on a request is logged with what failed (message, SQLSTATE,
 * constraint), never with the values the query carried: on PGlite and on
 * PostgreSQL, whose errors quote values in their detail and sometimes their message.
 */
let database: TestDatabase;
let app: FastifyInstance;
const lines: string[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  const logger = pino(loggerOptions('info'), { write: (line: string) => lines.push(line) });
  app = await buildApp({
    config: testConfig(),
    db: database.handle.db,
    queue: createLocalQueue(),
    readiness: {},
    logger,
  });
  // A channel row for a business that does not exist: a foreign-key violation whose detail names the value.
  app.post('/boom/foreign-key', async () => {
    await insertChannel(database.handle.db, {
      id: 'chan-boom-1',
      userId: 'sk-SECRET-USER-123',
      type: 'telegram',
      externalId: '42',
      name: '@boom_bot',
      credentials: 'sk-SECRET-CREDENTIALS-123',
      webhookSecretHash: null,
    });
    return {};
  });
  // PostgreSQL quotes a value it cannot convert in the message itself.
  app.post('/boom/type', async () => {
    await database.handle.db.execute(sql`select ${'sk-SECRET-456'}::integer`);
    return {};
  });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await database.drop();
});

function loggedError(requestId: string): {
  msg: string;
  err: Record<string, unknown> & { cause?: Record<string, unknown> };
} {
  const entries = lines.map(
    (line) => JSON.parse(line) as { reqId?: string; msg: string; err?: Record<string, unknown> },
  );
  const entry = entries.find((candidate) => candidate.reqId === requestId && candidate.err);
  if (!entry) throw new Error(`no error logged for ${requestId}:\n${lines.join('')}`);
  return entry as { msg: string; err: Record<string, unknown> };
}

describe('database errors in the logs', () => {
  it('a constraint violation is logged with its code and constraint, without the row’s values', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/boom/foreign-key',
      headers: { 'x-request-id': 'fk-1' },
    });
    expect(response.statusCode).toBe(500);
    expect(response.json()).toMatchObject({ code: 'server_error' });
    expect(response.body).not.toContain('SECRET');

    const { msg, err } = loggedError('fk-1');
    expect(msg).toBe('unhandled error');
    expect(err.message).toContain('insert into "channels"');
    const cause = err.cause ?? err;
    expect(cause).toMatchObject({ code: '23503', constraint: 'channels_user_id_users_id_fk' });
    expect(String(cause.message)).toContain('violates foreign key constraint');
    expect(cause).not.toHaveProperty('detail');
    expect(err).not.toHaveProperty('params');
    expect(lines.join('')).not.toContain('SECRET');
  });

  it('a value PostgreSQL quotes in its message is redacted there too', async () => {
    const response = await app.inject({ method: 'POST', url: '/boom/type', headers: { 'x-request-id': 'type-1' } });
    expect(response.statusCode).toBe(500);

    const { err } = loggedError('type-1');
    const cause = err.cause ?? err;
    expect(cause).toMatchObject({ code: '22P02' });
    expect(String(cause.message)).toBe('invalid input syntax for type integer: [redacted]');
    expect(String(cause.stack)).toContain('invalid input syntax for type integer');
    expect(lines.join('')).not.toContain('SECRET');
  });
});
