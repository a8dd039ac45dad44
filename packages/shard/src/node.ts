/**
 * `startNode`: one shard server process's worth of parts, wired together.
 *
 * Opens the store, builds the entity host, and listens. With a fixed `map` (phase 1) it
 * owns what that map gives it. With a `router` (phase 2) it registers, adopts the map the
 * router hands out, and follows it through heartbeats; until then it answers
 * `503 MAP_NOT_READY`. `close` stops accepting requests, lets those in flight finish (for up
 * to 5 s), closes each keep-alive connection as it goes idle, then closes the store, so a
 * clean stop neither cuts a write in half nor waits on a pooled connection. Its metrics are
 * served on `GET /metrics` from a registry of its own.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { systemClock, type Clock, type EntityDefinition, type ShardMap } from '@isx/core';
import { pino, type Logger } from 'pino';
import { EntityHost } from './entity-host.js';
import { EntityStore } from './entity-store.js';
import { createInternalRoutes } from './http/internal-routes.js';
import { createNodeServer } from './http/node-server.js';
import { ShardLoadTracker } from './load/shard-load-tracker.js';
import { DeliveryLoop, type BackoffPolicy } from './activities/delivery-loop.js';
import { messageTransport } from './activities/message-transport.js';
import { NodeMetrics } from './metrics/node-metrics.js';
import { OutboxScanner } from './activities/outbox-scanner.js';
import { MapOwnership, UNREGISTERED_NODE_ID } from './ownership.js';
import type { PeerRoutes } from './peer-routes.js';
import { LogPositions } from './replication/log-position.js';
import { ReplicaReceiver } from './replication/replica-receiver.js';
import { ReplicatedCommitter } from './replication/replicated-committer.js';
import { RouterLink } from './router-link.js';

/** How long `close` lets requests in flight finish before it cuts their connections. */
const CLOSE_GRACE_MS = 5_000;
/** How often the node looks for shards it has started leading, to find their undelivered messages. */
const OUTBOX_SCAN_MS = 1_000;

/** How a node finds its router (phase 2). */
export interface RouterAttachment {
  url: string;
  token: string;
  /** The service this node belongs to, e.g. `campaign`. */
  service: string;
}

export interface NodeOptions {
  /** The directory that holds this node's Level store and its node id. */
  dataDir: string;
  /** The entity types this node can host. */
  entities: readonly EntityDefinition[];
  /** Phase 1: a fixed shard map and this node's id in it. */
  map?: ShardMap;
  nodeId?: string;
  /** Phase 2: register with a router and follow its map. */
  router?: RouterAttachment;
  /** The service this node runs, for its metrics (default: the router's `service`, else its entity types). */
  service?: string;
  /** The cluster token for internal routes (defaults to the router's). */
  token?: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** The URL the router and peers should dial (default: the listen address), e.g. a proxy's. */
  advertiseUrl?: string;
  /** How to dial peers whose advertised URL should not be dialled directly. */
  peers?: PeerRoutes;
  /** Sync every batch to disk before acknowledging (default true). */
  sync?: boolean;
  /** How message delivery backs off and when it gives up (phase 4; defaults in `DEFAULT_BACKOFF`). */
  delivery?: Partial<BackoffPolicy>;
  clock?: Clock;
  logger?: Logger;
}

export interface RunningNode {
  readonly nodeId: string;
  readonly url: string;
  readonly port: number;
  readonly entityHost: EntityHost;
  readonly store: EntityStore;
  readonly ownership: MapOwnership;
  /** Delivers the messages the entities this node leads sent (phase 4). */
  readonly delivery: DeliveryLoop;
  /**
   * Has the router empty this node (its primaries handed over, its copies moved away) and
   * resolves once it holds no copy, or with false if that has not happened within `timeoutMs`,
   * or the cluster has no replicas to drain to. The node keeps serving meanwhile.
   */
  drain(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Starts a shard server.
 *
 * @example
 * const node = await startNode({
 *   dataDir: './data/node-1',
 *   entities: [campaign],
 *   router: { url: 'http://127.0.0.1:4000', token: process.env.ISX_CLUSTER_TOKEN!, service: 'campaign' },
 * });
 */
export async function startNode(options: NodeOptions): Promise<RunningNode> {
  if (!options.router && !(options.map && options.nodeId)) {
    throw new TypeError('startNode needs either { map, nodeId } or { router }');
  }
  let link: RouterLink | undefined;
  // Its sources are read at scrape time, once the server listens: everything below exists by then.
  const metrics = new NodeMetrics({
    nodeId: () => ownership.nodeId,
    service: options.service ?? options.router?.service ?? options.entities.map((e) => e.type).join('+'),
    map: () => ownership.map,
    delivery: () => delivery,
    backupLag: () => committer?.backupLag() ?? [],
    ...(options.router ? { heartbeats: () => link?.heartbeats } : {}),
  });
  const store = await EntityStore.open(join(options.dataDir, 'level'), {
    sync: options.sync ?? true,
    onBatchWritten: (ops) => metrics.observeGroupCommit(ops),
  });
  const ownership = new MapOwnership(options.nodeId ?? UNREGISTERED_NODE_ID, options.map, (shardId) => {
    // A fence outlived its move: unfence only if the router still names this node the owner.
    void link?.pullMap().then(
      () => {
        const stillOwned = ownership.map?.shardsOf(ownership.nodeId).some((s) => s.id === shardId);
        if (stillOwned) ownership.unfence(shardId);
        logger.warn({ shardId, stillOwned }, 'fence expired');
      },
      () => logger.warn({ shardId }, 'fence expired and the router cannot be asked; the shard stays fenced'),
    );
  });
  // Every line the node logs names it; the id is read at each line, since a node under a
  // router learns it only once it has registered.
  const logger: Logger = (options.logger ?? pino({ level: 'info' })).child(
    {},
    { formatters: { log: (line) => ({ node: ownership.nodeId, ...line }) } },
  );
  const positions = new LogPositions(store);
  const replicas = new ReplicaReceiver({
    store,
    positions,
    ownership,
    pullMap: () => link?.pullMap() ?? Promise.resolve(),
    logger,
  });
  const committer = options.router
    ? new ReplicatedCommitter({
        store,
        positions,
        ownership,
        token: options.router.token,
        peers: options.peers,
        logger,
        onBatchSent: (entries) => metrics.observeReplicationBatch(entries),
        lease: {
          leaseHeld: (ms) => link?.leaseHeld(ms) ?? false,
          reportReplicaFailure: (report) =>
            link ? link.reportReplicaFailure(report) : Promise.reject(new Error('no router')),
          pullMap: () => link?.pullMap() ?? Promise.resolve(),
        },
      })
    : undefined;
  // Load is reported to a router, for its automatic splits; a fixed map has no one to tell.
  const load: ShardLoadTracker | undefined = options.router
    ? new ShardLoadTracker(
        store,
        {},
        {
          queued: (): ReturnType<DeliveryLoop['queuedBySender']> => delivery.queuedBySender(),
          backupLag: () => committer?.backupLag() ?? [],
        },
      )
    : undefined;
  const entityHost = new EntityHost({
    store,
    entities: options.entities,
    ownership,
    clock: options.clock ?? systemClock,
    ...(committer ? { committer } : {}),
    ...(load ? { load } : {}),
    onMessagesQueued: (sender) => delivery.notice(sender),
  });
  // Messages between entities (phase 4): this node delivers what the entities it leads sent.
  const token = options.token ?? options.router?.token;
  const delivery = new DeliveryLoop({
    outbox: {
      heads: (sender) => entityHost.pendingHeads(sender),
      acknowledge: (sender, partner, seq) => entityHost.acknowledge(sender, partner, seq),
      park: (sender, partner, seq, why) => entityHost.park(sender, partner, seq, why),
    },
    deliver: messageTransport({
      token: token ?? '',
      peers: options.peers,
      map: () => ownership.map,
      pullMap: () => link?.pullMap() ?? Promise.resolve(),
    }),
    logger,
    ...(options.delivery ? { policy: options.delivery } : {}),
  });
  const outboxes = new OutboxScanner(store, (sender) => delivery.notice(sender));
  const internal = createInternalRoutes({
    token,
    host: entityHost,
    store,
    ownership,
    peers: options.peers,
    positions,
    replicas,
    logger,
  });
  const server = createNodeServer({
    nodeId: () => ownership.nodeId,
    host: entityHost,
    logger,
    internal,
    metrics,
    shardOf: (type, key) => {
      const shard = ownership.map?.locate(type, key).shard;
      return shard && { shard: shard.id, epoch: shard.epoch ?? 0 };
    },
  });
  server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  const { port, address } = server.address() as AddressInfo;
  const url = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
  if (options.router) {
    link = new RouterLink({
      routerUrl: options.router.url,
      token: options.router.token,
      service: options.router.service,
      types: options.entities.map((e) => e.type),
      advertisedUrl: options.advertiseUrl ?? url,
      dataDir: options.dataDir,
      ownership,
      logger,
      ...(load ? { loadReport: () => load.report(ownership.map, ownership.nodeId) } : {}),
    });
    await link.register();
    link.start();
  }
  const followLed = (): void => outboxes.follow(ownership.map?.shardsOf(ownership.nodeId) ?? []);
  followLed();
  const outboxTimer = setInterval(followLed, OUTBOX_SCAN_MS);
  outboxTimer.unref();
  delivery.start();
  let closing: Promise<void> | undefined;
  return {
    get nodeId() {
      return ownership.nodeId;
    },
    url,
    port,
    entityHost,
    store,
    ownership,
    delivery,
    async drain(timeoutMs) {
      if (!link || !ownership.map?.config.replication) return false;
      return link.drain(timeoutMs);
    },
    close() {
      closing ??= (async () => {
        link?.stop();
        clearInterval(outboxTimer);
        await delivery.stop();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        // A keep-alive connection that finishes its request after this point would otherwise
        // stay open until its idle timeout (65 s): close each one as soon as it is idle, and
        // any still open after a grace period.
        server.closeIdleConnections();
        const idleSweep = setInterval(() => server.closeIdleConnections(), 50);
        const lastResort = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        try {
          await closed;
        } finally {
          clearInterval(idleSweep);
          clearTimeout(lastResort);
        }
        await store.close();
      })();
      return closing;
    },
  };
}
