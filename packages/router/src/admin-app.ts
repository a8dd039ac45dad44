/**
 * The router's own routes, served by express: `GET /cluster`, `GET /healthz` and, with no
 * token needed, `GET /metrics` in the Prometheus text format.
 *
 * Keyed traffic never reaches this app; it goes through the forwarder. Errors here use
 * the same envelope as everywhere else.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { IsxError, isIsxError, type ClusterView, type Health, type ShardMap } from '@isx/core';
import type { Logger } from 'pino';
import type { ClusterManager } from './cluster-manager.js';
import { createClusterRoutes } from './cluster-routes.js';
import { probeNode } from './node-probe.js';
import type { RouterMetrics } from './router-metrics.js';

export interface AdminAppOptions {
  routerId: string;
  map: () => ShardMap;
  /** A dynamic cluster (phase 2): its routes are mounted and `GET /cluster` shows liveness and moves. */
  cluster?: { manager: ClusterManager; token: string } | undefined;
  logger: Logger;
  probeTimeoutMs?: number;
  /** The metrics `GET /metrics` serves; without them that route does not exist. */
  metrics?: RouterMetrics | undefined;
}

export function createAdminApp(options: AdminAppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.get('/healthz', (_request, response) => {
    const health: Health = { status: 'ok', role: 'router', id: options.routerId, pid: process.pid };
    response.json(health);
  });

  const metrics = options.metrics;
  if (metrics) {
    app.get('/metrics', async (_request, response) => {
      const text = await metrics.registry.metrics();
      response.set('content-type', metrics.registry.contentType).send(text);
    });
  }

  app.get('/cluster', async (_request, response) => {
    const manager = options.cluster?.manager;
    response.json(
      manager ? dynamicView(manager) : await clusterView(options.map(), options.probeTimeoutMs ?? 300),
    );
  });
  if (options.cluster) app.use(createClusterRoutes(options.cluster.manager, options.cluster.token));

  app.use((request: Request) => {
    throw new IsxError('ROUTE_NOT_FOUND', `No route for ${request.method} ${request.path}.`);
  });

  app.use((error: unknown, _request: Request, response: Response, _next: NextFunction) => {
    const typed = isIsxError(error) ? error : new IsxError('INTERNAL', 'The router failed unexpectedly.');
    if (typed.status >= 500) options.logger.error({ err: error }, 'admin request failed');
    response.status(typed.status).json(typed.toBody());
  });
  return app;
}

async function clusterView(map: ShardMap, probeTimeoutMs: number): Promise<ClusterView> {
  const nodeIds = Object.keys(map.config.nodes);
  const statuses = await Promise.all(
    nodeIds.map((id) => probeNode(map.config.nodes[id]!.url, probeTimeoutMs)),
  );
  return {
    version: map.version,
    mode: 'manual',
    nodes: nodeIds.map((id, i) => ({
      id,
      url: map.config.nodes[id]!.url,
      status: statuses[i] ?? 'unknown',
      shards: map.shardsOf(id).length,
    })),
    types: Object.fromEntries(
      Object.entries(map.config.types).map(([type, layout]) => [
        type,
        { partitioner: layout.partitioner, keySpace: layout.keySpace, shards: layout.shards },
      ]),
    ),
    map: { version: map.version, config: map.config },
  };
}

function dynamicView(manager: ClusterManager): ClusterView {
  const map = manager.map;
  return {
    version: map.version,
    mode: 'dynamic',
    nodes: manager.nodes().map((n) => ({
      id: n.record.id,
      url: n.record.url,
      status: n.status,
      shards: map.shardsOf(n.record.id).length,
      ...(manager.replicated ? { replicas: map.replicasOf(n.record.id).length } : {}),
      ...(n.record.draining === true ? { draining: true } : {}),
      service: n.record.service,
      heartbeatAgeMs: n.heartbeatAgeMs === null ? null : Math.round(n.heartbeatAgeMs),
    })),
    types: Object.fromEntries(
      Object.entries(map.config.types).map(([type, layout]) => [
        type,
        {
          partitioner: layout.partitioner,
          keySpace: layout.keySpace,
          shards: layout.shards.map((shard) => ({ ...shard, ...manager.shardLoad(shard.id) })),
        },
      ]),
    ),
    map: { version: map.version, config: map.config },
    moves: manager.moves,
    ...(manager.rebalancing ? { rebalancing: manager.rebalancing } : {}),
    ...(manager.autoSplits ? { autoSplits: manager.autoSplits } : {}),
  };
}
