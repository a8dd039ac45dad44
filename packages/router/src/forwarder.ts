/**
 * The forwarding path: one keyed request, sent to the node that owns the key.
 *
 * It never parses a body (DESIGN §9): the answer streams back through a pooled keep-alive
 * agent. What it must get right is the meaning of each failure, because a
 * caller decides on it whether to retry:
 * - refused, unreachable, or no connection within the timeout: nothing was sent → 503 `NODE_UNAVAILABLE`;
 * - reset or lost after the request went out: unknown outcome → 502 `NODE_CONNECTION_LOST`;
 * - no answer within the timeout: unknown outcome → 504 `NODE_TIMEOUT`;
 * - a 5xx without our error envelope → 502 `NODE_ERROR`, never the node's raw body.
 * A request is resent only when the node provably did not take it (a read on a reused keep-alive
 * socket the node had closed, or an answer of `421 WRONG_SHARD`, `503 SHARD_MOVING` or `503 MAP_NOT_READY`,
 * which a node gives before applying anything). Request bodies are buffered (at most 1 MiB,
 * never parsed) so that such a resend is possible.
 */
import { Agent, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { errorBodySchema, IsxError, RetryableError, type ErrorBody } from '@isx/core';

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
/** Socket errors raised before a connection exists. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
]);

/** Where to send one request, and what to name the target in errors. */
export interface ForwardTarget {
  readonly nodeId: string;
  readonly nodeUrl: string;
  readonly shardId: string;
}

/** The request as it goes to the node: possibly rewritten (a POST becomes a conditional PUT). */
export interface OutgoingRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string | string[]>;
  readonly body: Buffer | undefined;
  /** Whether an answer that says "not here yet" may be handed back for a retry instead of relayed. */
  readonly retryable: boolean;
  /** Relay a 2xx answer with this status and these extra headers (201 and Location for a create). */
  readonly success?: { status: number; headers: Record<string, string> };
}

/** What became of one attempt: answered to the client, or to be retried. */
export type ForwardOutcome = { kind: 'answered' } | { kind: 'retry'; code: string; retryAfterMs: number };

/** Codes a node answers before applying anything, for a shard that is moving or not yet known. */
// Each is answered before anything is applied, so the request may be sent again.
const RETRY_CODES = new Set([
  'WRONG_SHARD',
  'SHARD_MOVING',
  'MAP_NOT_READY',
  'LEASE_EXPIRED',
  'NOT_ENOUGH_REPLICAS',
]);

export interface ForwarderOptions {
  /** How long the node may take to start answering (default 10 s). */
  timeoutMs?: number;
  /** Sockets per node (default 256). */
  maxSocketsPerNode?: number;
  /**
   * Hold and resend a request whose node cannot be reached (nothing was sent), instead of
   * answering 503 at once: with replicas, a failover is about to give the shard a new primary.
   */
  holdWhileUnreachable?: boolean;
}

export class Forwarder {
  readonly #agent: Agent;
  readonly #timeoutMs: number;
  readonly #holdWhileUnreachable: boolean;

  constructor(options: ForwarderOptions = {}) {
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#holdWhileUnreachable = options.holdWhileUnreachable ?? false;
    this.#agent = new Agent({
      keepAlive: true,
      maxSockets: options.maxSocketsPerNode ?? 256,
      scheduling: 'lifo',
    });
  }

  /**
   * Sends one attempt to the target and streams the answer back to `response`, unless the
   * answer is a retryable "not here yet" and `outgoing.retryable` allows handing it back.
   * Failures are answered, not thrown.
   */
  forward(
    response: ServerResponse,
    target: ForwardTarget,
    outgoing: OutgoingRequest,
  ): Promise<ForwardOutcome> {
    return new Promise<ForwardOutcome>((resolve) => {
      const attempt = (retryOnReset: boolean): void => {
        const upstream = httpRequest(`${target.nodeUrl}${outgoing.path}`, {
          method: outgoing.method,
          headers: outgoing.body
            ? { ...outgoing.headers, 'content-length': String(outgoing.body.length) }
            : outgoing.headers,
          agent: this.#agent,
        });
        let answered = false;
        // Until the socket connects nothing was sent, so a failure then is "not applied". The
        // socket's idle timeout starts only once it connects; this timer bounds the connect.
        let connected = false;
        const connectTimer = setTimeout(() => {
          if (!connected) upstream.destroy(notConnected(target, this.#timeoutMs));
        }, this.#timeoutMs);
        upstream.on('socket', (socket) => {
          if (!socket.connecting) connected = true;
          else socket.once('connect', () => (connected = true));
        });
        upstream.once('close', () => clearTimeout(connectTimer));
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
          relayAnswer(answer, response, target, outgoing).then(resolve, () => resolve({ kind: 'answered' }));
        });
        upstream.on('error', (error: NodeJS.ErrnoException) => {
          if (answered) {
            response.destroy();
            return resolve({ kind: 'answered' });
          }
          // A reset on a reused keep-alive socket is usually the node having closed it idle, but
          // a node killed mid-write resets too: only reads may be sent again on that guess.
          const reusedReset = upstream.reusedSocket && error.code === 'ECONNRESET';
          const safe = outgoing.method === 'GET' || outgoing.method === 'HEAD';
          if (retryOnReset && reusedReset && safe) return attempt(false);
          const failure = failureFor(error, target, connected);
          if (outgoing.retryable && this.#holdWhileUnreachable && failure.code === 'NODE_UNAVAILABLE') {
            return resolve({ kind: 'retry', code: failure.code, retryAfterMs: 100 });
          }
          sendEnvelope(response, failure, false);
          resolve({ kind: 'answered' });
        });
        response.on('close', () => {
          if (!response.writableFinished) upstream.destroy();
        });
        upstream.end(outgoing.body);
      };
      attempt(true);
    });
  }

  /** Closes pooled connections. */
  close(): void {
    this.#agent.destroy();
  }
}

export function forwardHeaders(request: IncomingMessage): Record<string, string | string[]> {
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
  outgoing: OutgoingRequest,
): Promise<ForwardOutcome> {
  const status = answer.statusCode ?? 502;
  const headers: Record<string, string | string[]> = { 'x-isx-shard': target.shardId };
  for (const [name, value] of Object.entries(answer.headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
  }
  if (status < 300 && outgoing.success) {
    response.writeHead(outgoing.success.status, { ...headers, ...outgoing.success.headers });
    answer.pipe(response);
    await new Promise<void>((done) => response.on('close', done));
    return { kind: 'answered' };
  }
  if (status !== 421 && status < 500) {
    response.writeHead(status, headers);
    answer.pipe(response);
    await new Promise<void>((done) => response.on('close', done));
    return { kind: 'answered' };
  }
  const envelope = tryEnvelope(await readCapped(answer, MAX_ERROR_BODY));
  if (envelope !== undefined) {
    if (outgoing.retryable && RETRY_CODES.has(envelope.error.code)) {
      const retryAfterMs = Number(answer.headers['retry-after'] ?? 0) * 1000;
      return { kind: 'retry', code: envelope.error.code, retryAfterMs };
    }
    const payload = JSON.stringify(envelope);
    response.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(payload)) });
    response.end(payload);
    return { kind: 'answered' };
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
  return { kind: 'answered' };
}

function notConnected(target: ForwardTarget, timeoutMs: number): IsxError {
  return new RetryableError(
    'NODE_UNAVAILABLE',
    `Node ${target.nodeId} (${target.nodeUrl}) did not accept a connection within ${timeoutMs} ms; nothing was sent.`,
    { details: { node: target.nodeId, nodeUrl: target.nodeUrl, shard: target.shardId }, retryAfterMs: 500 },
  );
}

function failureFor(error: NodeJS.ErrnoException, target: ForwardTarget, connected: boolean): IsxError {
  if (error instanceof IsxError) return error;
  const details = {
    node: target.nodeId,
    nodeUrl: target.nodeUrl,
    shard: target.shardId,
    cause: error.code ?? 'unknown',
  };
  // These errors happen only while connecting, so the request was never sent; a connect that
  // timed out is the same. A reset is different: TCP refuses a SYN with ECONNREFUSED, so a
  // reset means the connection existed and the request may have gone out.
  const code = error.code ?? '';
  if (NOT_SENT_CODES.has(code) || (!connected && code === 'ETIMEDOUT')) {
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

function tryEnvelope(text: string): ErrorBody | undefined {
  try {
    const parsed = errorBodySchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
