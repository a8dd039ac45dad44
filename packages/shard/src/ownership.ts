/**
 * Which keys this node may serve, and which of them are closed for writes.
 *
 * A request for a key whose shard belongs to another node is answered `421 WRONG_SHARD`
 * with the owner's address, so the router or a client can go there instead. During a move
 * the source *fences* the shard's range: writes are refused with a retryable
 * `503 SHARD_MOVING` (reads go on), and the fence is granted only once the writes already
 * in flight in that range have finished, so the copy that follows misses none of them.
 * A fence that also closes reads (a primary handing its shard over) refuses strong reads as
 * well, so that the old primary never answers one once the new primary may have written.
 * A node must never read or write an entity of a shard it does not own.
 */
import { IsxError, rangeContains, RetryableError, type KeyRange, type ShardMap } from '@isx/core';

/** The id of a node that has not registered yet. */
export const UNREGISTERED_NODE_ID = 'unregistered';

/** A write admitted into a shard; `end` must be called when it has committed or failed. */
export interface WriteTicket {
  readonly shardId: string;
  readonly partitionKey: string;
  end(): void;
}

export interface Ownership {
  /** Throws `WRONG_SHARD` (or `UNKNOWN_TYPE`, `KEY_NOT_COVERED`, `MAP_NOT_READY`) unless this node owns the key. */
  check(type: string, key: string): { shardId: string; partitionKey: string };
  /** Like `check`, and also refuses a range fenced for reads too (a hand-over in progress). */
  checkRead(type: string, key: string): { shardId: string; partitionKey: string };
  /** Like `check`, and also refuses a fenced range; the ticket holds off fences until it ends. */
  beginWrite(type: string, key: string): WriteTicket;
  /** Like {@link check}, but a backup of the key's shard passes too, and says which it is. */
  checkReplica(
    type: string,
    key: string,
  ): { shardId: string; partitionKey: string; role: 'primary' | 'backup' };
}

interface Fence {
  readonly type: string;
  readonly range: KeyRange;
  /** Whether strong reads are refused too. */
  readonly blocksReads: boolean;
  /** Fires if the fence outlives its time to live (a move that never finished). */
  readonly expiry: NodeJS.Timeout | undefined;
}

/**
 * Ownership read from a shard map that can be replaced by a newer one (phase 2: the map
 * arrives at registration and is pulled whenever a heartbeat reply shows a newer version).
 */
export class MapOwnership implements Ownership {
  #nodeId: string;
  #map: ShardMap | undefined;
  readonly #fences = new Map<string, Fence>();
  readonly #inFlight = new Set<{ type: string; partitionKey: string }>();
  #drained: Array<() => void> = [];

  readonly #onFenceExpired: (shardId: string) => void;

  /** `onFenceExpired` is told when a fence outlives its time to live, so the node can ask the router why. */
  constructor(nodeId: string, map?: ShardMap, onFenceExpired: (shardId: string) => void = () => {}) {
    this.#nodeId = nodeId;
    this.#map = map;
    this.#onFenceExpired = onFenceExpired;
  }

  get nodeId(): string {
    return this.#nodeId;
  }

  /**
   * Sets the id the router gave this node. It cannot change once the node has held a map under
   * an id; a map that arrived before the first id (an announcement racing the registration's
   * answer) is kept, since it is read afresh under the new id.
   */
  assignNodeId(nodeId: string): void {
    if (this.#map && nodeId !== this.#nodeId && this.#nodeId !== UNREGISTERED_NODE_ID) {
      throw new Error('the node id cannot change once a map is held');
    }
    this.#nodeId = nodeId;
  }

  get map(): ShardMap | undefined {
    return this.#map;
  }

  /** Adopts `map` if it is newer than the one held; returns whether it did. */
  update(map: ShardMap): boolean {
    if (this.#map && map.version <= this.#map.version) return false;
    this.#map = map;
    // A fence on a range this node no longer owns has done its job: the range is gone.
    for (const [shardId, fence] of this.#fences) {
      const still = map
        .shardsOf(this.#nodeId)
        .some((s) => s.type === fence.type && sameRange(s.range, fence.range));
      if (!still) this.#dropFence(shardId);
    }
    return true;
  }

  checkReplica(
    type: string,
    key: string,
  ): { shardId: string; partitionKey: string; role: 'primary' | 'backup' } {
    const placement = this.#map?.locate(type, key);
    if (placement?.shard.backups?.includes(this.#nodeId)) {
      return { shardId: placement.shard.id, partitionKey: placement.partitionKey, role: 'backup' };
    }
    return { ...this.check(type, key), role: 'primary' };
  }

  check(type: string, key: string): { shardId: string; partitionKey: string } {
    const map = this.#map;
    if (!map)
      throw new RetryableError('MAP_NOT_READY', 'This node has not received its shard map yet.', {
        retryAfterMs: 200,
      });
    const placement = map.locate(type, key);
    if (placement.shard.node !== this.#nodeId) {
      throw new RetryableError(
        'WRONG_SHARD',
        `Node ${this.#nodeId} does not own key "${key}" of type ${type}; shard ${placement.shard.id} is on node ${placement.shard.node}.`,
        {
          details: {
            shard: placement.shard.id,
            owner: placement.shard.node,
            ownerUrl: placement.nodeUrl,
            mapVersion: map.version,
          },
          retryAfterMs: 0,
        },
      );
    }
    return { shardId: placement.shard.id, partitionKey: placement.partitionKey };
  }

  checkRead(type: string, key: string): { shardId: string; partitionKey: string } {
    const owned = this.check(type, key);
    for (const fence of this.#fences.values()) {
      if (fence.blocksReads && fence.type === type && rangeContains(fence.range, owned.partitionKey)) {
        throw moving(owned.shardId, 'read');
      }
    }
    return owned;
  }

  beginWrite(type: string, key: string): WriteTicket {
    const owned = this.check(type, key);
    for (const fence of this.#fences.values()) {
      if (fence.type === type && rangeContains(fence.range, owned.partitionKey)) {
        throw moving(owned.shardId, 'write');
      }
    }
    const entry = { type, partitionKey: owned.partitionKey };
    this.#inFlight.add(entry);
    return {
      ...owned,
      end: () => {
        this.#inFlight.delete(entry);
        this.#wakeDrainWaiters();
      },
    };
  }

  /**
   * Closes a range for writes (and for strong reads, with `blocksReads`) and resolves once no
   * write in it is still in flight.
   */
  async fence(
    shardId: string,
    type: string,
    range: KeyRange,
    ttlMs?: number,
    blocksReads = false,
  ): Promise<void> {
    const owned = this.#map?.shardsOf(this.#nodeId).some((s) => s.type === type && sameRange(s.range, range));
    if (!owned)
      throw new IsxError(
        'UNKNOWN_SHARD',
        `Node ${this.#nodeId} does not own shard ${shardId} with that range.`,
      );
    this.#dropFence(shardId);
    const fence: Fence = {
      type,
      range,
      blocksReads,
      expiry:
        ttlMs === undefined
          ? undefined
          : setTimeout(() => {
              if (this.#fences.get(shardId) === fence) this.#onFenceExpired(shardId);
            }, ttlMs).unref(),
    };
    this.#fences.set(shardId, fence);
    while ([...this.#inFlight].some((w) => w.type === type && rangeContains(range, w.partitionKey))) {
      await new Promise<void>((resolve) => this.#drained.push(resolve));
    }
  }

  /** Reopens a fenced range; a no-op when it is not fenced. */
  unfence(shardId: string): void {
    this.#dropFence(shardId);
  }

  #dropFence(shardId: string): void {
    clearTimeout(this.#fences.get(shardId)?.expiry);
    this.#fences.delete(shardId);
  }

  /** The ids of the fenced shards. */
  get fenced(): string[] {
    return [...this.#fences.keys()];
  }

  #wakeDrainWaiters(): void {
    const waiters = this.#drained;
    this.#drained = [];
    for (const wake of waiters) wake();
  }
}

function moving(shardId: string, what: 'read' | 'write'): RetryableError {
  return new RetryableError('SHARD_MOVING', `Shard ${shardId} is moving; retry the ${what} shortly.`, {
    details: { shard: shardId },
    retryAfterMs: 20,
  });
}

/** Ownership over a fixed map, as in phase 1's manual configuration. */
export class StaticOwnership extends MapOwnership {
  constructor(map: ShardMap, nodeId: string) {
    super(nodeId, map);
  }
}

function sameRange(a: KeyRange, b: KeyRange): boolean {
  return a.start === b.start && a.end === b.end;
}
