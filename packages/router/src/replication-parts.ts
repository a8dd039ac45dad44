/**
 * The parts a replicated cluster adds to the `ClusterManager` (phase 3), wired together: the
 * coordinator that fails shards over and drops backups, and the rebalancer, with its mover,
 * that restores and spreads copies. The coordinator tells the rebalancer of every change it
 * makes. Both see the same live nodes.
 */
import type { Logger } from 'pino';
import type { ClusterEvents } from './cluster-events.js';
import type { MoveCluster } from './move-coordinator.js';
import type { NodeCaller } from './node-calls.js';
import { Rebalancer } from './rebalancer.js';
import type { PlacementNode } from './replica-placement.js';
import { ReplicaMover } from './replica-mover.js';
import { ReplicationCoordinator } from './replication-coordinator.js';

export interface ReplicationPartsOptions {
  cluster: MoveCluster;
  calls: NodeCaller;
  logger: Logger;
  factor: number;
  minInSync: number;
  /** Live nodes (alive, not suspect or dead), with their types and whether each is draining. */
  liveNodes(): PlacementNode[];
  maxConcurrentMoves?: number | undefined;
  moveBytesPerSecond?: number | undefined;
  /** Told when a step has lifted a shard's fence (see `ReplicaMoverOptions.onReleased`). */
  onReleased?: ((shardId: string) => void) | undefined;
  /** Told of rebalancing steps and failovers. */
  events?: ClusterEvents | undefined;
}

export interface ReplicationParts {
  readonly coordinator: ReplicationCoordinator;
  readonly rebalancer: Rebalancer;
}

export function createReplicationParts(options: ReplicationPartsOptions): ReplicationParts {
  const { cluster, calls, logger, minInSync } = options;
  const liveNodes = (): PlacementNode[] => options.liveNodes();
  const mover = new ReplicaMover({
    cluster,
    calls,
    logger,
    minInSync,
    ...(options.onReleased === undefined ? {} : { onReleased: options.onReleased }),
    ...(options.moveBytesPerSecond === undefined ? {} : { copyBytesPerSecond: options.moveBytesPerSecond }),
  });
  const rebalancer = new Rebalancer({
    cluster,
    mover,
    factor: options.factor,
    minInSync,
    liveNodes,
    ...(options.maxConcurrentMoves === undefined ? {} : { maxConcurrent: options.maxConcurrentMoves }),
    logger,
    events: options.events,
  });
  const coordinator = new ReplicationCoordinator({
    cluster,
    calls,
    liveNodes,
    onChange: () => rebalancer.kick(),
    logger,
    events: options.events,
  });
  return { coordinator, rebalancer };
}
