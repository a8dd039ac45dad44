/**
 * Where a replica's copy of a shard stands in the shard's log: the sequence number of the
 * last entry applied and the epoch it was written in. Kept in the store's metadata and
 * written in the same batch as the entry itself, so a crash never leaves them apart.
 */
import type { EntityStore, StoreOp } from '../entity-store.js';

export interface LogPosition {
  readonly seq: number;
  readonly epoch: number;
}

export const START: LogPosition = { seq: 0, epoch: 0 };

function metaName(shardId: string): string {
  return `log-position/${shardId}`;
}

/** The position of every shard this node holds, cached after the first read. */
export class LogPositions {
  readonly #store: EntityStore;
  readonly #cache = new Map<string, LogPosition>();

  constructor(store: EntityStore) {
    this.#store = store;
  }

  async get(shardId: string): Promise<LogPosition> {
    const cached = this.#cache.get(shardId);
    if (cached) return cached;
    const stored = (await this.#store.getMeta<LogPosition>(metaName(shardId))) ?? START;
    this.#cache.set(shardId, stored);
    return stored;
  }

  /** The op that records `position`; the caller writes it with the entry. */
  op(shardId: string, position: LogPosition): StoreOp {
    return { kind: 'put-meta', name: metaName(shardId), value: position };
  }

  /** Records that the batch holding {@link op} was written. */
  written(shardId: string, position: LogPosition): void {
    this.#cache.set(shardId, position);
  }
}
