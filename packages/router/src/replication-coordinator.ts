/**
 * The router as the configuration manager of replicated shards (DESIGN §4, phase 3):
 * - **failover**: when a node is declared dead, each shard it led is given to the in-sync
 *   backup that holds the most of its log, and each shard it backed loses it, each under a
 *   new epoch;
 * - **drop**: a primary reports a backup that did not take an entry, and the router drops it
 *   from the in-sync set under a new epoch, so writes go on with the replicas left;
 * - **repair**: a shard with fewer copies than the replication factor gets a new replica on
 *   another live node: the primary is fenced, the replica catches up from the primary's log
 *   if it was away briefly, or else copies the shard and its log position, the map adds it
 *   under a new epoch, and the primary is unfenced.
 * Every change is saved before it is announced. It must never promote a replica that was
 * not in sync, nor accept a report from an epoch that has been replaced.
 */
import {
  CLUSTER_TOKEN_HEADER,
  IsxError,
  shardStatusSchema,
  type ClusterConfig,
  type ReplicaFailedRequest,
  type ShardAssignment,
  type ShardMapWire,
} from '@isx/core';
import type { Logger } from 'pino';
import type { MoveCluster } from './move-coordinator.js';
import type { NodeCaller } from './node-calls.js';

const FENCE_TTL_MS = 30_000;

export interface ReplicationCoordinatorOptions {
  cluster: MoveCluster;
  calls: NodeCaller;
  token: string;
  factor: number;
  /** Ids of the nodes that are not dead or suspect, and the types each serves. */
  liveNodes(): Array<{ id: string; types: readonly string[] }>;
  logger: Logger;
}

export class ReplicationCoordinator {
  readonly #options: ReplicationCoordinatorOptions;
  #repairing: Promise<void> | undefined;
  #again = false;

  constructor(options: ReplicationCoordinatorOptions) {
    this.#options = options;
  }

  /** Replaces a dead node in every replica set it was part of. */
  async failover(dead: string): Promise<void> {
    const { cluster, logger } = this.#options;
    await cluster.change(async () => {
      const config = structuredClone(cluster.map().config);
      let changed = false;
      for (const layout of Object.values(config.types)) {
        for (const shard of layout.shards) {
          if (shard.backups === undefined) continue;
          if (shard.node === dead) {
            changed = (await this.#promote(shard)) || changed;
          } else if (shard.backups.includes(dead)) {
            shard.backups = shard.backups.filter((n) => n !== dead);
            shard.epoch = (shard.epoch ?? 0) + 1;
            changed = true;
          }
        }
      }
      if (changed) {
        await cluster.commit(cluster.state(), config, false);
        await cluster.announce();
        logger.warn({ dead, mapVersion: cluster.map().version }, 'failed over the shards of a dead node');
      }
    });
    this.repair();
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
    this.repair();
    return wire;
  }

  /** Starts a repair pass, or queues one more if a pass is running. */
  repair(): void {
    if (this.#repairing) {
      this.#again = true;
      return;
    }
    this.#repairing = (async () => {
      do {
        this.#again = false;
        await this.#repairPass().catch((error: unknown) =>
          this.#options.logger.warn(
            { err: error instanceof Error ? error.message : String(error) },
            'repair pass failed',
          ),
        );
      } while (this.#again);
      this.#repairing = undefined;
    })();
  }

  /** Resolves when no repair is running (tests and demos wait on it). */
  async settled(): Promise<void> {
    while (this.#repairing) await this.#repairing;
  }

  async #repairPass(): Promise<void> {
    for (;;) {
      const next = this.#nextRepair();
      if (!next) return;
      await this.#addReplica(next.type, next.shard, next.target);
    }
  }

  #nextRepair(): { type: string; shard: ShardAssignment; target: string } | undefined {
    const { cluster, factor } = this.#options;
    const live = this.#options.liveNodes();
    const liveIds = new Set(live.map((n) => n.id));
    const load = new Map<string, number>();
    for (const layout of Object.values(cluster.map().config.types)) {
      for (const s of layout.shards)
        for (const n of [s.node, ...(s.backups ?? [])]) load.set(n, (load.get(n) ?? 0) + 1);
    }
    for (const [type, layout] of Object.entries(cluster.map().config.types)) {
      for (const shard of layout.shards) {
        if (shard.backups === undefined || 1 + shard.backups.length >= factor) continue;
        if (!liveIds.has(shard.node)) continue;
        const holders = new Set([shard.node, ...shard.backups]);
        const candidates = live
          .filter((n) => !holders.has(n.id) && n.types.includes(type))
          .sort((a, b) => (load.get(a.id) ?? 0) - (load.get(b.id) ?? 0) || a.id.localeCompare(b.id));
        if (candidates[0]) return { type, shard, target: candidates[0].id };
      }
    }
    return undefined;
  }

  /** Fence the primary, copy to the target, add it to the set under a new epoch, unfence. */
  async #addReplica(type: string, shard: ShardAssignment, target: string): Promise<void> {
    const { cluster, calls, logger } = this.#options;
    const map = cluster.map();
    const primaryUrl = map.nodeUrl(shard.node);
    const targetUrl = map.nodeUrl(target);
    if (!primaryUrl || !targetUrl) return;
    const scope = { shardId: shard.id, type, range: shard.range };
    await calls.post(primaryUrl, '/internal/shards/fence', { ...scope, ttlMs: FENCE_TTL_MS });
    try {
      // A replica that was away briefly catches up from the log; any other gets a full copy.
      const caughtUp = await calls
        .post(targetUrl, '/internal/shards/catch-up', { shardId: shard.id, sourceUrl: primaryUrl }, 30_000)
        .catch(() => undefined);
      const copied =
        caughtUp === undefined
          ? await calls.post(targetUrl, '/internal/shards/copy', { ...scope, sourceUrl: primaryUrl }, 30_000)
          : undefined;
      await cluster.change(async () => {
        const config = structuredClone(cluster.map().config);
        const current = findIn(config, shard.id);
        // The set may have changed while the copy ran (a failover, a drop): then start over.
        if (!current || current.node !== shard.node || (current.epoch ?? 0) !== (shard.epoch ?? 0)) return;
        current.backups = [...(current.backups ?? []), target];
        current.epoch = (current.epoch ?? 0) + 1;
        await cluster.commit(cluster.state(), config, false);
      });
      await cluster.announce();
      logger.info(
        { shardId: shard.id, replica: target, ...(copied === undefined ? { caughtUp } : { copied }) },
        copied === undefined
          ? 'added a replica that caught up from the log'
          : 'added a replica from a full copy',
      );
    } finally {
      await calls.post(primaryUrl, '/internal/shards/unfence', scope).catch(() => undefined);
    }
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
    try {
      const response = await fetch(`${url}/internal/shards/status?shardId=${encodeURIComponent(shardId)}`, {
        headers: { [CLUSTER_TOKEN_HEADER]: this.#options.token },
        signal: AbortSignal.timeout(500),
      });
      return shardStatusSchema.parse(await response.json()).seq;
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
