/**
 * Which keys this node may serve.
 *
 * A request for a key whose shard belongs to another node is answered `421 WRONG_SHARD`
 * with the owner's address, so the router or a client can go there instead. A node must
 * never read or write an entity of a shard it does not own.
 */
import { RetryableError, type ShardMap } from '@isx/core';

export interface Ownership {
  /** Throws `WRONG_SHARD` (or `UNKNOWN_TYPE`, `KEY_NOT_COVERED`) unless this node owns the key. */
  check(type: string, key: string): { shardId: string };
}

/** Ownership read from a fixed shard map, as in phase 1's manual configuration. */
export class StaticOwnership implements Ownership {
  readonly #map: ShardMap;
  readonly #nodeId: string;

  constructor(map: ShardMap, nodeId: string) {
    this.#map = map;
    this.#nodeId = nodeId;
  }

  check(type: string, key: string): { shardId: string } {
    const placement = this.#map.locate(type, key);
    if (placement.shard.node !== this.#nodeId) {
      throw new RetryableError(
        'WRONG_SHARD',
        `Node ${this.#nodeId} does not own key "${key}" of type ${type}; shard ${placement.shard.id} is on node ${placement.shard.node}.`,
        {
          details: {
            shard: placement.shard.id,
            owner: placement.shard.node,
            ownerUrl: placement.nodeUrl,
            mapVersion: this.#map.version,
          },
          retryAfterMs: 0,
        },
      );
    }
    return { shardId: placement.shard.id };
  }
}
