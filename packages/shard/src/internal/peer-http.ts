/**
 * A small JSON-over-HTTP client for node-to-node calls on the hot path (replication and
 * message delivery), on a pooled keep-alive agent: `fetch` costs noticeably more CPU per call,
 * and a primary makes one call per backup per entry. It never retries; the caller decides what
 * a failure means.
 */
import { Agent, request } from 'node:http';
import { RetryableError } from '@isx/core';

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

export interface JsonAnswer {
  readonly status: number;
  readonly body: unknown;
}

/** POSTs `body` as JSON; resolves with the status and the parsed answer (undefined if not JSON). */
export function postJson(
  url: string,
  body: unknown,
  headers: Readonly<Record<string, string>>,
  timeoutMs: number,
): Promise<JsonAnswer> {
  return postJsonText(url, JSON.stringify(body), headers, timeoutMs);
}

/** {@link postJson} with a body already serialized (a caller that sends the same JSON to several peers). */
export function postJsonText(
  url: string,
  json: string,
  headers: Readonly<Record<string, string>>,
  timeoutMs: number,
): Promise<JsonAnswer> {
  const payload = Buffer.from(json);
  return new Promise((resolve, reject) => {
    const outgoing = request(url, {
      method: 'POST',
      agent,
      headers: { ...headers, 'content-type': 'application/json', 'content-length': payload.length },
    });
    const timer = setTimeout(
      () => outgoing.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    outgoing.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    outgoing.on('response', (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => chunks.push(chunk));
      answer.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      answer.on('end', () => {
        clearTimeout(timer);
        let parsed: unknown;
        try {
          parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          parsed = undefined;
        }
        resolve({ status: answer.statusCode ?? 0, body: parsed });
      });
    });
    outgoing.end(payload);
  });
}

/**
 * `fetch` for a peer call whose answer is read as a stream (a copy, a catch-up). A peer that
 * cannot be reached, or that breaks off before answering, is a retryable `NODE_UNAVAILABLE`, for
 * the caller to try again later: never a 500 of the node that asked.
 */
export async function fetchFromPeer(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    const { origin } = new URL(url);
    throw new RetryableError('NODE_UNAVAILABLE', `Could not reach ${origin}: ${cause}.`, {
      details: { origin, cause },
      retryAfterMs: 500,
    });
  }
}
