/**
 * Writing responses: JSON bodies and the error envelope.
 *
 * Any error that is not an `IsxError` becomes a 500 `INTERNAL` with a generic message; its
 * details go to the log, never to the client.
 */
import type { ServerResponse } from 'node:http';
import { IsxError, isIsxError } from '@isx/core';

export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const payload = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    ...headers,
  });
  response.end(payload);
}

/** The error as a peer or client is told it: an `IsxError` as it is, anything else (a bug) a generic `INTERNAL`. */
export function asIsxError(error: unknown): IsxError {
  return isIsxError(error)
    ? error
    : new IsxError('INTERNAL', 'The node failed unexpectedly; the request may not have been applied.');
}

/** Sends an error envelope; returns the error as sent, for logging. */
export function sendError(response: ServerResponse, error: unknown): IsxError {
  const typed = asIsxError(error);
  if (response.headersSent) {
    response.destroy();
    return typed;
  }
  const headers: Record<string, string> = {};
  // A body we refused to read stays in the socket: close it rather than parse it as a request.
  if (typed.code === 'PAYLOAD_TOO_LARGE' || typed.code === 'UNSUPPORTED_MEDIA_TYPE')
    headers.connection = 'close';
  if ('retryAfterMs' in typed && typeof typed.retryAfterMs === 'number' && typed.status === 503) {
    headers['retry-after'] = String(Math.max(1, Math.ceil(typed.retryAfterMs / 1000)));
  }
  sendJson(response, typed.status, typed.toBody(), headers);
  return typed;
}
