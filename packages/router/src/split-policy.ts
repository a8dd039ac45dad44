/**
 * When the router splits a shard by itself (DESIGN §6): pure, no I/O.
 *
 * - **size**: a shard whose primary reports more than `maxShardEntities` records is split at
 *   the middle of its range;
 * - **load**: a shard that serves more than `loadShare` of its type's operations, while the
 *   type serves at least `minOpsPerSec`, is split at the point its primary found that divides
 *   those operations evenly. A shard whose load sits on one hot key has no such point and is
 *   left alone: splitting cannot spread a single key.
 *
 * A type stops being split once it has `maxShardsPerType` shards. Each shard is proposed once,
 * for size before load.
 */
import { rangeContains, type ShardLoad, type ShardMap } from '@isx/core';

export interface SplitPolicy {
  /** 0: never split for size. */
  readonly maxShardEntities: number;
  /** 0: never split for load. */
  readonly loadShare: number;
  readonly minOpsPerSec: number;
  readonly maxShardsPerType: number;
}

export type SplitCause = 'size' | 'load';

export interface SplitProposal {
  readonly shardId: string;
  readonly type: string;
  readonly cause: SplitCause;
  /** Where to split; absent: the middle of the range. */
  readonly at?: string;
  /** The figure that crossed the threshold: records, or the shard's share of operations. */
  readonly measured: number;
}

export function proposeSplits(
  map: ShardMap,
  loadOf: (shardId: string) => ShardLoad | undefined,
  policy: SplitPolicy,
): SplitProposal[] {
  const proposals: SplitProposal[] = [];
  for (const [type, layout] of Object.entries(map.config.types)) {
    if (layout.shards.length >= policy.maxShardsPerType) continue;
    const loads = layout.shards.map((shard) => ({ shard, load: loadOf(shard.id) }));
    const typeOps = loads.reduce((sum, { load }) => sum + (load?.opsPerSec ?? 0), 0);
    const byLoad = policy.loadShare > 0 && typeOps > 0 && typeOps >= policy.minOpsPerSec;
    for (const { shard, load } of loads) {
      if (!load) continue;
      if (policy.maxShardEntities > 0 && load.records > policy.maxShardEntities) {
        proposals.push({ shardId: shard.id, type, cause: 'size', measured: load.records });
        continue;
      }
      const share = load.opsPerSec / typeOps;
      const at = load.loadSplitAt;
      if (
        byLoad &&
        share > policy.loadShare &&
        at !== undefined &&
        at > shard.range.start &&
        rangeContains(shard.range, at)
      ) {
        proposals.push({
          shardId: shard.id,
          type,
          cause: 'load',
          at,
          measured: Math.round(share * 100) / 100,
        });
      }
    }
  }
  return proposals;
}

/**
 * Where the primary of a split's new half should go to spread its load: the in-sync backup
 * serving the fewest operations of the type among those that lead fewer of its shards than the
 * split shard's primary does now. Undefined when no backup qualifies (the half stays, and
 * rebalancing evens the counts out in its own time).
 */
export function spreadTarget(
  map: ShardMap,
  newShardId: string,
  isLive: (nodeId: string) => boolean,
  loadOf: (shardId: string) => ShardLoad | undefined,
): string | undefined {
  for (const layout of Object.values(map.config.types)) {
    const shard = layout.shards.find((s) => s.id === newShardId);
    if (!shard) continue;
    const led = new Map<string, { primaries: number; ops: number }>();
    for (const other of layout.shards) {
      const tally = led.get(other.node) ?? { primaries: 0, ops: 0 };
      tally.primaries += 1;
      tally.ops += loadOf(other.id)?.opsPerSec ?? 0;
      led.set(other.node, tally);
    }
    const current = led.get(shard.node)?.primaries ?? 0;
    const ranked = (shard.backups ?? [])
      .filter(isLive)
      .map((id) => ({ id, ...(led.get(id) ?? { primaries: 0, ops: 0 }) }))
      .filter((node) => node.primaries < current)
      .sort((a, b) => a.ops - b.ops || a.primaries - b.primaries || a.id.localeCompare(b.id));
    return ranked[0]?.id;
  }
  return undefined;
}
