/**
 * The primary's side of replication (DESIGN §4). A write to a shard with backups becomes an
 * entry of the shard's log: numbered, sent to every in-sync backup, and acknowledged only
 * once each of them holds it on disk. A backup that does not take it is reported to the
 * router, which drops it from the in-sync set under a new epoch, and the write goes on with
 * the replicas left, as long as at least `minInSync` remain.
 *
 * It must never acknowledge a write that an in-sync replica lacks, nor one made after its
 * lease lapsed, and a primary told by a backup that its epoch is stale stops at once: a
 * newer primary exists.
 */
import {
  IsxError,
  MAX_REQUEST_IDS_PER_ENTRY,
  RetryableError,
  type ReplicatedEntity,
  type ReplicateRequest,
  type ReplicaFailedRequest,
  type ShardAssignment,
} from '@isx/core';
import type { Logger } from 'pino';
import type { EntityStore, StoreOp } from '../entity-store.js';
import type { MapOwnership } from '../ownership.js';
import type { PeerRoutes } from '../peer-routes.js';
import { currentRequestId } from '../internal/request-context.js';
import { BackupAcknowledgements, type BackupLag } from './backup-acknowledgements.js';
import { EntryRounds } from './entry-rounds.js';
import type { LogPositions } from './log-position.js';
import { ReplicationStreams } from './replication-streams.js';
import type { ShardCommitter } from './shard-committer.js';

/** What the committer needs from the node's link to its router. */
export interface PrimaryLease {
  leaseHeld(leaseMs: number): boolean;
  reportReplicaFailure(report: ReplicaFailedRequest): Promise<void>;
  pullMap(): Promise<void>;
}

export interface ReplicatedCommitterOptions {
  store: EntityStore;
  positions: LogPositions;
  ownership: MapOwnership;
  lease: PrimaryLease;
  token: string;
  peers?: PeerRoutes | undefined;
  logger: Logger;
  /** How long the primary may serve after the router last answered it (default 700 ms). */
  leaseMs?: number;
  /** How long a backup has to take an entry (default 1000 ms). */
  replicateTimeoutMs?: number;
  /** Told of every batch of entries sent to a backup, with its size (for metrics). */
  onBatchSent?: (entries: number) => void;
}

export class ReplicatedCommitter implements ShardCommitter {
  readonly #options: ReplicatedCommitterOptions;
  /**
   * One entry in flight per shard, concurrent writes joining the next; the shards with the same
   * backups start their entries together, so that they share requests and syncs.
   */
  readonly #rounds: EntryRounds<StoreOp>;
  /** Shards whose last entry went out but could not be written here; they take no more writes. */
  readonly #broken = new Set<string>();
  readonly #leaseMs: number;
  readonly #streams: ReplicationStreams;
  readonly #acknowledgements = new BackupAcknowledgements();

  constructor(options: ReplicatedCommitterOptions) {
    this.#options = options;
    this.#leaseMs = options.leaseMs ?? 700;
    this.#streams = new ReplicationStreams({
      token: options.token,
      peers: options.peers,
      urlOf: (node) => options.ownership.map?.nodeUrl(node),
      timeoutMs: options.replicateTimeoutMs ?? 1_000,
      onBatchSent: options.onBatchSent,
    });
    this.#rounds = new EntryRounds<StoreOp>(
      (shardId, ops, requestIds) => this.#commitEntry(shardId, ops, requestIds),
      (shardId) => options.ownership.map?.assignment(shardId)?.backups?.join(',') ?? '',
    );
  }

  /** Batches sent to backups and the entries they carried (entries / requests: the batching factor). */
  get streamStats(): { requests: number; entries: number } {
    return this.#streams.stats;
  }

  /** How far each backup of the shards this node leads is behind, where it has been seen (for metrics). */
  backupLag(): BackupLag[] {
    const { ownership } = this.#options;
    return this.#acknowledgements.lag(ownership.map?.shardsOf(ownership.nodeId) ?? []);
  }

  checkServing(shardId: string): void {
    if (this.#assignment(shardId).backups === undefined) return;
    if (!this.#options.lease.leaseHeld(this.#leaseMs)) {
      throw new RetryableError(
        'LEASE_EXPIRED',
        `This node's lease on shard ${shardId} has lapsed; it is not serving.`,
        {
          details: { shard: shardId },
          retryAfterMs: 200,
        },
      );
    }
  }

  async commit(shardId: string, ops: StoreOp[]): Promise<void> {
    const shard = this.#assignment(shardId);
    if (shard.backups === undefined) return this.#options.store.write(ops);
    this.checkServing(shardId);
    const minInSync = this.#minInSync();
    if (1 + shard.backups.length < minInSync) {
      throw new RetryableError(
        'NOT_ENOUGH_REPLICAS',
        `Shard ${shardId} has ${1 + shard.backups.length} in-sync replica(s); a write needs ${minInSync}.`,
        { details: { shard: shardId, inSync: 1 + shard.backups.length, minInSync }, retryAfterMs: 500 },
      );
    }
    // The request's id goes with its write to the backups, which log the entries they apply.
    return this.#rounds.write(shardId, ops, currentRequestId());
  }

  /**
   * Sends one entry to the backups, applies it here, and decides whether it is acknowledged.
   * Once an entry has gone out it is applied here too, whatever the backups answered: a
   * backup may hold it, and the primary must hold everything a backup holds, or its next
   * entry would reuse the position. Only a deposed primary stops without applying it, and
   * then its positions are worthless: a new primary's entries conflict with them.
   */
  async #commitEntry(shardId: string, ops: StoreOp[], requestIds: string[]): Promise<void> {
    const { positions, store, lease } = this.#options;
    if (this.#broken.has(shardId)) throw uncertain(shardId, 'an earlier entry could not be written here');
    const shard = this.#assignment(shardId);
    const epoch = shard.epoch ?? 0;
    const position = { seq: (await positions.get(shardId)).seq + 1, epoch };
    const request: ReplicateRequest = {
      shardId,
      epoch,
      seq: position.seq,
      entities: toEntities(ops),
      ...(requestIds.length === 0 ? {} : { requestIds: requestIds.slice(0, MAX_REQUEST_IDS_PER_ENTRY) }),
    };
    const backups = shard.backups ?? [];
    this.#acknowledgements.sent(shardId, epoch, position.seq);
    const results = await Promise.allSettled(backups.map((node) => this.#send(node, request)));
    const failed = backups.filter((_, i) => results[i]!.status === 'rejected');
    const deposed = results.some(
      (r) => r.status === 'rejected' && (r.reason as { code?: string }).code === 'STALE_EPOCH',
    );
    if (deposed) {
      void lease.pullMap().catch(() => undefined);
      throw uncertain(shardId, 'a backup holds a newer epoch: this node is no longer the primary');
    }
    try {
      await store.write([
        ...ops,
        positions.op(shardId, position),
        ...positions.entryOps(shardId, { ...position, entities: request.entities }),
      ]);
    } catch (error) {
      this.#broken.add(shardId);
      throw uncertain(shardId, `the primary could not write it (${describe(error)})`);
    }
    positions.written(shardId, position);
    for (const node of failed) {
      // `backup`, not `node`: a node's own id is `node` in every line it logs.
      this.#options.logger.warn(
        { shard: shardId, backup: node, epoch, seq: position.seq },
        'a backup did not take an entry',
      );
      await lease.reportReplicaFailure({ shardId, epoch, node }).catch((error: unknown) => {
        throw uncertain(shardId, `the router did not drop the failed backup ${node} (${describe(error)})`);
      });
    }
    const inSync = 1 + (this.#assignment(shardId).backups?.length ?? 0);
    if (inSync < this.#minInSync()) throw uncertain(shardId, `only ${inSync} replica(s) hold it`);
    if (!lease.leaseHeld(this.#leaseMs)) throw uncertain(shardId, 'the lease lapsed while it was replicated');
  }

  async #send(node: string, request: ReplicateRequest): Promise<void> {
    await this.#streams.send(node, request);
    this.#acknowledgements.acknowledged(request.shardId, request.epoch, node, request.seq);
  }

  #assignment(shardId: string): ShardAssignment {
    const shard = this.#options.ownership.map?.assignment(shardId);
    if (shard) return shard;
    throw new RetryableError('MAP_NOT_READY', `This node's map has no shard ${shardId}.`, {
      retryAfterMs: 200,
    });
  }

  #minInSync(): number {
    return this.#options.ownership.map?.config.replication?.minInSync ?? 1;
  }
}

function toEntities(ops: readonly StoreOp[]): ReplicatedEntity[] {
  return ops.flatMap((op) =>
    op.kind === 'put-entity'
      ? [
          {
            type: op.type,
            partitionKey: op.partitionKey,
            key: op.key,
            value: op.value,
          },
        ]
      : [],
  );
}

/** The write may or may not survive: the client must treat its outcome as unknown. */
function uncertain(shardId: string, why: string): IsxError {
  return new IsxError(
    'REPLICATION_FAILED',
    `The write to shard ${shardId} may or may not have been applied: ${why}.`,
    {
      details: { shard: shardId },
    },
  );
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
