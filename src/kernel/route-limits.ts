/**
 * The request limits a route can ask for in its config, `{ config: { limit: 'ask' } }`;
 * src/app/rate-limits.ts turns each into a counter (config's `limits`). Every
 * route whose request carries a token also counts towards that token's limit.
 *
 * - `sign-in`: per client IP (the username's lock-out is the sign-in service's).
 * - `ask`: per business; each request is a model call.
 * - `agent-reply`: per business; each is a message to a customer.
 * - `webhook`: per channel (the route and its path parameters).
 */
export const ROUTE_LIMITS = ['sign-in', 'ask', 'agent-reply', 'webhook'] as const;
export type RouteLimit = (typeof ROUTE_LIMITS)[number];

declare module 'fastify' {
  interface FastifyContextConfig {
    limit?: RouteLimit;
  }
}
