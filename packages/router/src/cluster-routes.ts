/**
 * The routes of a dynamic cluster on the router, behind the cluster token:
 * - for nodes: `POST /internal/register`, `POST /internal/heartbeat`, `GET /internal/map`,
 *   and `POST /internal/replica-failed` (a primary reporting a backup that did not take an entry);
 * - for operators: `POST /cluster/shards/:id/split`, `POST /cluster/shards/:id/move`,
 *   `POST /cluster/nodes/:id/drain` and `POST /cluster/dead-letters/replay`; and, without the
 *   token, `GET /cluster/dead-letters`.
 */
import express, { type Request } from 'express';
import {
  drainRequestSchema,
  heartbeatRequestSchema,
  type DrainAnswer,
  moveRequestSchema,
  registerRequestSchema,
  replayRequestSchema,
  replicaFailedRequestSchema,
  splitRequestSchema,
  validationError,
} from '@isx/core';
import type { z } from 'zod';
import type { ClusterManager } from './cluster-manager.js';
import { jsonBody } from './json-body.js';
import { requireClusterToken } from './token-guard.js';

export function createClusterRoutes(cluster: ClusterManager, token: string): express.Router {
  const routes = express.Router();
  const guarded = [requireClusterToken(token), jsonBody];

  routes.post('/internal/register', ...guarded, async (request, response) => {
    response.json(await cluster.register(parse(registerRequestSchema, request)));
  });
  routes.post('/internal/heartbeat', ...guarded, (request, response) => {
    response.json(cluster.heartbeat(parse(heartbeatRequestSchema, request)));
  });
  routes.post('/internal/replica-failed', ...guarded, async (request, response) => {
    response.json(await cluster.dropReplica(parse(replicaFailedRequestSchema, request)));
  });
  routes.get('/internal/map', requireClusterToken(token), (_request, response) => {
    response.json({ version: cluster.map.version, config: cluster.map.config });
  });
  routes.post('/cluster/shards/:id/split', ...guarded, async (request, response) => {
    const { at } = parse(splitRequestSchema, request);
    response.json(await cluster.split(String(request.params.id), at));
  });
  routes.post('/cluster/shards/:id/move', ...guarded, async (request, response) => {
    const { to } = parse(moveRequestSchema, request);
    response.json(await cluster.move(String(request.params.id), to));
  });
  routes.get('/cluster/dead-letters', async (_request, response) => {
    response.json(await cluster.deadLetters());
  });
  routes.post('/cluster/dead-letters/replay', ...guarded, async (request, response) => {
    response.json(await cluster.replayDeadLetters(parse(replayRequestSchema, request)));
  });
  routes.post('/cluster/nodes/:id/drain', ...guarded, async (request, response) => {
    const { draining } = parse(drainRequestSchema, request);
    const answer: DrainAnswer = await cluster.drain(String(request.params.id), draining);
    response.json(answer);
  });
  return routes;
}

function parse<T extends z.ZodType>(schema: T, request: Request): z.infer<T> {
  const result = schema.safeParse(request.body);
  if (!result.success) throw validationError(result.error);
  return result.data;
}
