/**
 * From what happened on the wire to the typed errors of `@isx/core`.
 *
 * The meanings are the router's (see its forwarder), because a caller decides on them
 * whether to send the request again:
 * - connection refused, host unreachable: the peer provably applied nothing →
 *   `RetryableError` `NODE_UNAVAILABLE`;
 * - no answer within the timeout: unknown outcome → `NODE_TIMEOUT`;
 * - reset or lost after the request went out: unknown outcome → `NODE_CONNECTION_LOST`;
 * - an error envelope: the peer's own error, rebuilt with `errorFromBody`;
 * - anything else that is not our protocol: `NODE_ERROR`.
 * This module must never turn an uncertain outcome into a retryable error.
 */
import { errorBodySchema, errorFromBody, IsxError, RetryableError, validationError } from '@isx/core';
import type { PeerAnswer, PeerRequest, PeerTarget } from './internal/http-transport.js';

const NOT_SENT = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const TIMED_OUT = new Set(['ETIMEDOUT', 'ECONNABORTED']);
const EXCERPT_CHARS = 200;

/** Names a peer for a message: `node node-1 (http://…)` or `the router (http://…)`. */
export function describePeer(target: PeerTarget): string {
  return target.role === 'router'
    ? `the router (${target.baseUrl})`
    : `node ${target.nodeId ?? '?'} (${target.baseUrl})`;
}

function peerDetails(target: PeerTarget, request: PeerRequest): Record<string, unknown> {
  const details: Record<string, unknown> = {
    peer: target.role,
    url: `${target.baseUrl}${request.path}`,
    method: request.method,
  };
  if (target.nodeId !== undefined) details.node = target.nodeId;
  if (target.shardId !== undefined) details.shard = target.shardId;
  return details;
}

/** The typed error for a request that got no answer at all. */
export function transportError(
  error: unknown,
  target: PeerTarget,
  request: PeerRequest,
  timeoutMs: number,
): IsxError {
  const code = errorCode(error);
  const details = { ...peerDetails(target, request), cause: code ?? 'unknown' };
  const what = `${request.method} ${request.path}`;
  if (code !== undefined && NOT_SENT.has(code)) {
    return new RetryableError(
      'NODE_UNAVAILABLE',
      `${capitalise(describePeer(target))} is not reachable (${code}); ${what} was not applied.`,
      { details, cause: error, retryAfterMs: 500 },
    );
  }
  if (code !== undefined && TIMED_OUT.has(code)) {
    return new IsxError(
      'NODE_TIMEOUT',
      `${capitalise(describePeer(target))} did not answer ${what} within ${timeoutMs} ms; the request may or may not have been applied.`,
      { details, cause: error },
    );
  }
  return new IsxError(
    'NODE_CONNECTION_LOST',
    `The connection to ${describePeer(target)} was lost before it answered ${what} (${code ?? 'unknown cause'}); the request may or may not have been applied.`,
    { details, cause: error },
  );
}

/** The typed error for an answer outside 2xx. */
export function answerError(answer: PeerAnswer): IsxError {
  const envelope = parseEnvelope(answer.text);
  if (envelope !== undefined) return errorFromBody(envelope, answer.status);
  const { target, request, status } = answer;
  const uncertain = status >= 500 ? '; the request may or may not have been applied' : '';
  return new IsxError(
    'NODE_ERROR',
    `${capitalise(describePeer(target))} answered ${request.method} ${request.path} with status ${status} and no error envelope${uncertain}.`,
    { details: { ...peerDetails(target, request), status, body: answer.text.slice(0, EXCERPT_CHARS) } },
  );
}

/**
 * The error for a 2xx whose body is not what the API promises. A write may have been
 * applied all the same, so the message says so rather than inviting a blind retry.
 */
export function invalidAnswerError(
  answer: PeerAnswer,
  expected: string,
  problem: { kind: 'json' } | { kind: 'schema'; error: Parameters<typeof validationError>[0] },
): IsxError {
  const { target, request, status } = answer;
  const details: Record<string, unknown> = {
    ...peerDetails(target, request),
    status,
    body: answer.text.slice(0, EXCERPT_CHARS),
  };
  let reason = 'it is not JSON';
  if (problem.kind === 'schema') {
    const { issues } = validationError(problem.error, 'answer').details as {
      issues: Array<{ path: string; message: string }>;
    };
    details.issues = issues;
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
    reason = issues[0] ? `${issues[0].path}: ${issues[0].message}${more}` : 'it does not match';
  }
  const applied = request.method === 'GET' ? '' : '; the request may or may not have been applied';
  return new IsxError(
    'NODE_ERROR',
    `${capitalise(describePeer(target))} answered ${request.method} ${request.path} with ${status} and a body that is not ${expected}: ${reason}${applied}.`,
    { details },
  );
}

function parseEnvelope(text: string): ReturnType<typeof errorBodySchema.parse> | undefined {
  try {
    const parsed = errorBodySchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function errorCode(error: unknown): string | undefined {
  // axios copies the socket's code onto its own error; a wrapped cause may hold it instead.
  for (let current: unknown = error, depth = 0; current && depth < 3; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z_]+$/.test(code) && !code.startsWith('ERR_')) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
