/**
 * The node's internal routes, for the router only, behind the cluster token:
 * - `POST /internal/map`: adopt a newer shard map;
 * - `POST /internal/shards/fence` and `/unfence`: close and reopen a range for writes;
 * - `GET /internal/shards/export`: stream a range's entities as JSON lines;
 * - `POST /internal/shards/copy`: pull a range from another node (the move's copy step);
 * - `GET /internal/shards/copies`: the copies in progress, with entities and bytes so far;
 * - `POST /internal/shards/drop`: delete a range of which this node holds no copy any more;
 * - `POST /internal/replicate`: take the next entry of a shard's log (a backup, phase 3);
 * - `POST /internal/messages`: apply deliveries of messages from other entities, each once and
 *   each answered on its own (phase 4);
 * - `GET /internal/dead-letters`, `POST /internal/dead-letters/replay`: the messages the
 *   entities this node leads gave up on, and sending them again;
 * - `POST /internal/replicate-batch`: take entries of several shards' logs at once, each
 *   answered on its own (what primaries send);
 * - `GET /internal/shards/status?shardId=`: how far this node's copy of a shard goes.
 * Without the right token every one answers 401 and does nothing.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  CLUSTER_TOKEN_HEADER,
  copyRequestSchema,
  fenceRequestSchema,
  catchUpRequestSchema,
  replicateRequestSchema,
  replicateBatchRequestSchema,
  deliveredBatchSchema,
  deliveryRequestSchema,
  replayRequestSchema,
  type DeadLetterView,
  type DeliveryResult,
  isIsxError,
  IsxError,
  shardMapWireSchema,
  ShardMap,
  shardScopeSchema,
  tokensMatch,
  validationError,
  type CopiesInProgress,
  type ShardStatus,
  type KeyRange,
} from '@isx/core';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { EntityStore, StoreOp } from '../entity-store.js';
import type { EntityHost } from '../entity-host.js';
import type { MapOwnership } from '../ownership.js';
import type { PeerRoutes } from '../peer-routes.js';
import type { LogPositions } from '../replication/log-position.js';
import { catchUp, logAfter } from '../replication/catch-up.js';
import type { ReplicaReceiver } from '../replication/replica-receiver.js';
import { copyShard } from '../shard-copy.js';
import { readJsonObject } from './request-body.js';
import { asIsxError, sendJson } from './respond.js';

/** Every internal route, as `METHOD path`: the handler answers exactly these (its switch is checked against them). */
export const INTERNAL_ROUTES = [
  'POST /internal/map',
  'POST /internal/shards/fence',
  'POST /internal/shards/unfence',
  'GET /internal/shards/export',
  'POST /internal/replicate',
  'POST /internal/replicate-batch',
  'POST /internal/messages',
  'GET /internal/dead-letters',
  'POST /internal/dead-letters/replay',
  'GET /internal/shards/log',
  'POST /internal/shards/catch-up',
  'GET /internal/shards/status',
  'POST /internal/shards/copy',
  'GET /internal/shards/copies',
  'POST /internal/shards/drop',
] as const;
export type InternalRoute = (typeof INTERNAL_ROUTES)[number];

export interface InternalRoutesOptions {
  /** The cluster token; `undefined` closes every internal route. */
  token: string | undefined;
  store: EntityStore;
  ownership: MapOwnership;
  /** How to dial other nodes. */
  peers?: PeerRoutes;
  /** Log positions of the shards this node holds, carried along with a copy. */
  positions: LogPositions;
  /** Takes replicated entries (phase 3). */
  replicas: ReplicaReceiver;
  /** Applies messages from other entities (phase 4). */
  host?: EntityHost;
  /** Where a delivery that failed unexpectedly (a bug, answered as `INTERNAL`) is logged. */
  logger?: Logger;
}

/** Handles the request if it is an internal route; returns false when it is not one. */
export function createInternalRoutes(options: InternalRoutesOptions) {
  const { store, ownership } = options;
  /** The copies this node is pulling, for `GET /internal/shards/copies`. */
  const copies = new Set<CopiesInProgress['copies'][number]>();

  return async function internal(request: IncomingMessage, response: ServerResponse): Promise<boolean> {
    const url = new URL(request.url ?? '/', 'http://node');
    if (!url.pathname.startsWith('/internal/')) return false;
    const offered = request.headers[CLUSTER_TOKEN_HEADER];
    if (
      options.token === undefined ||
      !tokensMatch(typeof offered === 'string' ? offered : undefined, options.token)
    ) {
      throw new IsxError('UNAUTHORIZED', 'Internal routes need the cluster token.');
    }
    const requested = `${request.method ?? 'GET'} ${url.pathname}`;
    // Typed as a known route so that the compiler refuses a case missing from INTERNAL_ROUTES;
    // anything else falls through to the default at run time.
    switch (requested as InternalRoute) {
      case 'POST /internal/map': {
        const wire = await readBody(request, shardMapWireSchema);
        const adopted = ownership.update(new ShardMap(wire.config, wire.version));
        sendJson(response, 200, { adopted, version: ownership.map?.version ?? 0 });
        return true;
      }
      case 'POST /internal/shards/fence': {
        const fence = await readBody(request, fenceRequestSchema);
        await ownership.fence(
          fence.shardId,
          fence.type,
          fence.range,
          fence.ttlMs,
          fence.blocksReads ?? false,
        );
        sendJson(response, 200, { fenced: fence.shardId });
        return true;
      }
      case 'POST /internal/shards/unfence': {
        const scope = await readBody(request, shardScopeSchema);
        ownership.unfence(scope.shardId);
        sendJson(response, 200, { unfenced: scope.shardId });
        return true;
      }
      case 'GET /internal/shards/export': {
        const shardId = url.searchParams.get('shardId');
        const position = shardId ? await options.positions.get(shardId) : undefined;
        await exportRange(response, store, url.searchParams, position);
        return true;
      }
      case 'POST /internal/replicate': {
        const entry = await readBody(request, replicateRequestSchema);
        sendJson(response, 200, await options.replicas.apply(entry));
        return true;
      }
      case 'POST /internal/replicate-batch': {
        const { entries } = await readBody(request, replicateBatchRequestSchema);
        // Entries of different shards are applied side by side; their writes share a batch.
        const results = await Promise.all(
          entries.map((entry) =>
            options.replicas.apply(entry).then(
              (applied) => applied,
              (error: unknown) => ({
                error: isIsxError(error)
                  ? { code: error.code, message: error.message }
                  : { code: 'NODE_ERROR', message: error instanceof Error ? error.message : String(error) },
              }),
            ),
          ),
        );
        sendJson(response, 200, { results });
        return true;
      }
      case 'POST /internal/messages': {
        if (!options.host) return false;
        const { deliveries } = await readBody(request, deliveryRequestSchema);
        const host = options.host;
        // Side by side, so the receivers' writes share group commits and replication rounds.
        const results = await Promise.all(
          deliveries.map((delivery) => receiveOne(host, delivery, options.logger)),
        );
        sendJson(response, 200, { results });
        return true;
      }
      case 'GET /internal/dead-letters': {
        // Read from the records of the shards this node leads: an admin's question, not a hot path.
        const deadLetters: DeadLetterView[] = [];
        for (const shard of ownership.map?.shardsOf(ownership.nodeId) ?? []) {
          for await (const entity of store.scan(shard.type, shard.range)) {
            for (const letter of entity.value.activity?.dead ?? []) {
              deadLetters.push({ sender: { type: shard.type, key: entity.key }, ...letter });
            }
          }
        }
        sendJson(response, 200, { deadLetters });
        return true;
      }
      case 'POST /internal/dead-letters/replay': {
        if (!options.host) return false;
        const { sender, to, seq } = await readBody(request, replayRequestSchema);
        sendJson(response, 200, { requeued: await options.host.replayDead(sender, { partner: to, seq }) });
        return true;
      }
      case 'GET /internal/shards/log': {
        sendJson(response, 200, await logAfter(options.positions, url.searchParams));
        return true;
      }
      case 'POST /internal/shards/catch-up': {
        const request_ = await readBody(request, catchUpRequestSchema);
        const done = await catchUp({
          store,
          positions: options.positions,
          shardId: request_.shardId,
          sourceUrl: request_.sourceUrl,
          token: options.token,
          peers: options.peers,
        });
        sendJson(response, 200, done);
        return true;
      }
      case 'GET /internal/shards/status': {
        const shardId = url.searchParams.get('shardId');
        if (!shardId) throw new IsxError('INVALID_REQUEST', 'status needs ?shardId=');
        const status: ShardStatus = await options.replicas.status(shardId);
        const shard = ownership.map?.replicasOf(ownership.nodeId).find((s) => s.id === shardId);
        if (url.searchParams.get('count') === '1' && shard) {
          status.entities = await store.count(shard.type, shard.range);
        }
        sendJson(response, 200, status);
        return true;
      }
      case 'POST /internal/shards/copy': {
        const copy = await readBody(request, copyRequestSchema);
        const entry = { shardId: copy.shardId, entities: 0, bytes: 0, startedAt: new Date().toISOString() };
        copies.add(entry);
        try {
          const result = await copyShard({
            store,
            request: copy,
            token: options.token,
            peers: options.peers,
            positions: options.positions,
            progress: (copied) => Object.assign(entry, copied),
          });
          sendJson(response, 200, result);
        } finally {
          copies.delete(entry);
        }
        return true;
      }
      case 'GET /internal/shards/copies': {
        const answer: CopiesInProgress = { copies: [...copies].map((c) => ({ ...c })) };
        sendJson(response, 200, answer);
        return true;
      }
      case 'POST /internal/shards/drop': {
        const scope = await readBody(request, shardScopeSchema);
        // A copy this node leads or backs up in the current map is still needed.
        const held = ownership.map
          ?.replicasOf(ownership.nodeId)
          .some((s) => s.type === scope.type && overlaps(s.range, scope.range));
        if (held)
          throw new IsxError(
            'CONFLICT',
            `Node ${ownership.nodeId} still holds a copy of part of that range; it will not drop it.`,
          );
        let dropped = 0;
        const ops: StoreOp[] = [];
        for await (const entity of store.scan(scope.type, scope.range)) {
          ops.push({
            kind: 'del-entity' as const,
            type: scope.type,
            partitionKey: entity.partitionKey,
            key: entity.key,
          });
          dropped += 1;
        }
        // The log position goes too: a later catch-up must not take the missing data as held.
        ops.push(...(await options.positions.forgetOps(scope.shardId)));
        await store.write(ops);
        options.positions.forgotten(scope.shardId);
        sendJson(response, 200, { dropped });
        return true;
      }
      default:
        throw new IsxError('ROUTE_NOT_FOUND', `No internal route ${requested}.`);
    }
  };
}

/** Applies one delivery of a request; a refusal becomes its result, with the status it would have had alone. */
async function receiveOne(host: EntityHost, delivery: unknown, logger?: Logger): Promise<DeliveryResult> {
  try {
    const parsed = deliveredBatchSchema.safeParse(delivery);
    if (!parsed.success) throw validationError(parsed.error, 'delivery');
    return await host.receive(parsed.data);
  } catch (error) {
    const refusal = asIsxError(error);
    if (refusal !== error) logger?.error({ err: error }, 'a delivery failed unexpectedly');
    return { status: refusal.status, error: refusal.toBody().error };
  }
}

async function readBody<T extends z.ZodType>(request: IncomingMessage, schema: T): Promise<z.infer<T>> {
  const parsed = schema.safeParse(await readJsonObject(request));
  if (!parsed.success) throw validationError(parsed.error, 'internal request');
  return parsed.data;
}

async function exportRange(
  response: ServerResponse,
  store: EntityStore,
  query: URLSearchParams,
  position: { seq: number; epoch: number } | undefined,
): Promise<void> {
  const type = query.get('type');
  if (!type) throw new IsxError('INVALID_REQUEST', 'export needs ?type=');
  const range: KeyRange = { start: query.get('start') ?? '', end: query.get('end') };
  response.writeHead(200, {
    'content-type': 'application/x-ndjson',
    // Read before the scan, while the shard is fenced: the copy then starts exactly here.
    ...(position ? { 'x-isx-log-seq': String(position.seq), 'x-isx-log-epoch': String(position.epoch) } : {}),
  });
  for await (const entity of store.scan(type, range)) {
    if (!response.write(`${JSON.stringify(entity)}\n`)) {
      await new Promise<void>((resolve) => response.once('drain', resolve));
    }
  }
  response.end();
}

function overlaps(a: KeyRange, b: KeyRange): boolean {
  const aBeforeB = a.end !== null && a.end <= b.start;
  const bBeforeA = b.end !== null && b.end <= a.start;
  return !aBeforeB && !bBeforeA;
}
