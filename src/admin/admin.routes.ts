import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Config } from '../kernel/config.js';
import { responses } from '../kernel/http-errors.js';
import { withWarnings } from '../kernel/ignored-fields.js';
import { requireAdmin, requireToken } from '../auth/authenticate.js';
import type { Database } from '../db/client.js';
import type { Queue } from '../infra/queue.js';
import { createBusiness, getBusiness, listBusinesses } from './admin.service.js';
import {
  businessList,
  businessParams,
  businessView,
  createBusinessBody,
  createdBusiness,
  systemResponse,
} from './admin.schema.js';
import { systemStatus } from './system.service.js';

const security = [{ bearer: [] }];
const tags = ['admin'];

/** The operator's screens: every business, creating one, and the machinery's state. Administrators only. */
export const adminRoutes: FastifyPluginAsyncZod<{ db: Database; config: Config; queue: Queue }> = async (
  app,
  { db, config, queue },
) => {
  app.addHook('onRequest', requireToken(db));
  // After authentication (a 401 stays a 401), before validation: a business learns nothing of these routes.
  app.addHook('preValidation', async (request) => {
    requireAdmin(request);
  });
  const deps = { db, timezone: config.timezone, defaultQuota: config.defaultQuota };

  app.get(
    '/api/v1/admin/businesses/',
    {
      schema: {
        tags,
        summary: 'Every business: its AI switch, conversations, usage this month and caps (admins only)',
        security,
        response: responses({ 200: businessList }, 401, 403),
      },
    },
    async () => {
      const results = await listBusinesses(deps);
      return { count: results.length, results };
    },
  );

  app.post(
    '/api/v1/admin/businesses/',
    {
      schema: {
        tags,
        summary: 'Create a business, as `parley createuser` does, with a generated one-time password (admins only)',
        description:
          'The same rules as the CLI: a username of 1–150 letters, digits and @ . + - _, unique whatever its case (409 `user_exists`), an optional valid email. The password is in this answer only.',
        security,
        body: createBusinessBody,
        response: responses({ 201: withWarnings(createdBusiness) }, 400, 401, 403, 409),
      },
    },
    async (request, reply) => {
      const { username, email, is_admin: isAdmin } = request.body;
      const created = await createBusiness(deps, { username, email, isAdmin });
      // A password in the body: no cache along the way may keep it.
      return reply.code(201).header('cache-control', 'no-store').send(created);
    },
  );

  app.get(
    '/api/v1/admin/businesses/:business_id/',
    {
      schema: {
        tags,
        summary: 'One business: its AI switch, conversations, usage this month and caps (admins only)',
        security,
        params: businessParams,
        response: responses({ 200: businessView }, 400, 401, 403, 404),
      },
    },
    async (request) => getBusiness(deps, request.params.business_id),
  );

  app.get(
    '/api/v1/admin/system/',
    {
      schema: {
        tags,
        summary:
          "The model's last health check, the queue's depth and failed jobs, scheduled tasks' last runs (admins only)",
        security,
        response: responses({ 200: systemResponse }, 401, 403),
      },
    },
    async () => systemStatus({ db, queue, config }),
  );
};
