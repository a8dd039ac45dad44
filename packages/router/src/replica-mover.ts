/**
 * The steps that change where a replicated shard's copies are (DESIGN §4 and §6), each a
 * short protocol between the router and the nodes:
 * - **add a replica** (a learner): the target copies the shard from the primary while writes go
 *   on, then catches up from the primary's log, again while writes go on, until it is close.
 *   Only then is the primary fenced, for the last few entries and the map change that adds the
 *   target to the in-sync set under a new epoch. A target that was a replica before skips the
 *   copy and catches up from the log alone. Nothing long runs under the fence: if the last
 *   entries cannot be had from the log, the step fails and starts again later.
 * - **hand over the primary** to an in-sync backup: fence the primary against writes and strong
 *   reads, check that the backup holds every entry, make it the primary under a new epoch (the
 *   old primary becomes a backup, and drops the fence when it learns so), and tell the two nodes
 *   whose roles changed before everyone else.
 *   The shard pauses only for this.
 * - **remove a replica**: with the primary briefly fenced, take it out of the set under a new
 *   epoch, then have it delete its copy.
 *
 * Every map change is made against the set it was planned for: if a failover or a drop changed
 * the shard's primary or epoch meanwhile, the step fails with `CONFLICT` (and is planned again
 * later), as it does rather than leave a shard with fewer than `minInSync` copies. It
 * must never add a replica that lacks an entry the primary has acknowledged, and never let two
 * nodes answer as primary of a shard: the old primary is fenced for reads and writes from
 * before the new map exists until it has adopted it.
 */
import {
  copiesInProgressSchema,
  isIsxError,
  IsxError,
  shardStatusSchema,
  type ClusterConfig,
  type ShardAssignment,
  type ShardMap,
} from '@isx/core';
import type { Logger } from 'pino';
import type { MoveCluster } from './move-coordinator.js';
import type { NodeCaller } from './node-calls.js';

/**
 * How long a fence may last before the node asks the router whether it still leads the shard
 * and, if so, lifts it: a cutover takes well under a second, so this bounds the pause a router
 * that dies mid-step can leave behind.
 */
const FENCE_TTL_MS = 10_000;
/** Catch-up rounds while writes go on, before the short fence. */
const OPEN_CATCH_UP_ROUNDS = 5;
/** Entries a learner may still lack when the fence goes up. */
const CLOSE_ENOUGH_ENTRIES = 32;
/** How long a copy or a catch-up may take. */
const COPY_TIMEOUT_MS = 600_000;

export interface ReplicaMoverOptions {
  cluster: MoveCluster;
  calls: NodeCaller;
  logger: Logger;
  /** No step leaves a shard with fewer copies than this. */
  minInSync: number;
  /** How fast a learner may copy, in bytes per second (default: unlimited). */
  copyBytesPerSecond?: number;
  /**
   * Told when a shard's fence has come down or its nodes have the map that ends it: requests
   * the router holds for the shard may go again at once.
   */
  onReleased?: (shardId: string) => void;
}

/** What an added replica copied: nothing when it caught up from the log alone. */
export interface CopyOutcome {
  entities: number;
  bytes: number;
}

/** How far one step has come, for `GET /cluster`. */
export interface StepProgress {
  phase: 'copying' | 'catching-up' | 'cutover' | 'removing';
  entitiesCopied?: number;
  bytesCopied?: number;
  /** Entities the copy has to bring over, as counted on the primary when it started. */
  entitiesTotal?: number;
}

export class ReplicaMover {
  readonly #options: ReplicaMoverOptions;

  constructor(options: ReplicaMoverOptions) {
    this.#options = options;
  }

  /** Adds `to` to the shard's in-sync set as a learner that copies, catches up and joins. */
  async addReplica(shardId: string, to: string, progress: (p: StepProgress) => void): Promise<CopyOutcome> {
    const { calls, cluster, logger } = this.#options;
    const { type, shard } = cluster.findShard(shardId);
    const map = cluster.map();
    const primaryUrl = urlOf(map, shard.node);
    const targetUrl = urlOf(map, to);
    const scope = { shardId, type, range: shard.range };
    const catchUp = async (): Promise<{ entries: number; seq: number }> =>
      (await calls.post(
        targetUrl,
        '/internal/shards/catch-up',
        { shardId, sourceUrl: primaryUrl },
        COPY_TIMEOUT_MS,
      )) as { entries: number; seq: number };
    const copy = async (): Promise<{ entities: number; bytes: number }> => {
      const total = await this.#entitiesOn(primaryUrl, shardId);
      progress({
        phase: 'copying',
        entitiesCopied: 0,
        bytesCopied: 0,
        ...(total === undefined ? {} : { entitiesTotal: total }),
      });
      const watcher = this.#watchCopy(targetUrl, shardId, (copied) =>
        progress({ phase: 'copying', ...copied, ...(total === undefined ? {} : { entitiesTotal: total }) }),
      );
      try {
        const body = { ...scope, sourceUrl: primaryUrl, ...this.#rate() };
        return (await calls.post(targetUrl, '/internal/shards/copy', body, COPY_TIMEOUT_MS)) as {
          entities: number;
          bytes: number;
        };
      } finally {
        watcher.stop();
      }
    };

    // 1. While writes go on: catch up if the target held the shard before, else copy it.
    let copied: { entities: number; bytes: number } | undefined;
    progress({ phase: 'catching-up' });
    let behind = await catchUp().then(
      (done) => done.entries,
      async (error: unknown) => {
        // Only a target that cannot catch up from the log (REPLICATION_GAP: it never held the
        // shard, or holds entries the primary does not) is copied. A source or target that could
        // not be reached fails the step, which is planned again: a copy would clear the target's
        // range for nothing.
        if (!isIsxError(error) || error.code !== 'REPLICATION_GAP') throw error;
        copied = await copy();
        return Infinity;
      },
    );
    // 2. Still while writes go on: catch up until the target is close behind.
    progress({
      phase: 'catching-up',
      ...(copied ? { entitiesCopied: copied.entities, bytesCopied: copied.bytes } : {}),
    });
    for (let round = 0; round < OPEN_CATCH_UP_ROUNDS && behind > CLOSE_ENOUGH_ENTRIES; round += 1) {
      behind = await catchUp().then(
        (done) => done.entries,
        () => 0, // the log moved on too far, or the shard is new: the fence below settles it
      );
    }
    // 3. The cutover: fence, the last entries, the map change. Should the log have moved on too
    // far meanwhile, the step fails and is planned again: nothing long ever runs under a fence.
    progress({ phase: 'cutover' });
    const fencedAt = performance.now();
    await calls.post(primaryUrl, '/internal/shards/fence', { ...scope, ttlMs: FENCE_TTL_MS });
    let keepFence = false;
    try {
      const last = await catchUp();
      await this.#changeSet(shard, (current) => {
        current.backups = [...(current.backups ?? []), to];
      });
      // The primary must know of the new backup before it takes another write, or the backup
      // would count as in sync while it misses entries.
      const [primaryTold] = await this.#tell([primaryUrl, targetUrl]);
      keepFence = !primaryTold;
      logger.info(
        {
          shardId,
          replica: to,
          ...(copied ? { copied } : {}),
          lastEntries: last.entries,
          fencedMs: Math.round(performance.now() - fencedAt),
        },
        copied ? 'added a replica from a copy and the log' : 'added a replica that caught up from the log',
      );
    } finally {
      if (!keepFence) await calls.post(primaryUrl, '/internal/shards/unfence', scope).catch(() => undefined);
      this.#options.onReleased?.(shardId);
    }
    if (keepFence) this.#primaryMissedMap(shardId, shard.node);
    return copied ?? { entities: 0, bytes: 0 };
  }

  /**
   * Makes the in-sync backup `to` the primary of the shard; the old primary stays as a backup.
   * Resolves with how long writes to the shard were paused.
   */
  async transferPrimary(shardId: string, to: string, progress: (p: StepProgress) => void): Promise<number> {
    const { calls, cluster, logger } = this.#options;
    const { type, shard } = cluster.findShard(shardId);
    if (!shard.backups?.includes(to)) {
      throw new IsxError('CANNOT_MOVE', `Node ${to} is not an in-sync backup of shard ${shardId}.`);
    }
    const map = cluster.map();
    const from = shard.node;
    const fromUrl = urlOf(map, from);
    const toUrl = urlOf(map, to);
    const scope = { shardId, type, range: shard.range };
    progress({ phase: 'cutover' });
    const fencedAt = performance.now();
    // Reads are fenced too: once the new primary may write, the old one must not answer a read.
    await calls.post(fromUrl, '/internal/shards/fence', { ...scope, ttlMs: FENCE_TTL_MS, blocksReads: true });
    let handedOver = false;
    try {
      // With the writes fenced off, an in-sync backup holds every entry the primary holds.
      const [primarySeq, backupSeq] = await Promise.all([
        this.#seqOf(fromUrl, shardId),
        this.#seqOf(toUrl, shardId),
      ]);
      if (backupSeq !== primarySeq) {
        throw new IsxError(
          'CANNOT_MOVE',
          `Backup ${to} of shard ${shardId} holds entries up to ${backupSeq}, the primary up to ${primarySeq}.`,
        );
      }
      const checkedAt = performance.now();
      await this.#changeSet(shard, (current) => {
        current.node = to;
        current.backups = [from, ...(current.backups ?? []).filter((n) => n !== to)];
      });
      handedOver = true;
      const savedAt = performance.now();
      // The two nodes whose roles changed hear first; the old one drops its fence when it does.
      await this.#tell([fromUrl, toUrl]);
      const pausedMs = performance.now() - fencedAt;
      logger.info(
        {
          shardId,
          from,
          to,
          epoch: cluster.findShard(shardId).shard.epoch,
          pausedMs: Math.round(pausedMs),
          // Where the pause went: fencing and comparing the logs, saving the map, telling the nodes.
          fenceAndCheckMs: Math.round(checkedAt - fencedAt),
          saveMs: Math.round(savedAt - checkedAt),
          tellMs: Math.round(performance.now() - savedAt),
        },
        'handed the primary over',
      );
      return pausedMs;
    } finally {
      // Once handed over the old primary no longer leads the shard and drops the fence itself.
      if (!handedOver) await calls.post(fromUrl, '/internal/shards/unfence', scope).catch(() => undefined);
      this.#options.onReleased?.(shardId);
    }
  }

  /**
   * Takes `from` out of the shard's set under a new epoch, then has it delete its copy. The
   * primary is fenced meanwhile, so no entry is in flight when the set changes: an entry sent
   * under the old epoch could be taken by one backup and refused by another.
   */
  async removeReplica(shardId: string, from: string, progress: (p: StepProgress) => void): Promise<void> {
    const { calls, cluster, logger } = this.#options;
    const { type, shard } = cluster.findShard(shardId);
    if (shard.node === from) {
      throw new IsxError('CANNOT_MOVE', `Node ${from} leads shard ${shardId}; hand it over first.`);
    }
    progress({ phase: 'removing' });
    const scope = { shardId, type, range: shard.range };
    const primaryUrl = urlOf(cluster.map(), shard.node);
    await calls.post(primaryUrl, '/internal/shards/fence', { ...scope, ttlMs: FENCE_TTL_MS });
    let keepFence = false;
    try {
      await this.#changeSet(shard, (current) => {
        current.backups = (current.backups ?? []).filter((n) => n !== from);
      });
      const [primaryTold] = await this.#tell([primaryUrl]);
      keepFence = !primaryTold;
    } finally {
      if (!keepFence) await calls.post(primaryUrl, '/internal/shards/unfence', scope).catch(() => undefined);
      this.#options.onReleased?.(shardId);
    }
    if (keepFence) this.#primaryMissedMap(shardId, shard.node);
    const fromUrl = cluster.map().nodeUrl(from);
    // Best effort: a node that misses this keeps a stale copy it no longer serves.
    const dropped = fromUrl
      ? await calls
          .post(fromUrl, '/internal/shards/drop', scope, 60_000)
          .catch((error: unknown) => ({ error: error instanceof Error ? error.message : String(error) }))
      : undefined;
    logger.info({ shardId, replica: from, dropped }, 'removed a replica');
  }

  /**
   * Applies `edit` to the shard under a new epoch, if its primary and epoch are still those of
   * `planned` and it leaves at least `minInSync` copies; throws `CONFLICT` otherwise. The change
   * is saved, not yet announced.
   */
  async #changeSet(planned: ShardAssignment, edit: (current: ShardAssignment) => void): Promise<void> {
    const { cluster, logger } = this.#options;
    await cluster.change(async () => {
      const config: ClusterConfig = structuredClone(cluster.map().config);
      const current = Object.values(config.types)
        .flatMap((layout) => layout.shards)
        .find((s) => s.id === planned.id);
      if (!current || current.node !== planned.node || (current.epoch ?? 0) !== (planned.epoch ?? 0)) {
        logger.info({ shardId: planned.id }, 'the replica set changed meanwhile; the step is abandoned');
        throw new IsxError(
          'CONFLICT',
          `The replica set of shard ${planned.id} changed while the step ran; it will be planned again.`,
        );
      }
      edit(current);
      if (1 + (current.backups?.length ?? 0) < this.#options.minInSync) {
        throw new IsxError(
          'CONFLICT',
          `The step would leave shard ${planned.id} with fewer than ${this.#options.minInSync} copies.`,
        );
      }
      current.epoch = (current.epoch ?? 0) + 1;
      await cluster.commit(cluster.state(), config, false);
    });
  }

  /**
   * Posts the current map to these nodes and resolves with whether each took it; then announces
   * it to every node, without waiting. Those told first are the ones the next write depends on.
   */
  async #tell(nodeUrls: readonly string[]): Promise<boolean[]> {
    const { calls, cluster } = this.#options;
    const map = cluster.map();
    const wire = { version: map.version, config: map.config };
    const told = await Promise.all(
      nodeUrls.map((url) =>
        calls.post(url, '/internal/map', wire, 1_000).then(
          () => true,
          () => false,
        ),
      ),
    );
    void cluster.announce().catch(() => undefined);
    return told;
  }

  /** The primary did not take the new map: its fence stays, and lifts once it pulls the map. */
  #primaryMissedMap(shardId: string, primary: string): void {
    this.#options.logger.warn(
      { shardId, primary, fenceTtlMs: FENCE_TTL_MS },
      'the primary did not take the new map; its fence stays until it pulls the map',
    );
  }

  async #seqOf(nodeUrl: string, shardId: string): Promise<number> {
    const answer = await this.#options.calls.get(
      nodeUrl,
      `/internal/shards/status?shardId=${encodeURIComponent(shardId)}`,
      1_000,
    );
    return shardStatusSchema.parse(answer).seq;
  }

  async #entitiesOn(nodeUrl: string, shardId: string): Promise<number | undefined> {
    try {
      const answer = await this.#options.calls.get(
        nodeUrl,
        `/internal/shards/status?shardId=${encodeURIComponent(shardId)}&count=1`,
        10_000,
      );
      return shardStatusSchema.parse(answer).entities;
    } catch {
      return undefined;
    }
  }

  /** Polls the target for how far its copy has come, until stopped. */
  #watchCopy(
    targetUrl: string,
    shardId: string,
    report: (copied: { entitiesCopied: number; bytesCopied: number }) => void,
  ): { stop(): void } {
    const timer = setInterval(() => {
      void this.#options.calls
        .get(targetUrl, '/internal/shards/copies', 1_000)
        .then((answer) => {
          const copy = copiesInProgressSchema.parse(answer).copies.find((c) => c.shardId === shardId);
          if (copy) report({ entitiesCopied: copy.entities, bytesCopied: copy.bytes });
        })
        .catch(() => undefined);
    }, 500);
    timer.unref();
    return { stop: () => clearInterval(timer) };
  }

  #rate(): { maxBytesPerSecond?: number } {
    const rate = this.#options.copyBytesPerSecond;
    return rate === undefined ? {} : { maxBytesPerSecond: rate };
  }
}

function urlOf(map: ShardMap, nodeId: string): string {
  const url = map.nodeUrl(nodeId);
  if (!url) throw new IsxError('UNKNOWN_NODE', `The map has no address for node ${nodeId}.`);
  return url;
}
