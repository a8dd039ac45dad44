/**
 * Placement: where shards go (pure functions, no I/O).
 *
 * A new entity type gets `count` shards over the whole hash space, dealt round-robin over
 * the nodes of its service. When nodes join, `planMoves` proposes moves from the fullest
 * node to the emptiest until every node's shard count is within one of every other's.
 */
import type { KeyRange, ShardAssignment } from '@isx/core';

/** `count` equal ranges over the 32-bit hash space. */
export function hashRanges(count: number): KeyRange[] {
  const bound = (i: number): string =>
    Math.floor((0x1_0000_0000 * i) / count)
      .toString(16)
      .padStart(8, '0');
  return Array.from({ length: count }, (_, i) => ({
    start: i === 0 ? '' : bound(i),
    end: i === count - 1 ? null : bound(i + 1),
  }));
}

/** The first shards of a type, dealt over `nodeIds` in turn. */
export function initialShards(type: string, count: number, nodeIds: readonly string[]): ShardAssignment[] {
  if (nodeIds.length === 0) throw new RangeError('a type needs at least one node to place its shards on');
  return hashRanges(count).map((range, i) => ({
    id: `${type}-${i + 1}`,
    range,
    node: nodeIds[i % nodeIds.length]!,
  }));
}

export interface PlannedMove {
  readonly shardId: string;
  readonly from: string;
  readonly to: string;
}

/**
 * Moves that even out shard counts over `nodeIds`. Shards on nodes outside `nodeIds` are
 * left where they are (those nodes may come back); at most `limit` moves are planned.
 */
export function planMoves(
  shards: readonly ShardAssignment[],
  nodeIds: readonly string[],
  limit = Infinity,
): PlannedMove[] {
  const held = new Map<string, string[]>(nodeIds.map((id) => [id, []]));
  for (const shard of shards) held.get(shard.node)?.push(shard.id);
  const moves: PlannedMove[] = [];
  while (moves.length < limit) {
    const ordered = [...held.entries()].sort((a, b) => a[1].length - b[1].length || a[0].localeCompare(b[0]));
    const emptiest = ordered[0];
    const fullest = ordered[ordered.length - 1];
    if (!emptiest || !fullest || fullest[1].length - emptiest[1].length <= 1) break;
    const shardId = fullest[1].pop()!;
    emptiest[1].push(shardId);
    moves.push({ shardId, from: fullest[0], to: emptiest[0] });
  }
  return moves;
}
