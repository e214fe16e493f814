import { createHash, timingSafeEqual } from 'node:crypto';
import { NotAuthenticatedError } from '../kernel/errors.js';

/**
 * PARLEY_METRICS_TOKEN guards what only operators should see: /metrics, and
 * the error strings and model health behind /readyz. Compared in constant
 * time, through digests so the token's length does not show either.
 */
export function presentsMetricsToken(authorization: string | undefined, token: string): boolean {
  const presented = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '')?.[1];
  if (presented === undefined) return false;
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(presented), digest(token));
}

export function metricsTokenRefused(): NotAuthenticatedError {
  return new NotAuthenticatedError(
    'This needs the metrics token (PARLEY_METRICS_TOKEN) as Authorization: Bearer <token>.',
    'invalid_metrics_token',
  );
}
