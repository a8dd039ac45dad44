/**
 * `startRouter`: the service locator. Every keyed request is located in the shard map and
 * streamed to the owning node; everything else goes to the admin app.
 *
 * The router checks what it can without a body (type, key, coverage, declared size) and
 * answers those errors itself, so a bad request never costs a node a round trip.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isIsxError, IsxError, MAX_BODY_BYTES, parseEntityPath, type ShardMap } from '@isx/core';
import { pino, type Logger } from 'pino';
import { createAdminApp } from './admin-app.js';
import { Forwarder, sendEnvelope } from './forwarder.js';

const ADMIN_PREFIXES = ['/cluster', '/healthz', '/metrics', '/dashboard'];

export interface RouterOptions {
  map: ShardMap;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  routerId?: string;
  nodeTimeoutMs?: number;
  logger?: Logger;
}

export interface RunningRouter {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Starts a router over a fixed shard map.
 *
 * @example
 * const router = await startRouter({ map: new ShardMap(parseClusterConfig(config)), port: 4000 });
 */
export async function startRouter(options: RouterOptions): Promise<RunningRouter> {
  const logger = options.logger ?? pino({ level: 'info' }).child({ role: 'router' });
  const map = options.map;
  const forwarder = new Forwarder({ timeoutMs: options.nodeTimeoutMs ?? 10_000 });
  const admin = createAdminApp({ routerId: options.routerId ?? 'router', map: () => map, logger });

  const handleKeyed = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = parseEntityPath(request.url ?? '/');
    if (!path || path.rest.length > 0) {
      throw new IsxError(
        'ROUTE_NOT_FOUND',
        `No route for ${request.method} ${(request.url ?? '/').split('?', 1)[0]}.`,
      );
    }
    if (path.key === undefined) {
      if (!map.hasType(path.type)) map.locate(path.type, '');
      throw new IsxError(
        'METHOD_NOT_ALLOWED',
        `${request.method} /${path.type} is not served yet; use PUT /${path.type}/:key.`,
      );
    }
    const placement = map.locate(path.type, path.key);
    if (Number(request.headers['content-length'] ?? 0) > MAX_BODY_BYTES) {
      throw new IsxError('PAYLOAD_TOO_LARGE', `The body is larger than ${MAX_BODY_BYTES} bytes.`, {
        details: { limitBytes: MAX_BODY_BYTES },
      });
    }
    await forwarder.forward(request, response, {
      nodeId: placement.shard.node,
      nodeUrl: placement.nodeUrl,
      shardId: placement.shard.id,
    });
  };

  const server = createServer({ keepAliveTimeout: 65_000 }, (request, response) => {
    const pathname = (request.url ?? '/').split('?', 1)[0] ?? '/';
    if (ADMIN_PREFIXES.some((p) => pathname === p || pathname.startsWith(`${p}/`))) {
      admin(request, response);
      return;
    }
    handleKeyed(request, response).catch((error: unknown) => {
      const typed = isIsxError(error) ? error : new IsxError('INTERNAL', 'The router failed unexpectedly.');
      if (!isIsxError(error)) logger.error({ err: error, url: request.url }, 'forwarding failed');
      sendEnvelope(response, typed, !request.complete);
    });
  });
  server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  const { port, address } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${address.includes(':') ? `[${address}]` : address}:${port}`,
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        forwarder.close();
      });
      return closing;
    },
  };
}
