/**
 * The node's HTTP server: the public entity API for the shards this node owns, `GET /healthz`
 * and `GET /metrics` (both without a token: load balancers and Prometheus call them).
 *
 * Plain `node:http` rather than express: this is the hot path, and it parses each body
 * exactly once (DESIGN §9). Every failure leaves as an error envelope; a bug becomes a
 * 500 `INTERNAL` with nothing of the stack in it. Every answer is counted and timed under its
 * route template, never its raw path, and carries the request's id (`x-request-id`: the
 * router's, or a new one), which every line logged about the request carries too, with the
 * key's shard and epoch.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  IsxError,
  isIsxError,
  parseEntityPath,
  parseIfMatch,
  REQUEST_ID_HEADER,
  requestIdFrom,
  versionEtag,
  type Health,
} from '@isx/core';
import type { Logger } from 'pino';
import type { EntityHost, WriteConditions } from '../entity-host.js';
import type { NodeMetrics } from '../metrics/node-metrics.js';
import { runWithRequestId } from '../internal/request-context.js';
import { readJsonObject } from './request-body.js';
import { sendError, sendJson } from './respond.js';
import { routeTemplate } from './route-template.js';

export interface NodeServerOptions {
  /** This node's id; a function because a new node learns it when it registers. */
  nodeId: () => string;
  host: EntityHost;
  logger: Logger;
  /** Handles internal routes; resolves false for any other request. */
  internal?: (request: IncomingMessage, response: ServerResponse) => Promise<boolean>;
  /** Counts and times every request, and serves `GET /metrics`. */
  metrics?: NodeMetrics;
  /** The shard of a key and its epoch in this node's map, for the log lines about a request. */
  shardOf?: (type: string, key: string) => { shard: string; epoch: number } | undefined;
}

/** Errors that are part of a shard's life (a move, a node starting or stopping), not a fault. */
const ROUTINE_CODES: ReadonlySet<string> = new Set(['SHARD_MOVING', 'MAP_NOT_READY', 'SHUTTING_DOWN']);

export function createNodeServer(options: NodeServerOptions): Server {
  const { host, logger, metrics } = options;
  const nodeId = options.nodeId;

  /** A logger for the lines about one request: its id, and the shard and epoch of its key. */
  const requestLogger = (request: IncomingMessage, requestId: string): Logger => {
    const path = parseEntityPath(request.url ?? '/');
    let shard: { shard: string; epoch: number } | undefined;
    try {
      if (path?.key !== undefined) shard = options.shardOf?.(path.type, path.key);
    } catch {
      // An unknown type or an uncovered key has no shard; the line goes without one.
    }
    return logger.child({ requestId, ...shard });
  };

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = request.method ?? 'GET';
    const target = request.url ?? '/';
    if (target === '/healthz' && method === 'GET') {
      const health: Health = { status: 'ok', role: 'node', id: nodeId(), pid: process.pid };
      return sendJson(response, 200, health);
    }
    if (target === '/metrics' && method === 'GET' && metrics) {
      const text = await metrics.scrape();
      response.writeHead(200, {
        'content-type': metrics.contentType,
        'content-length': Buffer.byteLength(text),
      });
      response.end(text);
      return;
    }
    if (options.internal && (await options.internal(request, response))) return;
    const path = parseEntityPath(target);
    const activities = path?.key !== undefined && path.rest.length === 1 && path.rest[0] === 'activities';
    if (!path || (path.rest.length > 0 && !activities)) {
      throw new IsxError('ROUTE_NOT_FOUND', `No route for ${method} ${target.split('?', 1)[0]}.`);
    }
    const { type, key } = path;
    if (activities && key !== undefined) {
      if (method !== 'GET')
        throw new IsxError('METHOD_NOT_ALLOWED', `Only GET is allowed on /${type}/:key/activities.`);
      return sendJson(response, 200, { key, activity: await host.activities(type, key) });
    }
    if (key === undefined) {
      throw new IsxError(
        'METHOD_NOT_ALLOWED',
        `${method} /${type} is not served by a node; the router creates keys.`,
      );
    }
    switch (method) {
      case 'GET': {
        if (readConsistency(target) === 'eventual') {
          const { record, role } = await host.getEventual(type, key);
          return sendJson(response, 200, record, {
            etag: versionEtag(record.version),
            'x-isx-consistency': 'eventual',
            'x-isx-replica': role,
          });
        }
        const record = await host.get(type, key);
        return sendJson(response, 200, record, { etag: versionEtag(record.version) });
      }
      case 'PUT': {
        const conditions = readConditions(request);
        const body = await readJsonObject(request);
        const result = await host.put(type, key, body, conditions);
        return sendJson(response, 200, result, { etag: versionEtag(result.version) });
      }
      case 'PATCH': {
        const conditions = readConditions(request);
        const body = await readJsonObject(request);
        const result = await host.patch(type, key, body, conditions);
        return sendJson(response, 200, result, { etag: versionEtag(result.version) });
      }
      case 'DELETE': {
        const result = await host.delete(type, key, readConditions(request));
        return sendJson(response, 200, result);
      }
      default:
        throw new IsxError('METHOD_NOT_ALLOWED', `${method} is not allowed on /${type}/:key.`);
    }
  }

  return createServer({ keepAliveTimeout: 65_000 }, (request, response) => {
    // Every answer, errors included, says which node gave it and which request it answers.
    response.setHeader('x-isx-node', nodeId());
    const requestId = requestIdFrom(request.headers[REQUEST_ID_HEADER]);
    response.setHeader(REQUEST_ID_HEADER, requestId);
    const arrived = performance.now();
    const route = routeTemplate(request.url ?? '/');
    // Counted once the answer has gone; a request whose client left before it did is not.
    response.once('finish', () => {
      const seconds = (performance.now() - arrived) / 1000;
      const method = request.method ?? 'GET';
      metrics?.observeRequest({ route, method, status: response.statusCode }, seconds);
      if (route !== '/healthz' && route !== '/metrics' && logger.isLevelEnabled('debug')) {
        requestLogger(request, requestId).debug(
          { method, url: request.url, status: response.statusCode, ms: Math.round(seconds * 1000) },
          'request served',
        );
      }
    });
    const serve = (): Promise<void> =>
      handle(request, response).catch((error: unknown) => {
        const sent = sendError(response, error);
        logFailure(requestLogger(request, requestId), error, sent, request);
      });
    // The id rides to the backups only for their debug lines, and the async context that carries
    // it costs every promise of the request (about a quarter of a node's throughput, measured
    // with `npm run bench -- replicated-write`), so it is carried only when debug lines are on.
    if (logger.isLevelEnabled('debug')) void runWithRequestId(requestId, serve);
    else void serve();
  });
}

/**
 * A bug (anything not an `IsxError`) is an error, with its stack; so is an `IsxError` of 500 or
 * more that retrying will not get past, without one. A retryable one is a warning, or a debug
 * line when it is routine; refusals of the caller's request (4xx) are debug lines.
 */
function logFailure(logger: Logger, error: unknown, sent: IsxError, request: IncomingMessage): void {
  const about = { method: request.method, url: request.url, code: sent.code };
  if (!isIsxError(error)) logger.error({ ...about, err: error }, 'request failed');
  else if (sent.status < 500 || ROUTINE_CODES.has(sent.code)) logger.debug(about, 'request refused');
  else if (sent.retryable) logger.warn({ ...about, message: sent.message }, 'request refused for now');
  else logger.error({ ...about, message: sent.message }, 'request failed');
}

function readConditions(request: IncomingMessage): WriteConditions {
  const ifNoneMatch = request.headers['if-none-match'];
  if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== '*') {
    throw new IsxError('INVALID_PRECONDITION', 'Only If-None-Match: * is supported on writes.');
  }
  return {
    ifMatch: parseIfMatch(request.headers['if-match']),
    ifNoneMatchAny: ifNoneMatch !== undefined,
  };
}

/** `?consistency=eventual` lets a backup answer a read (phase 3); anything else is a strong read. */
function readConsistency(target: string): 'strong' | 'eventual' {
  const query = target.includes('?') ? new URLSearchParams(target.slice(target.indexOf('?') + 1)) : undefined;
  const value = query?.get('consistency');
  if (value === null || value === undefined || value === 'strong') return 'strong';
  if (value === 'eventual') return 'eventual';
  throw new IsxError('INVALID_REQUEST', `consistency must be strong or eventual, not "${value}".`, {
    details: { consistency: value },
  });
}
