import type { FastifyServerOptions } from 'fastify';
import type { LogLevel } from './config.js';

/** Query parameters that carry credentials and must not reach the logs. */
const SECRET_QUERY = /([?&](?:token|access_token|hub\.verify_token|password)=)[^&#]*/gi;

export function redactUrl(url: string): string {
  return url.replace(SECRET_QUERY, '$1[redacted]');
}

export function loggerOptions(level: LogLevel): NonNullable<FastifyServerOptions['logger']> & object {
  return {
    level,
    base: { service: 'parley' },
    // Belt and braces: nothing logs these on purpose, but an error object might carry them.
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'req.headers["x-telegram-bot-api-secret-token"]',
        'password',
        'token',
        '*.password',
        '*.token',
        '*.bot_token',
        '*.access_token',
        '*.appSecret',
        '*.apiKey',
      ],
      censor: '[redacted]',
    },
    serializers: {
      req(request: { method: string; url: string; ip?: string }) {
        return { method: request.method, url: redactUrl(request.url), remoteAddress: request.ip };
      },
    },
  };
}
