/**
 * The forwarding path: one keyed request, streamed to the node that owns the key.
 *
 * It never parses a body (DESIGN §9): request and response stream through a pooled
 * keep-alive agent. What it must get right is the meaning of each failure, because a
 * caller decides on it whether to retry:
 * - connection refused: the node provably did not apply anything → 503 `NODE_UNAVAILABLE`;
 * - reset or lost after the request went out: unknown outcome → 502 `NODE_CONNECTION_LOST`;
 * - no answer within the timeout: unknown outcome → 504 `NODE_TIMEOUT`;
 * - a 5xx without our error envelope → 502 `NODE_ERROR`, never the node's raw body.
 * Only GET and HEAD are retried (once), and only on a reused socket that the node had closed.
 */
import { Agent, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { errorBodySchema, IsxError, RetryableError } from '@isx/core';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
]);
const MAX_ERROR_BODY = 64 * 1024;

/** Where to send one request, and what to name the target in errors. */
export interface ForwardTarget {
  readonly nodeId: string;
  readonly nodeUrl: string;
  readonly shardId: string;
}

export interface ForwarderOptions {
  /** How long the node may take to start answering (default 10 s). */
  timeoutMs?: number;
  /** Sockets per node (default 256). */
  maxSocketsPerNode?: number;
}

export class Forwarder {
  readonly #agent: Agent;
  readonly #timeoutMs: number;

  constructor(options: ForwarderOptions = {}) {
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#agent = new Agent({
      keepAlive: true,
      maxSockets: options.maxSocketsPerNode ?? 256,
      scheduling: 'lifo',
    });
  }

  /**
   * Streams `request` to the target and the answer back to `response`. Resolves when the
   * exchange is over; failures are answered, not thrown.
   */
  forward(request: IncomingMessage, response: ServerResponse, target: ForwardTarget): Promise<void> {
    return new Promise<void>((resolve) => {
      const attempt = (retry: boolean): void => {
        const upstream = httpRequest(`${target.nodeUrl}${request.url ?? '/'}`, {
          method: request.method,
          headers: forwardHeaders(request),
          agent: this.#agent,
        });
        let answered = false;
        upstream.setTimeout(this.#timeoutMs, () => {
          upstream.destroy(
            new IsxError(
              'NODE_TIMEOUT',
              `Node ${target.nodeId} did not answer within ${this.#timeoutMs} ms; the request may or may not have been applied.`,
              {
                details: { node: target.nodeId, shard: target.shardId },
              },
            ),
          );
        });
        upstream.on('response', (answer) => {
          answered = true;
          relayAnswer(answer, response, target).then(resolve, resolve);
        });
        upstream.on('error', (error: NodeJS.ErrnoException) => {
          if (answered) {
            response.destroy();
            return resolve();
          }
          const reusedReset = upstream.reusedSocket && error.code === 'ECONNRESET';
          const idempotent = request.method === 'GET' || request.method === 'HEAD';
          if (retry && reusedReset && idempotent) return attempt(false);
          sendEnvelope(response, failureFor(error, target), !request.complete);
          resolve();
        });
        response.on('close', () => {
          if (!response.writableFinished) upstream.destroy();
        });
        if (request.method === 'GET' || request.method === 'HEAD' || request.complete) upstream.end();
        else request.pipe(upstream);
      };
      attempt(true);
    });
  }

  /** Closes pooled connections. */
  close(): void {
    this.#agent.destroy();
  }
}

function forwardHeaders(request: IncomingMessage): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
  }
  headers['x-forwarded-for'] = request.socket.remoteAddress ?? '';
  return headers;
}

async function relayAnswer(
  answer: IncomingMessage,
  response: ServerResponse,
  target: ForwardTarget,
): Promise<void> {
  const status = answer.statusCode ?? 502;
  const headers: Record<string, string | string[]> = { 'x-isx-shard': target.shardId };
  for (const [name, value] of Object.entries(answer.headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
  }
  if (status < 500) {
    response.writeHead(status, headers);
    answer.pipe(response);
    await new Promise<void>((done) => response.on('close', done));
    return;
  }
  const body = await readCapped(answer, MAX_ERROR_BODY);
  const envelope = tryEnvelope(body);
  if (envelope !== undefined) {
    response.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(envelope)) });
    response.end(envelope);
    return;
  }
  sendEnvelope(
    response,
    new IsxError(
      'NODE_ERROR',
      `Node ${target.nodeId} failed with status ${status}; the request may or may not have been applied.`,
      {
        details: { node: target.nodeId, shard: target.shardId, nodeStatus: status },
      },
    ),
    false,
  );
}

function failureFor(error: NodeJS.ErrnoException, target: ForwardTarget): IsxError {
  if (error instanceof IsxError) return error;
  const details = {
    node: target.nodeId,
    nodeUrl: target.nodeUrl,
    shard: target.shardId,
    cause: error.code ?? 'unknown',
  };
  if (error.code === 'ECONNREFUSED' || error.code === 'EHOSTUNREACH' || error.code === 'ENOTFOUND') {
    return new RetryableError(
      'NODE_UNAVAILABLE',
      `Node ${target.nodeId} (${target.nodeUrl}), which owns shard ${target.shardId}, is not reachable.`,
      {
        details,
        retryAfterMs: 500,
      },
    );
  }
  return new IsxError(
    'NODE_CONNECTION_LOST',
    `The connection to node ${target.nodeId} was lost before it answered; the request may or may not have been applied.`,
    { details },
  );
}

/** Sends an error envelope; closes the connection if the client's body was not read. */
export function sendEnvelope(response: ServerResponse, error: IsxError, closeConnection: boolean): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const payload = JSON.stringify(error.toBody());
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(payload)),
  };
  if (closeConnection) headers.connection = 'close';
  if (error instanceof RetryableError && error.status === 503) {
    headers['retry-after'] = String(Math.max(1, Math.ceil(error.retryAfterMs / 1000)));
  }
  response.writeHead(error.status, headers);
  response.end(payload);
}

async function readCapped(stream: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) break;
      chunks.push(chunk);
    }
  } catch {
    // A body cut short is treated like any body that is not an envelope.
  }
  return Buffer.concat(chunks).toString('utf8');
}

function tryEnvelope(text: string): string | undefined {
  try {
    const parsed = errorBodySchema.safeParse(JSON.parse(text));
    return parsed.success ? JSON.stringify(parsed.data) : undefined;
  } catch {
    return undefined;
  }
}
