/**
 * `startRouter`: the service locator. Every keyed request is located in the shard map and
 * sent to the owning node; everything else goes to the admin app.
 *
 * The router checks what it can without parsing a body (type, key, coverage, size) and
 * answers those errors itself. A request that meets a shard in the middle of a move
 * (`421`, `503 SHARD_MOVING`) is held and resent, against the current map, until it lands
 * or `holdMs` runs out. `POST /:type` makes a new key and creates the entity with a
 * conditional PUT, answering `201` with `Location`. Every request is counted and timed in the
 * router's metrics (`GET /metrics`), and carries a request id (the caller's `x-request-id` if
 * it is a sane one, else a new one) to its node and back in the answer, errors included.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  isIsxError,
  IsxError,
  MAX_BODY_BYTES,
  parseEntityPath,
  REQUEST_ID_HEADER,
  requestIdFrom,
  type ShardMap,
} from '@isx/core';
import { pino, type Logger } from 'pino';
import type { Dispatcher } from 'undici';
import { createAdminApp } from './admin-app.js';
import type { ClusterManager } from './cluster-manager.js';
import { Forwarder, forwardHeaders, sendEnvelope, type OutgoingRequest } from './forwarder.js';
import { isAdminPath, pathnameOf } from './request-route.js';
import { dynamicClusterView, manualClusterView } from './cluster-view.js';
import { DashboardFeed } from './dashboard/dashboard-feed.js';
import { EventJournal } from './dashboard/event-journal.js';
import { RequestWindow } from './dashboard/request-window.js';
import { RouterMetrics } from './router-metrics.js';

/** Answers for a shard whose primary is changing hands right now. */
const SHORT_WAIT_CODES: ReadonlySet<string> = new Set(['SHARD_MOVING', 'WRONG_SHARD']);

export interface RouterOptions {
  /** Phase 1: a fixed shard map. */
  map?: ShardMap;
  /** Phase 2: a dynamic cluster with its token. */
  cluster?: { manager: ClusterManager; token: string };
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  routerId?: string;
  nodeTimeoutMs?: number;
  /** How long a request may be held while its shard moves (default 10 s). */
  holdMs?: number;
  logger?: Logger;
  /** What carries requests to the nodes; unit tests pass undici's `MockAgent` (default: the forwarder's own pool). */
  nodeDispatcher?: Dispatcher;
}

export interface RunningRouter {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Starts a router.
 *
 * @example
 * const router = await startRouter({ map: new ShardMap(parseClusterConfig(config)), port: 4000 });
 */
export async function startRouter(options: RouterOptions): Promise<RunningRouter> {
  const logger = options.logger ?? pino({ level: 'info' }).child({ role: 'router' });
  const fixed = options.map;
  const manager = options.cluster?.manager;
  if (!fixed && !manager) throw new TypeError('startRouter needs a map or a cluster');
  const currentMap = (): ShardMap => manager?.map ?? fixed!;
  const metrics = new RouterMetrics({ map: currentMap, nodes: manager && (() => manager.nodes()) });
  const stopObserving = manager?.observe(metrics);
  const requests = new RequestWindow();
  const journal = new EventJournal({ map: currentMap, onEvent: () => dashboard.nudge() });
  const stopJournal = manager?.observe(journal);
  const dashboard = new DashboardFeed({
    routerId: options.routerId ?? 'router',
    view: () => (manager ? dynamicClusterView(manager) : manualClusterView(currentMap(), 300)),
    map: currentMap,
    requests,
    journal,
    deadLetters: manager && (() => manager.deadLetters()),
    logger,
  });
  const forwarder = new Forwarder({
    timeoutMs: options.nodeTimeoutMs ?? 10_000,
    holdWhileUnreachable: options.cluster?.manager.replicated ?? false,
    ...(options.nodeDispatcher === undefined ? {} : { dispatcher: options.nodeDispatcher }),
  });
  const admin = createAdminApp({
    routerId: options.routerId ?? 'router',
    map: currentMap,
    cluster: options.cluster,
    metrics,
    dashboard,
    logger,
  });
  const holdMs = options.holdMs ?? 10_000;
  const replicated = manager?.replicated ?? false;

  const handleKeyed = async (
    request: IncomingMessage,
    response: ServerResponse,
    requestId: string,
  ): Promise<void> => {
    const path = parseEntityPath(request.url ?? '/');
    // `/:type/:key/activities` (a GET) goes to the key's primary like any read of it.
    const activities =
      path?.key !== undefined &&
      path.rest.length === 1 &&
      path.rest[0] === 'activities' &&
      request.method === 'GET';
    if (!path || (path.rest.length > 0 && !activities)) {
      throw new IsxError(
        'ROUTE_NOT_FOUND',
        `No route for ${request.method} ${(request.url ?? '/').split('?', 1)[0]}.`,
      );
    }
    let key = path.key;
    let outgoing: Omit<OutgoingRequest, 'retryable'>;
    // Locate before reading the body: an unknown type is a 404 whatever the method, and a
    // request we will refuse never makes us buffer up to 1 MiB first.
    currentMap().locate(path.type, key ?? '');
    if (key === undefined && request.method !== 'POST') {
      throw new IsxError(
        'METHOD_NOT_ALLOWED',
        `${request.method} /${path.type} is not allowed; use POST to create.`,
      );
    }
    if (key === undefined && !manager) throw postNeedsDynamicCluster();
    const body = await readBody(request);
    if (key === undefined) {
      if (!manager) throw postNeedsDynamicCluster();
      key = manager.newKey(path.type);
      const location = `/${path.type}/${key}`;
      outgoing = {
        method: 'PUT',
        path: location,
        headers: { ...forwardHeaders(request, requestId), 'if-none-match': '*' },
        body,
        success: { status: 201, headers: { location } },
      };
    } else {
      outgoing = {
        method: request.method ?? 'GET',
        path: request.url ?? '/',
        headers: forwardHeaders(request, requestId),
        body,
      };
    }
    const deadline = performance.now() + holdMs;
    const eventual = request.method === 'GET' && /[?&]consistency=eventual(&|$)/.test(request.url ?? '');
    for (let attempt = 0; ; attempt += 1) {
      const map = currentMap();
      const placement = map.locate(path.type, key);
      // An eventual read may go to any replica; a strong one only to the primary.
      const replicas = eventual
        ? [placement.shard.node, ...(placement.shard.backups ?? [])]
        : [placement.shard.node];
      const nodeId = replicas[Math.floor(Math.random() * replicas.length)]!;
      const outcome = await forwarder.forward(
        response,
        { nodeId, nodeUrl: map.nodeUrl(nodeId) ?? placement.nodeUrl, shardId: placement.shard.id },
        { ...outgoing, retryable: performance.now() < deadline },
      );
      if (outcome.kind === 'answered') {
        if (outcome.failure !== undefined) metrics.forwardFailed(outcome.failure);
        if (logger.isLevelEnabled('debug')) {
          logger.debug(
            {
              requestId,
              method: request.method,
              url: request.url,
              node: nodeId,
              shard: placement.shard.id,
              epoch: placement.shard.epoch ?? 0,
              status: response.statusCode,
              attempts: attempt + 1,
              ...(outcome.failure === undefined ? {} : { failure: outcome.failure }),
            },
            'request forwarded',
          );
        }
        return;
      }
      // A caller that has gone away is not worth holding a request for.
      if (response.destroyed) return;
      // With replicas a shard is fenced only for a cutover, and a map is on its way within tens
      // of milliseconds, so those are retried often; anything else (a failover, a lapsed lease,
      // a phase-2 move that fences a shard for its whole copy) backs off further.
      const cutover = replicated && SHORT_WAIT_CODES.has(outcome.code);
      const delay = Math.min(
        cutover ? 40 : 250,
        Math.max(outcome.retryAfterMs, 10 * 2 ** Math.min(attempt, 5)),
      );
      if (!cutover || !manager) await sleep(delay);
      // A cutover this router runs wakes the request as soon as it is over; a map that changed
      // since the attempt began may already have ended it.
      else if (manager.map.version === map.version) await manager.shardReleased(placement.shard.id, delay);
    }
  };

  const server = createServer({ keepAliveTimeout: 65_000 }, (request, response) => {
    metrics.observeRequest(request, response);
    // Set before anything is answered, so that every answer carries it, errors included.
    const requestId = requestIdFrom(request.headers[REQUEST_ID_HEADER]);
    response.setHeader(REQUEST_ID_HEADER, requestId);
    if (isAdminPath(pathnameOf(request.url))) {
      admin(request, response);
      return;
    }
    requests.observe(response);
    handleKeyed(request, response, requestId).catch((error: unknown) => {
      const typed = isIsxError(error) ? error : new IsxError('INTERNAL', 'The router failed unexpectedly.');
      const about = { requestId, method: request.method, url: request.url };
      // A bug is an error with its stack; a refusal of the router's own (an unknown type, no
      // node yet) is the caller's to handle, so it is logged without one.
      if (!isIsxError(error)) logger.error({ err: error, ...about }, 'forwarding failed');
      else if (typed.status >= 500) logger.warn({ ...about, code: typed.code }, 'request refused');
      else logger.debug({ ...about, code: typed.code }, 'request refused');
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
        stopObserving?.();
        stopJournal?.();
        dashboard.close();
      }).then(() => manager?.close());
      return closing;
    },
  };
}

/** Reads a request body of at most 1 MiB, unparsed; `undefined` when there is none. */
async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  if (Number(request.headers['content-length'] ?? 0) > MAX_BODY_BYTES) throw tooLarge();
  if (request.method === 'GET' || request.method === 'HEAD') return undefined;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
      else {
        request.off('data', onData);
        reject(tooLarge());
      }
    };
    request.on('data', onData);
    request.once('error', reject);
    request.once('end', () => resolve(chunks.length === 0 ? undefined : Buffer.concat(chunks)));
    request.once('close', () => {
      if (!request.complete) reject(new IsxError('INVALID_BODY', 'The request ended before its body did.'));
    });
  });
}

function postNeedsDynamicCluster(): IsxError {
  return new IsxError(
    'METHOD_NOT_ALLOWED',
    'POST /:type needs a dynamic cluster (phase 2); use PUT /:type/:key.',
  );
}

function tooLarge(): IsxError {
  return new IsxError('PAYLOAD_TOO_LARGE', `The body is larger than ${MAX_BODY_BYTES} bytes.`, {
    details: { limitBytes: MAX_BODY_BYTES },
  });
}
