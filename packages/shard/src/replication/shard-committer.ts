/**
 * How a write reaches disk. A node without replicas writes its batch to its own store; a
 * primary of a replicated shard (phase 3) sends it to every in-sync backup first. The entity
 * host calls only this interface, so the write path is the same either way.
 */
import type { EntityStore, StoreOp } from '../entity-store.js';

export interface ShardCommitter {
  /** Makes `ops` durable (on every in-sync replica when the shard has them); rejects if it could not. */
  commit(shardId: string, ops: StoreOp[]): Promise<void>;
  /** Throws if this node may not serve the shard right now (a primary whose lease lapsed). */
  checkServing(shardId: string): void;
}

/** Writes to the local store only: phases 1 and 2, and shards without backups. */
export function localCommitter(store: EntityStore): ShardCommitter {
  return {
    commit: (_shardId, ops) => store.write(ops),
    checkServing: () => undefined,
  };
}
