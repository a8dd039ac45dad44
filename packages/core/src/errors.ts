/**
 * Typed errors with a stable `code`, an HTTP status and a retry policy.
 *
 * Every failure that crosses a process boundary is one of these, serialised as the
 * envelope `{ error: { code, message, details? } }`. Callers branch on `code`, never on
 * message text or `instanceof` across packages. This module must never leak a stack
 * trace into an envelope.
 */
import { z } from 'zod';

/** The catalogue of error codes, each with the HTTP status it travels with. */
export const ERROR_STATUS = {
  INVALID_JSON: 400,
  INVALID_BODY: 400,
  VALIDATION_FAILED: 400,
  FORBIDDEN_PROPERTY: 400,
  NUMBER_OUT_OF_RANGE: 400,
  INVALID_KEY: 400,
  KEY_MISMATCH: 400,
  KEY_NOT_COVERED: 400,
  INVALID_PRECONDITION: 400,
  INVALID_REQUEST: 400,
  INVALID_CONFIG: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  UNKNOWN_NODE: 404,
  UNKNOWN_SHARD: 404,
  UNKNOWN_TYPE: 404,
  UNKNOWN_MESSAGE_KIND: 400,
  ROUTE_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  STALE_EPOCH: 409,
  REPLICATION_GAP: 409,
  MOVE_IN_PROGRESS: 409,
  CANNOT_SPLIT: 409,
  CANNOT_MOVE: 409,
  CANNOT_DRAIN: 409,
  PRECONDITION_FAILED: 412,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  WRONG_SHARD: 421,
  INTERNAL: 500,
  NODE_CONNECTION_LOST: 502,
  NODE_ERROR: 502,
  NODE_UNAVAILABLE: 503,
  SHUTTING_DOWN: 503,
  SHARD_MOVING: 503,
  NO_NODES: 503,
  MAP_NOT_READY: 503,
  NOT_ENOUGH_REPLICAS: 503,
  LEASE_EXPIRED: 503,
  REPLICATION_FAILED: 503,
  NODE_TIMEOUT: 504,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** Options shared by every error constructor. */
export interface IsxErrorOptions {
  details?: unknown;
  cause?: unknown;
}

/**
 * An error that retrying the same request will not fix (bad input, missing entity, a
 * failed precondition).
 */
export class IsxError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: unknown;
  /** Whether the same request may succeed if sent again. */
  readonly retryable: boolean = false;

  constructor(code: ErrorCode, message: string, options: IsxErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'IsxError';
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.details = options.details;
  }

  /** The wire form. Never includes the stack or the cause. */
  toBody(): ErrorBody {
    const error: ErrorBody['error'] = { code: this.code, message: this.message };
    if (this.details !== undefined) error.details = this.details;
    if (this.retryable) error.retryable = true;
    return { error };
  }
}

/** An error that the same request may get past later: a node down, a shard moving. */
export class RetryableError extends IsxError {
  override readonly retryable = true;
  readonly retryAfterMs: number;

  constructor(code: ErrorCode, message: string, options: IsxErrorOptions & { retryAfterMs?: number } = {}) {
    super(code, message, options);
    this.name = 'RetryableError';
    this.retryAfterMs = options.retryAfterMs ?? 100;
  }
}

/** The error envelope every process answers with. */
export const errorBodySchema = z.object({
  error: z.object({
    code: z.string().regex(/^[A-Z][A-Z0-9_]*$/),
    message: z.string(),
    details: z.unknown().optional(),
    retryable: z.boolean().optional(),
  }),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

const RETRYABLE_CODES: ReadonlySet<string> = new Set([
  'NODE_UNAVAILABLE',
  'SHUTTING_DOWN',
  'WRONG_SHARD',
  'SHARD_MOVING',
  'NO_NODES',
  'MAP_NOT_READY',
]);

/** Rebuilds a typed error from an envelope received from a peer. */
export function errorFromBody(body: ErrorBody, status?: number): IsxError {
  const code = (body.error.code in ERROR_STATUS ? body.error.code : 'NODE_ERROR') as ErrorCode;
  const options = { details: body.error.details };
  const error =
    body.error.retryable === true || RETRYABLE_CODES.has(code)
      ? new RetryableError(code, body.error.message, options)
      : new IsxError(code, body.error.message, options);
  if (status !== undefined && status !== error.status) {
    Object.defineProperty(error, 'status', { value: status });
  }
  return error;
}

/** True for any value that carries a stable error code, whichever copy of this module made it. */
export function isIsxError(value: unknown): value is IsxError {
  return (
    value instanceof Error &&
    typeof (value as Partial<IsxError>).code === 'string' &&
    typeof (value as Partial<IsxError>).status === 'number' &&
    typeof (value as Partial<IsxError>).toBody === 'function'
  );
}

/** Turns a zod failure into the `VALIDATION_FAILED` error with one entry per issue. */
export function validationError(error: z.ZodError, what = 'body'): IsxError {
  const issues = error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(root)',
    message: issue.message,
  }));
  const first = issues[0];
  const summary = first ? `${first.path}: ${first.message}` : 'invalid';
  return new IsxError('VALIDATION_FAILED', `The ${what} is not valid (${summary}).`, {
    details: { issues },
  });
}
