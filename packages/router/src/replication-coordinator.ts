/**
 * The router as the configuration manager of replicated shards (DESIGN §4, phase 3):
 * - **failover**: when a node is declared dead, each shard it led is given to the in-sync
 *   backup that holds the most of its log, and each shard it backed loses it, each under a
 *   new epoch;
 * - **drop**: a primary reports a backup that did not take an entry, and the router drops it
 *   from the in-sync set under a new epoch, so writes go on with the replicas left.
 * Restoring the lost copies is the `Rebalancer`'s work, which it is told of after each change.
 * Every change is saved before it is announced. It must never promote a replica that was
 * not in sync, nor accept a report from an epoch that has been replaced.
 */
import {
  IsxError,
  shardStatusSchema,
  type ClusterConfig,
  type ReplicaFailedRequest,
  type ShardAssignment,
  type ShardMapWire,
} from '@isx/core';
import type { Logger } from 'pino';
import type { ClusterEvents } from './cluster-events.js';
import type { MoveCluster } from './move-coordinator.js';
import type { NodeCaller } from './node-calls.js';

export interface ReplicationCoordinatorOptions {
  cluster: MoveCluster;
  calls: NodeCaller;
  /** Ids of the nodes that are not dead or suspect. */
  liveNodes(): Array<{ id: string }>;
  /** Told after every change of a replica set, so the rebalancer can restore the copies. */
  onChange(): void;
  logger: Logger;
  /** Told of each backup promoted, once the map that names it is saved. */
  events?: ClusterEvents | undefined;
}

export class ReplicationCoordinator {
  readonly #options: ReplicationCoordinatorOptions;

  constructor(options: ReplicationCoordinatorOptions) {
    this.#options = options;
  }

  /** Replaces a dead node in every replica set it was part of. */
  async failover(dead: string): Promise<void> {
    const { cluster, logger } = this.#options;
    await cluster.change(async () => {
      const config = structuredClone(cluster.map().config);
      let changed = false;
      const promoted: string[] = [];
      for (const layout of Object.values(config.types)) {
        for (const shard of layout.shards) {
          if (shard.backups === undefined) continue;
          if (shard.node === dead) {
            if (await this.#promote(shard)) {
              promoted.push(shard.id);
              changed = true;
            }
          } else if (shard.backups.includes(dead)) {
            shard.backups = shard.backups.filter((n) => n !== dead);
            shard.epoch = (shard.epoch ?? 0) + 1;
            changed = true;
          }
        }
      }
      if (changed) {
        await cluster.commit(cluster.state(), config, false);
        for (const shardId of promoted) this.#options.events?.failedOver(shardId);
        await cluster.announce();
        logger.warn({ dead, mapVersion: cluster.map().version }, 'failed over the shards of a dead node');
      }
    });
    this.#options.onChange();
  }

  /** A primary reports that `node` did not take an entry of `shardId` in `epoch`. */
  async drop(report: ReplicaFailedRequest): Promise<ShardMapWire> {
    const { cluster, logger } = this.#options;
    const wire = await cluster.change(async () => {
      const { shard } = cluster.findShard(report.shardId);
      if ((shard.epoch ?? 0) !== report.epoch) {
        throw new IsxError(
          'STALE_EPOCH',
          `Shard ${report.shardId} is in epoch ${shard.epoch ?? 0}, not ${report.epoch}.`,
          {
            details: { shard: report.shardId, epoch: shard.epoch ?? 0 },
          },
        );
      }
      if (shard.backups?.includes(report.node)) {
        const config = structuredClone(cluster.map().config);
        const target = findIn(config, report.shardId)!;
        target.backups = (target.backups ?? []).filter((n) => n !== report.node);
        target.epoch = (target.epoch ?? 0) + 1;
        await cluster.commit(cluster.state(), config, false);
        logger.warn({ ...report, newEpoch: target.epoch }, 'dropped a backup that did not take an entry');
      }
      return { version: cluster.map().version, config: cluster.map().config };
    });
    void cluster.announce();
    this.#options.onChange();
    return wire;
  }

  async #promote(shard: ShardAssignment): Promise<boolean> {
    const live = new Set(this.#options.liveNodes().map((n) => n.id));
    const candidates = (shard.backups ?? []).filter((n) => live.has(n));
    if (candidates.length === 0) {
      this.#options.logger.error(
        { shardId: shard.id },
        'no in-sync replica of the shard is alive; it stays unavailable',
      );
      return false;
    }
    const seqs = await Promise.all(candidates.map((node) => this.#seqOf(node, shard.id)));
    const best = candidates.reduce((a, b, i) => (seqs[i]! > seqs[candidates.indexOf(a)]! ? b : a));
    const from = shard.node;
    shard.node = best;
    shard.backups = candidates.filter((n) => n !== best);
    shard.epoch = (shard.epoch ?? 0) + 1;
    this.#options.logger.warn({ shardId: shard.id, from, to: best, epoch: shard.epoch }, 'promoted a backup');
    return true;
  }

  async #seqOf(node: string, shardId: string): Promise<number> {
    const url = this.#options.cluster.map().nodeUrl(node);
    if (!url) return -1;
    try {
      const path = `/internal/shards/status?shardId=${encodeURIComponent(shardId)}`;
      return shardStatusSchema.parse(await this.#options.calls.get(url, path, 500)).seq;
    } catch {
      return -1;
    }
  }
}

function findIn(config: ClusterConfig, shardId: string): ShardAssignment | undefined {
  for (const layout of Object.values(config.types)) {
    const shard = layout.shards.find((s) => s.id === shardId);
    if (shard) return shard;
  }
  return undefined;
}
