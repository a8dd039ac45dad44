/**
 * The backup's side of replication: take entries of a shard's log strictly in order, each
 * in one atomic batch with the new log position, and refuse anything from an epoch older
 * than one already seen. An entry already held is acknowledged again (a primary may resend
 * after a lost answer), but only if it came from the same epoch; a different entry at a
 * held position is a conflict, answered `REPLICATION_GAP`, so the primary drops this
 * replica and a fresh copy replaces it. It must never apply an entry out of order. Each entry
 * applied is logged at debug level with the ids of the requests whose writes it holds.
 */
import { IsxError, type ReplicateRequest, type ShardAssignment, type ShardStatus } from '@isx/core';
import type { Logger } from 'pino';
import type { EntityStore, StoreOp } from '../entity-store.js';
import type { MapOwnership } from '../ownership.js';
import type { LogPositions } from './log-position.js';

export interface ReplicaReceiverOptions {
  store: EntityStore;
  positions: LogPositions;
  ownership: MapOwnership;
  /** Pulls a newer map when an entry names an epoch this node has not seen. */
  pullMap(): Promise<void>;
  /** Where applied entries are logged (at debug level). */
  logger?: Logger;
}

export class ReplicaReceiver {
  readonly #options: ReplicaReceiverOptions;
  /** The highest epoch seen per shard; entries from older ones are refused. */
  readonly #epochs = new Map<string, number>();
  readonly #locks = new Map<string, Promise<unknown>>();

  constructor(options: ReplicaReceiverOptions) {
    this.#options = options;
  }

  /** Applies one entry; entries of a shard are handled one at a time. */
  apply(request: ReplicateRequest): Promise<{ seq: number }> {
    const previous = this.#locks.get(request.shardId) ?? Promise.resolve();
    const next = previous.then(
      () => this.#apply(request),
      () => this.#apply(request),
    );
    this.#locks.set(request.shardId, next);
    return next;
  }

  async status(shardId: string): Promise<ShardStatus> {
    return { shardId, seq: (await this.#options.positions.get(shardId)).seq };
  }

  async #apply(request: ReplicateRequest): Promise<{ seq: number }> {
    const { positions, store } = this.#options;
    await this.#checkEpoch(request);
    const held = await positions.get(request.shardId);
    if (request.seq <= held.seq) {
      // A resend within the epoch is acknowledged; from a newer epoch it is a different entry.
      if (held.epoch === request.epoch) return { seq: held.seq };
      throw gap(request, held.seq);
    }
    if (request.seq > held.seq + 1) throw gap(request, held.seq);
    const position = { seq: request.seq, epoch: request.epoch };
    const ops: StoreOp[] = request.entities.map((e) => ({
      kind: 'put-entity',
      type: e.type,
      partitionKey: e.partitionKey,
      key: e.key,
      value: e.value,
    }));
    await store.write([
      ...ops,
      positions.op(request.shardId, position),
      ...positions.entryOps(request.shardId, { ...position, entities: request.entities }),
    ]);
    positions.written(request.shardId, position);
    const { logger } = this.#options;
    if (logger?.isLevelEnabled('debug')) {
      // Several requests' writes may share an entry (group commit): their ids are joined, so
      // that a search for any one of them finds the line.
      logger.debug(
        {
          ...(request.requestIds === undefined ? {} : { requestId: request.requestIds.join(',') }),
          node: this.#options.ownership.nodeId,
          shard: request.shardId,
          epoch: request.epoch,
          seq: request.seq,
          entities: request.entities.length,
        },
        'applied a replicated entry',
      );
    }
    return { seq: request.seq };
  }

  async #checkEpoch(request: ReplicateRequest): Promise<void> {
    const seen = this.#epochs.get(request.shardId) ?? 0;
    if (request.epoch < seen) throw stale(request, seen);
    let shard = this.#shard(request.shardId);
    if ((shard?.epoch ?? 0) < request.epoch) {
      await this.#options.pullMap().catch(() => undefined);
      shard = this.#shard(request.shardId);
    }
    const current = shard?.epoch ?? 0;
    if (request.epoch < current) throw stale(request, current);
    if (!shard?.backups?.includes(this.#options.ownership.nodeId)) {
      throw new IsxError(
        'STALE_EPOCH',
        `Node ${this.#options.ownership.nodeId} is not a backup of ${request.shardId} in epoch ${current}.`,
        {
          details: { shard: request.shardId, epoch: current },
        },
      );
    }
    this.#epochs.set(request.shardId, Math.max(seen, request.epoch));
  }

  #shard(shardId: string): ShardAssignment | undefined {
    return this.#options.ownership.map?.assignment(shardId);
  }
}

function stale(request: ReplicateRequest, epoch: number): IsxError {
  return new IsxError(
    'STALE_EPOCH',
    `Shard ${request.shardId} is in epoch ${epoch}; the entry came from epoch ${request.epoch}.`,
    {
      details: { shard: request.shardId, epoch },
    },
  );
}

function gap(request: ReplicateRequest, held: number): IsxError {
  return new IsxError(
    'REPLICATION_GAP',
    `Shard ${request.shardId} holds entries up to ${held}; entry ${request.seq} does not follow.`,
    {
      details: { shard: request.shardId, held },
    },
  );
}
