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
      err: (error: Error) => serializeError(error) as SerializedError,
      error: serializeError,
      req(request: { method: string; url: string; ip?: string }) {
        return { method: request.method, url: redactUrl(request.url), remoteAddress: request.ip };
      },
    },
  };
}

/**
 * Fields of an error that carry the values a query was run with, or name a
 * secret. Drizzle's and pg's errors hold the bound parameters (customer text,
 * token and password hashes, sealed credentials), and PostgreSQL's `detail`
 * and `where` quote row values ("Key (email)=(ana@example.com) already exists").
 */
const DROPPED_FIELD =
  /^(params|parameters|values|detail|where|raw)$|secret|token|password|passwd|api_?key|credential|authorization|cookie/i;
const MAX_DEPTH = 5;

interface SerializedError {
  type: string;
  message: string;
  stack: string;
  [field: string]: unknown;
}

/**
 * pino's own serializer copies every field of an error, and Drizzle puts the
 * parameters in the message itself (`Failed query: …\nparams: …`). This one
 * keeps the type, message, stack, code and other plain fields, without the
 * values: a 500's log says what failed, never with whose data.
 */
export function serializeError(error: unknown, depth = 0): unknown {
  if (!isErrorLike(error)) return error;
  const message = scrubMessage(error);
  const out: SerializedError = {
    type:
      typeof error.constructor === 'function' && error.constructor.name ? error.constructor.name : String(error.name),
    message,
    stack: typeof error.stack === 'string' ? error.stack.split(error.message).join(message) : '',
  };
  for (const [field, value] of Object.entries(error)) {
    if (field === 'message' || field === 'stack' || field === 'cause' || DROPPED_FIELD.test(field)) continue;
    if (isErrorLike(value)) {
      if (depth < MAX_DEPTH) out[field] = serializeError(value, depth + 1);
    } else if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) {
      // Objects of unknown shape (a request's options, a command's arguments) may hold anything: left out.
      out[field] = value;
    }
  }
  const cause = (error as { cause?: unknown }).cause;
  if (isErrorLike(cause) && depth < MAX_DEPTH) out.cause = serializeError(cause, depth + 1);
  if (error instanceof AggregateError && depth < MAX_DEPTH) {
    out.errors = (error.errors as unknown[]).map((inner) => serializeError(inner, depth + 1));
  }
  return out;
}

function isErrorLike(value: unknown): value is Error {
  return typeof value === 'object' && value !== null && typeof (value as { message?: unknown }).message === 'string';
}

function scrubMessage(error: Error): string {
  let message = error.message;
  // Drizzle: "Failed query: <sql>\nparams: <values>". The SQL has only placeholders; the values go.
  const params = message.indexOf('\nparams:');
  if (params >= 0) message = `${message.slice(0, params)}\nparams: [redacted]`;
  // PostgreSQL quotes the offending value: invalid input syntax for type integer: "…".
  if (isDatabaseError(error)) message = message.replace(/(:\s*)"(?:[^"]|"")*"/g, '$1[redacted]');
  return message;
}

/** pg's and PGlite's errors: a severity and a five-character SQLSTATE. */
function isDatabaseError(error: Error): boolean {
  const { code, severity } = error as { code?: unknown; severity?: unknown };
  return typeof severity === 'string' && typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}
