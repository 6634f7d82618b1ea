/**
 * Every error code Bridgemail ships, with its one-line meaning and how the edges render it.
 * Codes are UPPER_SNAKE and never renamed once shipped; they survive serialisation across jobs.
 */
export const ERROR_CODES = {
  VALIDATION_FAILED: { meaning: 'a field of the request is missing or invalid', http: 400, smtp: [501, '5.5.4'] },
  INVALID_JSON: { meaning: 'the request body is not valid JSON', http: 400, smtp: [501, '5.5.4'] },
  UNSUPPORTED_MEDIA_TYPE: {
    meaning: 'the request body has an unsupported content type',
    http: 415,
    smtp: [501, '5.5.4'],
  },
  UNAUTHENTICATED: { meaning: 'no credentials were given', http: 401, smtp: [530, '5.7.0'] },
  INVALID_CREDENTIALS: { meaning: 'the credentials given are unknown or wrong', http: 401, smtp: [535, '5.7.8'] },
  CSRF_TOKEN_INVALID: {
    meaning: "a console change came without the session's CSRF token",
    http: 403,
    smtp: [530, '5.7.0'],
  },
  CREDENTIAL_REVOKED: {
    meaning: 'the credential was revoked; rotate it to send again',
    http: 401,
    smtp: [535, '5.7.8'],
  },
  BRIDGE_DELETED: {
    meaning: 'the Bridge was deleted: its credentials no longer work and it gives out no secret',
    http: 410,
    smtp: [535, '5.7.8'],
  },
  NOT_FOUND: { meaning: 'no such resource', http: 404, smtp: [550, '5.1.1'] },
  MESSAGE_NOT_FOUND: {
    meaning: 'no message with this id (for a Bridge key: none of this Bridge)',
    http: 404,
    smtp: [550, '5.1.1'],
  },
  MESSAGE_ALREADY_SENT: {
    meaning: 'the message was not scheduled or its delivery has started: it can no longer be cancelled',
    http: 409,
    smtp: [550, '5.7.1'],
  },
  ROUTE_NOT_FOUND: { meaning: 'no such endpoint', http: 404, smtp: [500, '5.5.1'] },
  METHOD_NOT_ALLOWED: { meaning: 'the endpoint does not accept this method', http: 405, smtp: [500, '5.5.1'] },
  CONFLICT: { meaning: 'the resource already exists or conflicts with another', http: 409, smtp: [550, '5.7.1'] },
  POOL_NOT_FOUND: { meaning: 'the Pool named does not exist', http: 400, smtp: [550, '5.7.1'] },
  POOL_NAME_TAKEN: { meaning: 'another Pool already has this name', http: 409, smtp: [550, '5.7.1'] },
  BRIDGE_NAME_TAKEN: {
    meaning: 'another live Bridge already has this name (compared trimmed, case-insensitively)',
    http: 409,
    smtp: [550, '5.7.1'],
  },
  BRIDGE_NOT_FOUND: { meaning: 'the Bridge named does not exist', http: 400, smtp: [550, '5.7.1'] },
  IP_IN_USE: { meaning: 'the IP already belongs to another Pool', http: 409, smtp: [550, '5.7.1'] },
  POOL_IN_USE: { meaning: 'a live Bridge is still bound to the Pool', http: 409, smtp: [550, '5.7.1'] },
  POOL_NEEDS_IP: { meaning: 'a Pool keeps at least one IP', http: 409, smtp: [550, '5.7.1'] },
  POOL_NOT_ALLOWED: {
    meaning: "the account may not bind Bridges to this Pool (another account's, or dedicated without the plan)",
    http: 400,
    smtp: [550, '5.7.1'],
  },
  ACCOUNT_NAME_TAKEN: { meaning: 'another account already has this name', http: 409, smtp: [550, '5.7.1'] },
  ACCOUNT_IN_USE: {
    meaning: 'the account still owns Bridges, templates, domains or Pools (or is the default one)',
    http: 409,
    smtp: [550, '5.7.1'],
  },
  ACCOUNT_NOT_FOUND: { meaning: 'the account named does not exist', http: 400, smtp: [550, '5.7.1'] },
  POOL_BINDING_IMMUTABLE: {
    meaning: 'a Bridge stays bound to the Pool it was created with',
    http: 400,
    smtp: [550, '5.7.1'],
  },
  TEMPLATE_NOT_FOUND: {
    meaning: 'the template named does not exist or is bound to another Bridge',
    http: 400,
    smtp: [550, '5.7.0'],
  },
  TEMPLATE_INVALID: {
    meaning: 'a template field does not compile (the error names the field, line and column)',
    http: 400,
    smtp: [550, '5.7.0'],
  },
  TEMPLATE_MODEL_INVALID: {
    meaning: 'the template model is not a JSON object within the limits',
    http: 400,
    smtp: [550, '5.7.0'],
  },
  TEMPLATE_ALIAS_TAKEN: { meaning: 'another template already has this alias', http: 409, smtp: [550, '5.7.1'] },
  AUTH_RATE_LIMITED: {
    meaning: 'too many failed authentications from this client; retry later',
    http: 429,
    smtp: [454, '4.7.0'],
  },
  MESSAGE_TOO_LARGE: { meaning: 'the message exceeds the configured size limit', http: 413, smtp: [552, '5.3.4'] },
  FROM_HEADER_MISSING: {
    meaning: 'the message has no From header field (RFC 5322 §3.6)',
    http: 400,
    smtp: [550, '5.6.0'],
  },
  CONTROL_HEADER_INVALID: {
    meaning: 'a control header field of the message (X-Bridgemail-*, X-PM-*) has a value that is not allowed',
    http: 400,
    smtp: [550, '5.7.0'],
  },
  BRIDGE_RATE_LIMITED: {
    meaning:
      'the Bridge, or its account, reached one of its sending limits (the error names it); retry after Retry-After seconds',
    http: 429,
    smtp: [452, '4.7.1'],
  },
  TOO_MANY_RECIPIENTS: { meaning: 'the message has more recipients than allowed', http: 400, smtp: [452, '4.5.3'] },
  IDEMPOTENCY_KEY_REUSED: {
    meaning: 'the idempotency key was already used for a different message',
    http: 409,
    smtp: [554, '5.7.0'],
  },
  IDEMPOTENCY_IN_PROGRESS: {
    meaning: 'a request with the same idempotency key is still in progress',
    http: 409,
    smtp: [451, '4.3.0'],
  },
  RECIPIENT_SUPPRESSED: {
    meaning: 'a recipient is on the suppression list (hard bounce or complaint)',
    http: 422,
    smtp: [550, '5.1.1'],
  },
  SPOOL_FULL: { meaning: 'no room to store the message now; retry later', http: 507, smtp: [452, '4.3.1'] },
  SERVICE_UNAVAILABLE: {
    meaning: 'a service Bridgemail depends on (Redis, the database) is unreachable; retry later',
    http: 503,
    smtp: [451, '4.3.0'],
  },
  QUEUE_UNAVAILABLE: {
    meaning: 'the message could not be queued durably; retry later',
    http: 503,
    smtp: [451, '4.3.0'],
  },
  INTERNAL: { meaning: 'an unexpected error occurred', http: 500, smtp: [451, '4.3.0'] },
} as const satisfies Record<string, { meaning: string; http: number; smtp: readonly [number, string] }>;

/** One of the shipped error codes. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** Options of {@link AppError}. */
export interface AppErrorOptions {
  /** The request field at fault, e.g. `to[0]`. */
  field?: string;
  /** Extra safe, serialisable details. */
  details?: Record<string, unknown>;
  cause?: unknown;
  /** Whether retrying the same operation later may succeed. @defaultValue false */
  retryable?: boolean;
}

/** The one error type domain code throws: a stable code and a message safe to show a client. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly field: string | undefined;
  readonly details: Record<string, unknown> | undefined;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.field = options.field;
    this.details = options.details;
    this.retryable = options.retryable ?? false;
  }
}

/** True when `err` is an {@link AppError}. */
export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

/** JSON body every HTTP edge renders for an error. */
export interface ErrorBody {
  error: {
    code: ErrorCode;
    message: string;
    field?: string;
    /** Where in the field the error is, 1-based (a template that does not compile). */
    line?: number;
    column?: number;
    /** The sending limit reached (`BRIDGE_RATE_LIMITED`) and the seconds until it allows again. */
    limit?: string;
    retryAfter?: number;
  };
}

/** Maps any thrown value to an HTTP status and the JSON error body (unknown errors → 500, generic text). */
export function toHttpError(err: unknown): { status: number; body: ErrorBody; expected: boolean } {
  if (isAppError(err)) {
    const body: ErrorBody = { error: { code: err.code, message: err.message } };
    if (err.field !== undefined) body.error.field = err.field;
    const { line, column } = err.details ?? {};
    if (typeof line === 'number' && typeof column === 'number') Object.assign(body.error, { line, column });
    const { limit, retryAfterS } = err.details ?? {};
    if (err.code === 'BRIDGE_RATE_LIMITED' && typeof limit === 'string' && typeof retryAfterS === 'number')
      Object.assign(body.error, { limit, retryAfter: retryAfterS });
    return { status: ERROR_CODES[err.code].http, body, expected: true };
  }
  return { status: 500, body: { error: { code: 'INTERNAL', message: 'internal error' } }, expected: false };
}

/** Maps any thrown value to an SMTP reply code and enhanced status (unknown errors → 451 4.3.0). */
export function toSmtpReply(err: unknown): { code: number; enhanced: string; message: string; expected: boolean } {
  if (isAppError(err)) {
    const [code, enhanced] = ERROR_CODES[err.code].smtp;
    return { code, enhanced, message: err.message, expected: true };
  }
  return { code: 451, enhanced: '4.3.0', message: 'internal error, try again later', expected: false };
}
