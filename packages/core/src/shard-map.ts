/**
 * `ShardMap`: from `(type, key)` to the shard and node that own it.
 *
 * Built from a validated configuration, so every lookup either finds exactly one shard or
 * says precisely why not (`UNKNOWN_TYPE`, `KEY_NOT_COVERED`). Lookups are a binary search
 * over each type's sorted ranges. Immutable: a new map is a new object with a new version.
 */
import type { ClusterConfig, ShardAssignment } from './cluster-config.js';
import { IsxError } from './errors.js';
import { compareRanges, formatRange, rangeContains, type KeyRange } from './key-range.js';
import { partitionerFor, type Partitioner } from './partitioner.js';

/** Where one key lives. */
export interface Placement {
  readonly type: string;
  readonly key: string;
  readonly partitionKey: string;
  readonly shard: ShardAssignment;
  readonly nodeUrl: string;
}

interface TypeIndex {
  readonly partitioner: Partitioner;
  readonly keySpace: KeyRange;
  readonly shards: readonly ShardAssignment[];
}

export class ShardMap {
  readonly version: number;
  readonly config: ClusterConfig;
  readonly #types = new Map<string, TypeIndex>();

  constructor(config: ClusterConfig, version = 1) {
    this.config = config;
    this.version = version;
    for (const [type, layout] of Object.entries(config.types)) {
      this.#types.set(type, {
        partitioner: partitionerFor(layout.partitioner),
        keySpace: layout.keySpace,
        shards: [...layout.shards].sort((a, b) => compareRanges(a.range, b.range)),
      });
    }
  }

  /** The entity types this map knows. */
  get types(): string[] {
    return [...this.#types.keys()];
  }

  hasType(type: string): boolean {
    return this.#types.has(type);
  }

  /** The URL of a node, or `undefined` for an unknown id. */
  nodeUrl(nodeId: string): string | undefined {
    return this.config.nodes[nodeId]?.url;
  }

  /** The shards assigned to one node, across all types. */
  /** The assignment of the shard with this id, if the map has one. */
  assignment(shardId: string): ShardAssignment | undefined {
    for (const layout of Object.values(this.config.types)) {
      const shard = layout.shards.find((s) => s.id === shardId);
      if (shard) return shard;
    }
    return undefined;
  }

  shardsOf(nodeId: string): Array<ShardAssignment & { type: string }> {
    const owned: Array<ShardAssignment & { type: string }> = [];
    for (const [type, index] of this.#types) {
      for (const shard of index.shards) if (shard.node === nodeId) owned.push({ ...shard, type });
    }
    return owned;
  }

  /** The shards of which `nodeId` holds a copy: those it leads and those it backs up. */
  replicasOf(nodeId: string): Array<ShardAssignment & { type: string }> {
    const held: Array<ShardAssignment & { type: string }> = [];
    for (const [type, index] of this.#types) {
      for (const shard of index.shards) {
        if (shard.node === nodeId || shard.backups?.includes(nodeId)) held.push({ ...shard, type });
      }
    }
    return held;
  }

  /** The id of the shard an entity belongs to; `undefined` for a type this map does not have. */
  shardIdOf(type: string, key: string): string | undefined {
    return this.#types.has(type) ? this.locate(type, key).shard.id : undefined;
  }

  /**
   * Finds the shard of a (validated) key.
   *
   * @throws IsxError `UNKNOWN_TYPE` or `KEY_NOT_COVERED`
   */
  locate(type: string, key: string): Placement {
    const index = this.#types.get(type);
    if (!index) {
      throw new IsxError(
        'UNKNOWN_TYPE',
        `There is no entity type "${type}". Known types: ${this.types.join(', ')}.`,
        {
          details: { type },
        },
      );
    }
    const partitionKey = index.partitioner.partitionKey(key);
    const shard = findShard(index.shards, partitionKey);
    if (!shard) {
      throw new IsxError(
        'KEY_NOT_COVERED',
        `No shard of "${type}" covers the key "${key}": the ${index.partitioner.name} key space of this type is ${formatRange(index.keySpace)}.`,
        { details: { type, key, partitionKey, keySpace: index.keySpace } },
      );
    }
    return { type, key, partitionKey, shard, nodeUrl: this.config.nodes[shard.node]?.url ?? '' };
  }
}

function findShard(shards: readonly ShardAssignment[], partitionKey: string): ShardAssignment | undefined {
  let low = 0;
  let high = shards.length - 1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    const shard = shards[mid]!;
    if (partitionKey < shard.range.start) high = mid - 1;
    else if (shard.range.end !== null && partitionKey >= shard.range.end) low = mid + 1;
    else return rangeContains(shard.range, partitionKey) ? shard : undefined;
  }
  return undefined;
}
