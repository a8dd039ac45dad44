/**
 * The load each shard's primary last reported with its heartbeat: records, operations per
 * second and a load split point. A report counts only while it is fresh and comes from the node
 * the map names as the shard's primary, so a deposed primary's last word is not acted on.
 */
import type { Clock, ShardLoad, ShardMap } from '@isx/core';

/** Reports older than this are ignored: the node has stopped sending them. */
const FRESH_FOR_MS = 5_000;

interface Entry {
  readonly nodeId: string;
  readonly at: number;
  readonly load: ShardLoad;
}

export class ShardLoadBook {
  readonly #clock: Clock;
  readonly #entries = new Map<string, Entry>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Files the loads a node reported of the shards it leads. */
  record(nodeId: string, loads: readonly ShardLoad[]): void {
    const at = this.#clock.monotonic();
    for (const load of loads) this.#entries.set(load.shardId, { nodeId, at, load });
  }

  /** The shard's fresh load as reported by its primary in `map`, if any. */
  get(map: ShardMap, shardId: string): ShardLoad | undefined {
    const entry = this.#entries.get(shardId);
    if (!entry || this.#clock.monotonic() - entry.at > FRESH_FOR_MS) return undefined;
    return map.assignment(shardId)?.node === entry.nodeId ? entry.load : undefined;
  }

  /** Drops what is known of a shard whose range just changed (a split). */
  forget(shardId: string): void {
    this.#entries.delete(shardId);
  }
}
