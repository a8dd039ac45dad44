/**
 * Calls from the router to a node's internal routes, with the cluster token and a timeout.
 * A non-2xx answer becomes the typed error its envelope names; a node that does not answer
 * becomes a retryable `NODE_UNAVAILABLE`.
 */
import { CLUSTER_TOKEN_HEADER, errorBodySchema, errorFromBody, IsxError, RetryableError } from '@isx/core';

export interface NodeCaller {
  post(nodeUrl: string, path: string, body: unknown, timeoutMs?: number): Promise<unknown>;
  get(nodeUrl: string, path: string, timeoutMs?: number): Promise<unknown>;
}

export function createNodeCaller(token: string): NodeCaller {
  const call = async (
    nodeUrl: string,
    path: string,
    init: { method: 'GET' } | { method: 'POST'; body: unknown },
    timeoutMs: number,
  ): Promise<unknown> => {
    let response: Response;
    try {
      response = await fetch(`${nodeUrl}${path}`, {
        method: init.method,
        headers: {
          [CLUSTER_TOKEN_HEADER]: token,
          ...(init.method === 'POST' ? { 'content-type': 'application/json' } : {}),
        },
        ...(init.method === 'POST' ? { body: JSON.stringify(init.body) } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new RetryableError('NODE_UNAVAILABLE', `Node at ${nodeUrl} did not answer ${path}.`, {
        cause: error,
      });
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new IsxError(
        'NODE_ERROR',
        `Node at ${nodeUrl} answered ${path} with something that is not JSON.`,
      );
    }
    if (!response.ok) {
      const envelope = errorBodySchema.safeParse(parsed);
      throw envelope.success
        ? errorFromBody(envelope.data, response.status)
        : new IsxError('NODE_ERROR', `${path}: ${response.status}`);
    }
    return parsed;
  };
  return {
    post: (nodeUrl, path, body, timeoutMs = 5_000) =>
      call(nodeUrl, path, { method: 'POST', body }, timeoutMs),
    get: (nodeUrl, path, timeoutMs = 5_000) => call(nodeUrl, path, { method: 'GET' }, timeoutMs),
  };
}
