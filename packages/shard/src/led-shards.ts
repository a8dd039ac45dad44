/**
 * Which shards a node has started leading: something to learn again (records to count,
 * outboxes to scan) whenever the map gives it a shard, or changes the range of one it leads.
 */
import type { KeyRange } from '@isx/core';

/** A shard this node leads, as the map names it. */
export interface LedShard {
  readonly id: string;
  readonly type: string;
  readonly range: KeyRange;
}

export class LedShardChanges {
  /** The extent (type and range) of each led shard, as last seen. */
  readonly #seen = new Map<string, string>();

  /** The shards of `led` that are new or whose range changed; shards no longer led are forgotten. */
  next(led: readonly LedShard[]): LedShard[] {
    const ids = new Set(led.map((s) => s.id));
    for (const id of this.#seen.keys()) if (!ids.has(id)) this.#seen.delete(id);
    return led.filter((shard) => {
      const extent = `${shard.type}\u0000${shard.range.start}\u0000${shard.range.end ?? ''}`;
      if (this.#seen.get(shard.id) === extent) return false;
      this.#seen.set(shard.id, extent);
      return true;
    });
  }

  /** Forgets a shard, so the next call reports it again (its work did not finish). */
  forget(shardId: string): void {
    this.#seen.delete(shardId);
  }
}
