/**
 * Calls from the router to a node's internal routes, with the cluster token and a timeout.
 * A non-2xx answer becomes the typed error its envelope names.
 */
import { CLUSTER_TOKEN_HEADER, errorBodySchema, errorFromBody, IsxError, RetryableError } from '@isx/core';

export interface NodeCaller {
  post(nodeUrl: string, path: string, body: unknown, timeoutMs?: number): Promise<unknown>;
}

export function createNodeCaller(token: string): NodeCaller {
  return {
    async post(nodeUrl, path, body, timeoutMs = 5_000) {
      let response: Response;
      try {
        response = await fetch(`${nodeUrl}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', [CLUSTER_TOKEN_HEADER]: token },
          body: JSON.stringify(body),
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
    },
  };
}
