/**
 * The node's HTTP server: the public entity API for the shards this node owns, `GET /healthz`
 * and `GET /metrics` (both without a token: load balancers and Prometheus call them).
 *
 * Plain `node:http` rather than express: this is the hot path, and it parses each body
 * exactly once (DESIGN §9). Every failure leaves as an error envelope; a bug becomes a
 * 500 `INTERNAL` with nothing of the stack in it. Every answer is counted and timed under its
 * route template, never its raw path.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { IsxError, parseEntityPath, parseIfMatch, versionEtag, type Health } from '@isx/core';
import type { Logger } from 'pino';
import type { EntityHost, WriteConditions } from '../entity-host.js';
import type { NodeMetrics } from '../metrics/node-metrics.js';
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
}

export function createNodeServer(options: NodeServerOptions): Server {
  const { nodeId, host, logger, metrics } = options;

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
    // Every answer, errors included, says which node gave it.
    response.setHeader('x-isx-node', nodeId());
    if (metrics) {
      const arrived = performance.now();
      // Counted once the answer has gone; a request whose client left before it did is not.
      response.once('finish', () =>
        metrics.observeRequest(
          {
            route: routeTemplate(request.url ?? '/'),
            method: request.method ?? 'GET',
            status: response.statusCode,
          },
          (performance.now() - arrived) / 1000,
        ),
      );
    }
    handle(request, response).catch((error: unknown) => {
      const sent = sendError(response, error);
      if (sent.status >= 500)
        logger.error({ err: error, method: request.method, url: request.url }, 'request failed');
      else logger.debug({ code: sent.code, method: request.method, url: request.url }, 'request refused');
    });
  });
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
