import { randomUUID } from 'node:crypto';
import querystring from 'node:querystring';
import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { adminRoutes } from '../admin/admin.routes.js';
import { aiRoutes } from '../ai/ai.routes.js';
import { setupRoutes } from '../ai/setup.routes.js';
import { businessHoursRoutes } from '../ai/business-hours.routes.js';
import { conversationStatusRoutes } from '../ai/conversation-status.routes.js';
import { tryItRoutes } from '../ai/try-it.routes.js';
import { businessAiAvailability } from '../ai/availability.js';
import { analyticsRoutes } from '../analytics/analytics.routes.js';
import { defaultHandlerRoutes } from '../auth/default-handler.routes.js';
import { sharedKeyModel } from '../model/shared-key.js';
import type { ModelProvider } from '../model/model-provider.js';
import { authRoutes } from '../auth/auth.routes.js';
import { installDashboardSessions } from '../auth/authenticate.js';
import { sessionRoutes } from '../auth/sessions.routes.js';
import { accountRoutes } from '../auth/account.routes.js';
import { setPasswordCost } from '../auth/password.js';
import { signInGuard } from '../auth/sign-in-guard.js';
import { forgetTokens } from '../auth/auth.service.js';
import { channelRoutes } from '../channels/channels.routes.js';
import { forgetDeliveryChannels } from '../channels/delivery-channels.js';
import { CHANNEL_ADAPTERS } from '../channels/adapters.js';
import { widgetRoutes } from '../channels/website/widget.routes.js';
import type { Queue } from '../infra/queue.js';
import { createLocalCache, type Cache } from '../infra/cache.js';
import type { Redis } from '../infra/redis.js';
import { createLocalPubSub } from '../infra/pubsub.js';
import { createTokenRevocations, type TokenRevocations } from '../events/revocations.js';
import { conversationRoutes } from '../conversations/conversations.routes.js';
import { usageRoutes } from '../usage/usage.routes.js';
import type { Database } from '../db/client.js';
import { createLocalEventBus, type EventBus } from '../events/events.js';
import { instrumentModel } from '../metrics/instrument-model.js';
import { createMetrics, type Metrics } from '../metrics/metrics.js';
import { installMetrics } from '../metrics/metrics.routes.js';
import { installWebSocket } from '../realtime/ws.routes.js';
import type { Watchers } from '../events/watchers.js';
import type { Config } from '../kernel/config.js';
import { installDashboard } from './dashboard.js';
import { installWidgetFiles } from './widget-files.js';
import { healthRoutes, type ModelHealth, type ReadinessCheck } from './health.routes.js';
import { installRateLimits } from './rate-limits.js';
import { answerUnreadableUrl, installErrorHandling } from '../kernel/http-errors.js';
import { installIgnoredFieldWarnings } from '../kernel/ignored-fields.js';
import { loggerOptions } from '../kernel/logger.js';
import { secretBox } from '../kernel/secret-box.js';
import { FORM_BODY, jsonSentAsForm, validatorCompiler } from '../kernel/validation.js';

export const BODY_LIMIT = 1024 * 1024;

export interface AppDeps {
  config: Config;
  db: Database;
  /** Named readiness checks for /readyz (database, Redis …). */
  readiness: Record<string, ReadinessCheck>;
  modelHealth?: ModelHealth;
  /** Where domain events go; a new in-process bus when omitted. */
  events?: EventBus;
  /** Where token revokes are announced to every `serve` process; in-process when omitted. */
  revocations?: TokenRevocations;
  /** Who watches live, shared with the workers so they know when to stream; every reply streams without it. */
  watchers?: Watchers;
  /** The process's one model client (rate-limited with the workers'); built from config when omitted. */
  model?: ModelProvider | undefined;
  /** Where webhooks and agent replies put their jobs. */
  queue: Queue;
  /** The process's pino logger; `false` for silence (tests). Default: a new one at the configured level. */
  logger?: FastifyBaseLogger | false;
  /** The process's metrics, served at /metrics; a new registry when omitted. */
  metrics?: Metrics;
  /** Counts every process must agree on (sign-in lock-outs, caps' reservations); a new in-process cache when omitted. */
  cache?: Cache;
  /** Where the request limits count, shared by every `serve` process; in this process when omitted. */
  redis?: Redis;
  /** The clock replies are written by (a business's local time in its prompt); the real one when omitted. */
  now?: () => Date;
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const events = deps.events ?? createLocalEventBus();
  setPasswordCost(deps.config.passwordCost);
  const { timeouts } = deps.config;
  const app = Fastify({
    ...loggerOption(deps),
    bodyLimit: BODY_LIMIT,
    // A client must send its whole request (headers: its first part) within these, so slow senders
    // cannot hold connections open. A WebSocket is past them once upgraded.
    requestTimeout: timeouts.requestMs,
    http: {
      headersTimeout: timeouts.headersMs,
      // Node checks the two above only this often (30 s by default).
      connectionsCheckingInterval: Math.min(1_000, timeouts.headersMs),
    },
    // A connection silent this long is closed; `ask` waiting for the model is silent (config checks).
    connectionTimeout: timeouts.connectionMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    routerOptions: { ignoreTrailingSlash: true },
    // `request.ip` is the client's only through a listed proxy; without one, a forged
    // X-Forwarded-For is ignored and the per-address limits count the connecting address.
    trustProxy: deps.config.trustedProxies.length > 0 ? deps.config.trustedProxies : false,
    // Reuse a caller's request id (a proxy's, a client's) when it is safe to log.
    genReqId: (request) => {
      const incoming = request.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    frameworkErrors: (error, request, reply) => {
      void answerUnreadableUrl(error, request, reply);
    },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorateRequest('user', null);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  installErrorHandling(app);
  installIgnoredFieldWarnings(app);
  const metrics = deps.metrics ?? createMetrics();
  metrics.observeQueue(deps.queue);
  installMetrics(app, metrics, deps.config.metricsToken);
  installBodyParsers(app);
  await installRateLimits(app, { config: deps.config, redis: deps.redis });

  if (deps.config.corsOrigins.length > 0) {
    const origins = deps.config.corsOrigins;
    await app.register(cors, {
      origin: origins.includes('*') ? true : origins,
      exposedHeaders: ['x-request-id', 'retry-after'],
    });
  }

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Parley API',
        version: '1',
        description: [
          'Customer chats answered by AI, watched and taken over by people. Authenticate with `Authorization: Bearer <token>`',
          '(or, in the dashboard, the `parley_session` cookie from `POST /api/v1/auth/session/`).',
          'Errors have the shape `{"detail", "code", "errors"?}`. Bodies are JSON (`content-type: application/json`) or forms;',
          'JSON sent as a form is 400 `json_needs_content_type`. Unknown fields are ignored, and a write names each one in its',
          "answer's `warnings`. A method a path does not have is 405 `method_not_allowed`, with `Allow` listing those it has.",
        ].join(' '),
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          session: { type: 'apiKey', in: 'cookie', name: 'parley_session' },
        },
      },
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(healthRoutes, {
    checks: deps.readiness,
    modelHealth: deps.modelHealth,
    metricsToken: deps.config.metricsToken,
  });
  const revocations = deps.revocations ?? createTokenRevocations(createLocalPubSub());
  if (!deps.revocations) app.addHook('onClose', () => revocations.close());
  // A revoke on another process: forget the token here too, rather than trust it for the cache's TTL.
  const stopForgetting = revocations.subscribe((tokenIds) => forgetTokens(deps.db, tokenIds));
  app.addHook('onClose', async () => stopForgetting());
  // One lock-out for token and dashboard sign-in: guesses count together whichever endpoint they hit.
  const cache = deps.cache ?? createLocalCache();
  const guard = signInGuard(cache, deps.config.limits, (error) =>
    app.log.warn({ err: error }, 'sign-in lock-out unavailable: this attempt is not counted'),
  );
  const sessionPolicy = installDashboardSessions(app, deps.config);
  await app.register(authRoutes, { db: deps.db, config: deps.config, revocations, guard });
  await app.register(sessionRoutes, { db: deps.db, policy: sessionPolicy, revocations, guard });
  await app.register(accountRoutes, { db: deps.db, policy: sessionPolicy, revocations, guard });
  await app.register(defaultHandlerRoutes, {
    db: deps.db,
    // New conversations on the business's channels start with the new handler.
    onChange: (userId) => forgetDeliveryChannels(deps.db, userId),
  });
  const model = 'model' in deps ? deps.model : instrumentModel(sharedKeyModel(deps.config), metrics);
  const replyDeps = {
    db: deps.db,
    config: deps.config,
    model,
    events,
    cache,
    ...(deps.watchers ? { watchers: deps.watchers } : {}),
    ...(deps.now ? { now: deps.now } : {}),
  };
  await app.register(aiRoutes, replyDeps);
  await app.register(tryItRoutes, replyDeps);
  await app.register(setupRoutes, { db: deps.db, config: deps.config, model });
  await app.register(businessHoursRoutes, { db: deps.db });
  await app.register(conversationStatusRoutes, { db: deps.db, config: deps.config, events });
  await app.register(conversationRoutes, {
    db: deps.db,
    config: deps.config,
    events,
    queue: deps.queue,
    // The inbox says why people have a conversation; whether the AI can answer at all is the AI's to say.
    availability: (userId) => businessAiAvailability(deps.db, deps.config, userId),
  });
  await app.register(usageRoutes, { db: deps.db, config: deps.config });
  await app.register(analyticsRoutes, { db: deps.db, config: deps.config });
  await app.register(adminRoutes, { db: deps.db, config: deps.config, queue: deps.queue });
  if (!deps.config.appSecret) throw new Error('APP_SECRET must be loaded before the server is built');
  const secrets = secretBox(deps.config.appSecret, deps.config.previousAppSecret);
  await app.register(channelRoutes, { db: deps.db, config: deps.config, secrets });
  for (const adapter of CHANNEL_ADAPTERS) {
    await app.register(adapter.webhooks, { db: deps.db, config: deps.config, events, queue: deps.queue, metrics });
  }
  await installWebSocket(app, { db: deps.db, config: deps.config, events, revocations, watchers: deps.watchers });
  metrics.observeWebsocketConnections(() => app.websocketConnections());
  await app.register(widgetRoutes, {
    db: deps.db,
    config: deps.config,
    events,
    queue: deps.queue,
    cache,
    secrets,
    watchers: deps.watchers,
    ...(deps.now ? { now: deps.now } : {}),
  });
  await installWidgetFiles(app);
  await installDashboard(app);

  return app;
}

/**
 * JSON with an empty body treated as no body (some clients send the header on
 * DELETE), and form bodies where a repeated key becomes a list, as the seed's
 * Python examples send them; JSON sent as a form is refused with what to do.
 */
function installBodyParsers(app: FastifyInstance): void {
  const json = app.getDefaultJsonParser('error', 'error');
  // Only the two body types the API speaks; anything else is a 415.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    void json(request, text, done);
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    const parsed = querystring.parse(body as string);
    const mistake = jsonSentAsForm(parsed);
    if (mistake) {
      done(mistake, undefined);
      return;
    }
    done(null, Object.assign(Object.create(null) as object, parsed, { [FORM_BODY]: true }));
  });
}

function loggerOption(deps: AppDeps): Pick<FastifyServerOptions, 'logger' | 'loggerInstance'> {
  if (deps.logger === false) return { logger: false };
  if (deps.logger) return { loggerInstance: deps.logger };
  return { logger: loggerOptions(deps.config.logLevel) };
}
