/**
 * The forwarding path: one keyed request, sent to the node that owns the key.
 *
 * It never parses a body (DESIGN §9). Requests go out on undici's pooled keep-alive client,
 * which costs about half the CPU per request of `node:http`'s (see `docs/benchmarks.md`); the
 * router spends most of its time here. What it must get right is the meaning of each failure,
 * because a caller decides on it whether to retry:
 * - refused, unreachable, or no connection within the timeout: nothing was sent → 503 `NODE_UNAVAILABLE`;
 * - reset or lost after the request went out: unknown outcome → 502 `NODE_CONNECTION_LOST`;
 * - no answer within the timeout: unknown outcome → 504 `NODE_TIMEOUT`;
 * - a 5xx without our error envelope → 502 `NODE_ERROR`, never the node's raw body.
 * A request is resent only when the node provably did not take it, or when taking it twice does
 * no harm: a read whose connection dropped is sent once more, and an answer of `421 WRONG_SHARD`,
 * `503 SHARD_MOVING` or another code a node gives before applying anything is handed back to be
 * retried. Request bodies are buffered (at most 1 MiB, never parsed) so that such a resend is
 * possible, and answers are relayed in one write once the node has sent them whole.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorBodySchema, IsxError, REQUEST_ID_HEADER, RetryableError, type ErrorBody } from '@isx/core';
import { Agent, type Dispatcher } from 'undici';

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
/** Request headers the router leaves out: hop by hop, plus what undici sets from the buffered body. */
const NOT_FORWARDED = new Set([...HOP_BY_HOP, 'expect', 'content-length']);
const MAX_ERROR_BODY = 64 * 1024;
/** Errors raised before a connection exists: the request was never sent. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);
/** Errors of a connection that existed and broke: the request may have gone out. */
const CONNECTION_LOST_CODES = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE', 'UND_ERR_CLOSED']);

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

/**
 * What became of one attempt: answered to the client, or to be retried. An answer that is not
 * the node's own names its error as `failure`: one the router made (`NODE_UNAVAILABLE`,
 * `NODE_TIMEOUT`, `NODE_CONNECTION_LOST`, `NODE_ERROR`), or a "not here yet" refusal relayed
 * because the request could not be held any longer (`SHARD_MOVING`, `WRONG_SHARD`, …).
 */
export type ForwardOutcome =
  { kind: 'answered'; failure?: string } | { kind: 'retry'; code: string; retryAfterMs: number };

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
  /** How long the node may take to accept a connection, and then to answer (default 10 s). */
  timeoutMs?: number;
  /** Connections per node (default 256). */
  maxSocketsPerNode?: number;
  /**
   * Hold and resend a request whose node cannot be reached (nothing was sent), instead of
   * answering 503 at once: with replicas, a failover is about to give the shard a new primary.
   */
  holdWhileUnreachable?: boolean;
  /**
   * What carries requests to the nodes (default: an undici `Agent` with the timeouts above;
   * a dispatcher given here brings its own timeouts). Unit tests pass undici's `MockAgent`
   * to act out a node's answers.
   */
  dispatcher?: Dispatcher;
}

export class Forwarder {
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  readonly #timeoutMs: number;
  readonly #holdWhileUnreachable: boolean;

  constructor(options: ForwarderOptions = {}) {
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#holdWhileUnreachable = options.holdWhileUnreachable ?? false;
    this.#ownsDispatcher = options.dispatcher === undefined;
    this.#dispatcher =
      options.dispatcher ??
      new Agent({
        connections: options.maxSocketsPerNode ?? 256,
        connectTimeout: this.#timeoutMs,
        headersTimeout: this.#timeoutMs,
        bodyTimeout: this.#timeoutMs,
      });
  }

  /**
   * Sends the request to the target and relays the answer to `response`, unless the answer is
   * a retryable "not here yet" and `outgoing.retryable` allows handing it back. Failures are
   * answered, not thrown.
   */
  async forward(
    response: ServerResponse,
    target: ForwardTarget,
    outgoing: OutgoingRequest,
  ): Promise<ForwardOutcome> {
    const safe = outgoing.method === 'GET' || outgoing.method === 'HEAD';
    for (let resendOnLoss = safe; ; resendOnLoss = false) {
      let answer: Dispatcher.ResponseData;
      try {
        answer = await this.#dispatcher.request({
          origin: target.nodeUrl,
          path: outgoing.path,
          method: outgoing.method,
          headers: outgoing.headers,
          body: outgoing.body ?? null,
        });
      } catch (error) {
        const failure = this.#failureFor(error as NodeJS.ErrnoException, target);
        // A read whose connection broke is harmless to send again, once: the connection was
        // most likely a pooled one the node had just closed.
        const code = (error as NodeJS.ErrnoException).code ?? '';
        if (resendOnLoss && CONNECTION_LOST_CODES.has(code)) continue;
        if (outgoing.retryable && this.#holdWhileUnreachable && failure.code === 'NODE_UNAVAILABLE') {
          return { kind: 'retry', code: failure.code, retryAfterMs: 100 };
        }
        sendEnvelope(response, failure, false);
        return { kind: 'answered', failure: failure.code };
      }
      return relayAnswer(answer, response, target, outgoing);
    }
  }

  /** Closes pooled connections. */
  close(): void {
    if (this.#ownsDispatcher) void this.#dispatcher.destroy().catch(() => {});
  }

  #failureFor(error: NodeJS.ErrnoException, target: ForwardTarget): IsxError {
    if (error instanceof IsxError) return error;
    const code = error.code ?? '';
    const details = {
      node: target.nodeId,
      nodeUrl: target.nodeUrl,
      shard: target.shardId,
      cause: code === '' ? 'unknown' : code,
    };
    if (code === 'UND_ERR_CONNECT_TIMEOUT') {
      return new RetryableError(
        'NODE_UNAVAILABLE',
        `Node ${target.nodeId} (${target.nodeUrl}) did not accept a connection within ${this.#timeoutMs} ms; nothing was sent.`,
        {
          details: { node: target.nodeId, nodeUrl: target.nodeUrl, shard: target.shardId },
          retryAfterMs: 500,
        },
      );
    }
    // TCP refuses a SYN with ECONNREFUSED, so these happen only while connecting: the request
    // was never sent. A reset is different: the connection existed and the request may have gone out.
    if (NOT_SENT_CODES.has(code)) {
      return new RetryableError(
        'NODE_UNAVAILABLE',
        `Node ${target.nodeId} (${target.nodeUrl}), which owns shard ${target.shardId}, is not reachable.`,
        { details, retryAfterMs: 500 },
      );
    }
    if (code === 'UND_ERR_HEADERS_TIMEOUT') {
      return new IsxError(
        'NODE_TIMEOUT',
        `Node ${target.nodeId} did not answer within ${this.#timeoutMs} ms; the request may or may not have been applied.`,
        { details: { node: target.nodeId, shard: target.shardId } },
      );
    }
    if (!CONNECTION_LOST_CODES.has(code)) {
      // Anything else is unexpected; the outcome is unknown, so it is reported as a lost connection.
      details.cause = code === '' ? error.message.slice(0, 200) : code;
    }
    return new IsxError(
      'NODE_CONNECTION_LOST',
      `The connection to node ${target.nodeId} was lost before it answered; the request may or may not have been applied.`,
      { details },
    );
  }
}

/**
 * The headers a request goes to its node with: the client's, less the hop-by-hop ones, plus
 * `x-forwarded-for` and the request's id (which replaces whatever id the client sent: the
 * router has already checked it, or made one).
 */
export function forwardHeaders(
  request: IncomingMessage,
  requestId: string,
): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined && !NOT_FORWARDED.has(name)) headers[name] = value;
  }
  headers['x-forwarded-for'] = request.socket.remoteAddress ?? '';
  headers[REQUEST_ID_HEADER] = requestId;
  return headers;
}

async function relayAnswer(
  answer: Dispatcher.ResponseData,
  response: ServerResponse,
  target: ForwardTarget,
  outgoing: OutgoingRequest,
): Promise<ForwardOutcome> {
  const status = answer.statusCode;
  const headers: Record<string, string | string[]> = { 'x-isx-shard': target.shardId };
  for (const [name, value] of Object.entries(answer.headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
  }
  if (status !== 421 && status < 500) {
    let body: Buffer;
    try {
      body = Buffer.from(await answer.body.arrayBuffer());
    } catch {
      // The node's connection broke or stalled mid-answer: the caller cannot tell what it got.
      response.destroy();
      return { kind: 'answered', failure: 'NODE_CONNECTION_LOST' };
    }
    // A HEAD, 204 or 304 has no body here whatever its headers say; anything else is sent whole.
    const bodiless = outgoing.method === 'HEAD' || status === 204 || status === 304;
    if (!bodiless) headers['content-length'] = String(body.length);
    if (status < 300 && outgoing.success) {
      response.writeHead(outgoing.success.status, { ...headers, ...outgoing.success.headers });
    } else {
      response.writeHead(status, headers);
    }
    response.end(bodiless ? undefined : body);
    return { kind: 'answered' };
  }
  const envelope = tryEnvelope(await readCapped(answer.body, MAX_ERROR_BODY));
  if (envelope !== undefined) {
    if (outgoing.retryable && RETRY_CODES.has(envelope.error.code)) {
      const retryAfterMs = (Number(answer.headers['retry-after']) || 0) * 1000;
      return { kind: 'retry', code: envelope.error.code, retryAfterMs };
    }
    const payload = JSON.stringify(envelope);
    response.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(payload)) });
    response.end(payload);
    return RETRY_CODES.has(envelope.error.code)
      ? { kind: 'answered', failure: envelope.error.code }
      : { kind: 'answered' };
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
  return { kind: 'answered', failure: 'NODE_ERROR' };
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

async function readCapped(
  stream: AsyncIterable<Buffer> & { destroy(): void },
  limit: number,
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      size += chunk.length;
      if (size > limit) break;
      chunks.push(chunk);
    }
    stream.destroy();
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
