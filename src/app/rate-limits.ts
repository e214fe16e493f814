import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler, RouteOptions } from 'fastify';
import type { Redis } from '../infra/redis.js';
import type { Config } from '../kernel/config.js';
import { RateLimitedError } from '../kernel/errors.js';
import { errorBody } from '../kernel/http-errors.js';
import type { RouteLimit } from '../kernel/route-limits.js';

/** Every limit counts requests in fixed one-minute windows. */
const WINDOW_MS = 60_000;

type Check = (request: FastifyRequest) => Promise<void>;

/**
 * Request limits (config's `limits`, per minute, 0 = none): per API token on
 * every authenticated route, and per route kind as each route's `config.limit`
 * asks (see src/kernel/route-limits.ts). Over a limit the answer is 429
 * `rate_limited` with `Retry-After`. Routes that ask for nothing and carry no
 * token, such as /healthz and /readyz, are never limited.
 *
 * With Redis the counts live there, under PARLEY_REDIS_PREFIX, so every
 * `serve` process shares them; without it, in this process.
 */
export async function installRateLimits(
  app: FastifyInstance,
  { config, redis }: { config: Config; redis?: Redis | undefined },
): Promise<void> {
  await app.register(rateLimit, {
    global: false,
    // Keys read `<prefix>:rate-limit:undefinedundefined-<limit>:<key>`: version 11 names a limit made by
    // createRateLimit after a route it does not have. Harmless, and the counts stay under the prefix.
    ...(redis ? { redis, nameSpace: `${config.redisPrefix}:rate-limit:` } : {}),
    // Distinct addresses remembered by the in-process counters before the oldest are dropped.
    cache: 10_000,
    // A store error is logged and the request let through (see `counterFactory`).
    skipOnError: false,
  });

  // While Redis is away (its connection logs that), requests pass at once instead of each waiting out the retries.
  const counter = counterFactory(app, () => !redis || redis.status === 'ready');
  const userOf = (request: FastifyRequest) => request.user ?? undefined;
  const { limits } = config;
  const perToken = counter('token', limits.apiRequestsPerMinute, (r) => userOf(r)?.tokenId);
  const byRouteLimit: Record<RouteLimit, Check | undefined> = {
    'sign-in': counter('sign-in', limits.signInsPerMinute, (r) => normalizeIP(r.ip), 'Too many sign-ins.'),
    ask: counter('ask', limits.asksPerMinute, (r) => userOf(r)?.id, 'Too many questions for this business.'),
    'agent-reply': counter(
      'agent-reply',
      limits.agentRepliesPerMinute,
      (r) => userOf(r)?.id,
      'Too many replies from this business.',
    ),
    webhook: counter('webhook', limits.webhooksPerMinute, webhookKey, 'Too many deliveries for this channel.'),
  };

  app.addHook('onRoute', (route) => {
    const limit = route.config?.limit;
    const checks = [perToken, limit ? byRouteLimit[limit] : undefined].filter((check) => check !== undefined);
    if (checks.length === 0) return;
    // Route-level hooks run after the plugin's own, so the token has been checked and `request.user` is set.
    const hook: onRequestAsyncHookHandler = async (request) => {
      for (const check of checks) await check(request);
    };
    route.onRequest = [...hooksOf(route.onRequest), hook];
    if (limit || route.schema?.security) documentTooManyRequests(route);
  });
}

/** Makes the counter for one kind of limit; requests it has no key for (no token, say) pass uncounted. */
const counterFactory =
  (app: FastifyInstance, storeReady: () => boolean) =>
  (
    name: string,
    perMinute: number,
    keyOf: (request: FastifyRequest) => string | undefined,
    detail = 'Too many requests for this token.',
  ): Check | undefined => {
    if (perMinute === 0) return undefined;
    const count = app.createRateLimit({
      max: perMinute,
      timeWindow: WINDOW_MS,
      keyGenerator: (request) => `${name}:${keyOf(request) ?? ''}`,
    });
    return async (request) => {
      if (keyOf(request) === undefined || !storeReady()) return;
      let result: Awaited<ReturnType<typeof count>>;
      try {
        result = await count(request);
      } catch (error) {
        // Refusing everything while Redis is away would turn its outage into Parley's; /readyz reports it.
        request.log.warn({ err: error, limit: name }, 'rate limit not checked');
        return;
      }
      if (!result.isAllowed && result.isExceeded) throw new RateLimitedError(result.ttlInSeconds, detail);
    };
  };

/** A channel is its webhook route plus the route's path parameters (a Telegram bot's channel id). */
function webhookKey(request: FastifyRequest): string {
  const params = (request.params ?? {}) as Record<string, unknown>;
  return [request.routeOptions.url ?? request.url, ...Object.values(params).map(String)].join('|');
}

function hooksOf<T>(hooks: T | T[] | undefined): T[] {
  if (hooks === undefined) return [];
  return Array.isArray(hooks) ? hooks : [hooks];
}

/** Adds the 429 answer to the route's OpenAPI description. */
function documentTooManyRequests(route: RouteOptions): void {
  const response = route.schema?.response as Record<number, unknown> | undefined;
  if (response && !(429 in response)) response[429] = errorBody;
}
