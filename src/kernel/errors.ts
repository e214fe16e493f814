/**
 * Every error a client can see. The error handler turns these into the
 * contract's body `{detail, code, errors?}`; anything else becomes a 500 with a
 * generic message and its cause in the log.
 */
export type FieldErrors = Record<string, string[]>;

export class AppError extends Error {
  readonly status: number = 500;
  readonly code: string = 'server_error';
  readonly errors?: FieldErrors;
  readonly headers?: Record<string, string>;

  constructor(detail: string, options: { errors?: FieldErrors; headers?: Record<string, string> } = {}) {
    super(detail);
    this.name = new.target.name;
    if (options.errors) this.errors = options.errors;
    if (options.headers) this.headers = options.headers;
  }
}

export class ValidationError extends AppError {
  override readonly status = 400;
  override readonly code = 'validation_error';
  constructor(errors: FieldErrors, detail = summarise(errors)) {
    super(detail, { errors });
  }
}

/** A 400 that is about the request as a whole rather than one field. */
export class BadRequestError extends AppError {
  override readonly status = 400;
  override readonly code: string;
  constructor(detail: string, code = 'bad_request') {
    super(detail);
    this.code = code;
  }
}

export class NotAuthenticatedError extends AppError {
  override readonly status = 401;
  override readonly code: string;
  constructor(detail = 'Authentication credentials were not provided or are invalid.', code = 'not_authenticated') {
    super(detail, { headers: { 'www-authenticate': 'Bearer realm="parley"' } });
    this.code = code;
  }
}

export class PermissionDeniedError extends AppError {
  override readonly status = 403;
  override readonly code = 'permission_denied';
  constructor(detail = 'You do not have permission to perform this action.') {
    super(detail);
  }
}

export class NotFoundError extends AppError {
  override readonly status = 404;
  override readonly code = 'not_found';
  constructor(detail = 'Not found.') {
    super(detail);
  }
}

export class ConflictError extends AppError {
  override readonly status = 409;
  override readonly code: string;
  constructor(detail: string, code = 'conflict') {
    super(detail);
    this.code = code;
  }
}

/** Too many requests; `Retry-After` says in how many whole seconds to try again. */
export class RateLimitedError extends AppError {
  override readonly status = 429;
  override readonly code = 'rate_limited';
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number, detail = 'Too many requests.') {
    const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
    super(`${detail} Try again in ${seconds} second${seconds === 1 ? '' : 's'}.`, {
      headers: { 'retry-after': String(seconds) },
    });
    this.retryAfterSeconds = seconds;
  }
}

/** A platform Parley depends on (Telegram, Instagram) could not be reached or failed: the client may try again. */
export class UpstreamError extends AppError {
  override readonly status = 502;
  override readonly code: string;
  constructor(detail: string, code = 'upstream_unavailable') {
    super(detail);
    this.code = code;
  }
}

function summarise(errors: FieldErrors): string {
  const fields = Object.keys(errors);
  if (fields.length === 0) return 'The request is invalid.';
  const [first] = fields;
  const message = errors[first!]?.[0] ?? 'is invalid';
  const where = first === 'non_field_errors' ? '' : `${first}: `;
  return fields.length === 1 ? `${where}${message}` : `${where}${message} (and ${fields.length - 1} more)`;
}
