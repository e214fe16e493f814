import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError } from './errors.js';
import { trackRouteMethods } from './route-methods.js';

export const errorBody = z
  .object({
    detail: z.string(),
    code: z.string(),
    errors: z.record(z.string(), z.array(z.string())).optional(),
  })
  .meta({ id: 'Error' });

type ErrorBody = z.infer<typeof errorBody>;

type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 414 | 415 | 429 | 502 | 503;

/** Response schemas for a route: its success shape plus the error shape for each listed status. */
export function responses<S extends Record<number, z.ZodType>>(success: S, ...errors: ErrorStatus[]) {
  const out: Record<number, z.ZodType> = { ...success };
  for (const status of errors) out[status] = errorBody;
  return out as S;
}

const MIB = 1024 * 1024;

/** Fastify's own errors that are the client's fault, by their code. */
const FASTIFY_CLIENT_ERRORS: Record<string, { status: number; code: string; detail: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'malformed_json', detail: 'The request body is not valid JSON.' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'body_too_large', detail: 'The request body is larger than 1 MiB.' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    code: 'bad_request',
    detail: 'The Content-Length header does not match the body.',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'unsupported_media_type',
    detail: 'Send the body as application/json or application/x-www-form-urlencoded.',
  },
  FST_ERR_CTP_INVALID_TYPE: {
    status: 415,
    code: 'unsupported_media_type',
    detail: 'The Content-Type header is malformed.',
  },
};

function send(reply: FastifyReply, status: number, body: ErrorBody, headers?: Record<string, string>) {
  if (headers) reply.headers(headers);
  // Error bodies bypass the route's response schema: they have their own fixed shape.
  return reply.code(status).type('application/json; charset=utf-8').serializer(JSON.stringify).send(body);
}

/**
 * For Fastify's `frameworkErrors`: a URL its router cannot read (bad percent-encoding, a path
 * part longer than any id) is refused before any hook runs, so it gets the error shape here.
 */
export function answerUnreadableUrl(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  reply.header('x-request-id', request.id);
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    return send(reply, 414, { detail: 'A part of the URL is longer than any id.', code: 'uri_too_long' });
  }
  return send(reply, 400, { detail: 'The URL is not valid percent-encoded UTF-8.', code: 'bad_url' });
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | AppError | Error, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof AppError) {
      const body: ErrorBody = { detail: error.message, code: error.code };
      if (error.errors) body.errors = error.errors;
      if (error.status >= 500) request.log.error({ err: error }, 'request failed');
      return send(reply, error.status, body, error.headers);
    }
    const fastifyError = error as FastifyError;
    const known = fastifyError.code ? FASTIFY_CLIENT_ERRORS[fastifyError.code] : undefined;
    if (known) {
      // Routes set their own body limit (the website widget's is 8 KB): the detail says which.
      const limit = request.routeOptions.bodyLimit;
      const detail =
        fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE' && limit !== undefined && limit < MIB
          ? `The request body is larger than ${Math.floor(limit / 1024)} KB.`
          : known.detail;
      return send(reply, known.status, { detail, code: known.code });
    }
    if (error instanceof SyntaxError && fastifyError.statusCode === 400) {
      return send(reply, 400, { detail: 'The request body is not valid JSON.', code: 'malformed_json' });
    }
    const status = fastifyError.statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      return send(reply, status, { detail: error.message, code: 'bad_request' });
    }
    request.log.error({ err: error }, 'unhandled error');
    return send(reply, 500, {
      detail: `Something went wrong on our side; it has been logged with request id ${request.id}.`,
      code: 'server_error',
    });
  });

  const methodsOf = trackRouteMethods(app);
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    const allowed = methodsOf(path);
    if (allowed.length > 0) {
      const list = allowed.join(', ');
      return send(
        reply,
        405,
        { detail: `${request.method} is not allowed on ${path}; it answers ${list}.`, code: 'method_not_allowed' },
        { allow: list },
      );
    }
    return send(reply, 404, { detail: `No route for ${request.method} ${path}.`, code: 'not_found' });
  });
}
