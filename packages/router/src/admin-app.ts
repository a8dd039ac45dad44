/**
 * The router's own routes, served by express: `GET /cluster`, `GET /healthz` and, with no
 * token needed, `GET /metrics` in the Prometheus text format and the live dashboard
 * (`GET /dashboard`).
 *
 * Keyed traffic never reaches this app; it goes through the forwarder. Errors here use
 * the same envelope as everywhere else.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { IsxError, isIsxError, type Health, type ShardMap } from '@isx/core';
import type { Logger } from 'pino';
import type { ClusterManager } from './cluster-manager.js';
import { createClusterRoutes } from './cluster-routes.js';
import { dynamicClusterView, manualClusterView } from './cluster-view.js';
import type { DashboardFeed } from './dashboard/dashboard-feed.js';
import { createDashboardRoutes } from './dashboard/dashboard-routes.js';
import type { RouterMetrics } from './router-metrics.js';

export interface AdminAppOptions {
  routerId: string;
  map: () => ShardMap;
  /** A dynamic cluster (phase 2): its routes are mounted and `GET /cluster` shows liveness and moves. */
  cluster?: { manager: ClusterManager; token: string } | undefined;
  logger: Logger;
  probeTimeoutMs?: number;
  /** What `GET /dashboard/events` streams; without it the dashboard's routes do not exist. */
  dashboard?: DashboardFeed | undefined;
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
      manager
        ? dynamicClusterView(manager)
        : await manualClusterView(options.map(), options.probeTimeoutMs ?? 300),
    );
  });
  if (options.cluster) app.use(createClusterRoutes(options.cluster.manager, options.cluster.token));
  if (options.dashboard) app.use(createDashboardRoutes(options.dashboard));

  app.use((request: Request) => {
    throw new IsxError('ROUTE_NOT_FOUND', `No route for ${request.method} ${request.path}.`);
  });

  app.use((error: unknown, _request: Request, response: Response, _next: NextFunction) => {
    const typed = isIsxError(error) ? error : new IsxError('INTERNAL', 'The router failed unexpectedly.');
    // A bug is an error with its stack; a refusal worth retrying (a node unreachable, a shard
    // moving) is a warning, and a refusal of the caller's request needs no line at all.
    if (!isIsxError(error)) options.logger.error({ err: error }, 'admin request failed');
    else if (typed.status >= 500)
      options.logger.warn({ code: typed.code, message: typed.message }, 'admin request refused');
    response.status(typed.status).json(typed.toBody());
  });
  return app;
}
