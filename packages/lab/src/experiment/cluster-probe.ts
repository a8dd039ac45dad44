/**
 * Questions the lab asks a running cluster through the router's `GET /cluster`: which
 * node holds a key, and whether the cluster is quiet (every node up, no move under way).
 * It only reads; steering is the nemesis's job.
 */
import { ShardMap, type ClusterView } from '@isx/core';
import { fetchClusterView } from '../cluster-tables.js';

/** The fewest copies any shard of the view has (a shard without backups has one). */
export function leastCopies(view: ClusterView): number {
  const copies = Object.values(view.types).flatMap((layout) =>
    layout.shards.map((shard) => 1 + (shard.backups?.length ?? 0)),
  );
  return copies.length === 0 ? 0 : Math.min(...copies);
}

/** The id of the node that holds `key` of `type` (its primary copy, once there are copies). */
export async function nodeHoldingKey(routerUrl: string, type: string, key: string): Promise<string> {
  const view = await fetchClusterView(routerUrl);
  if (!view.map) throw new Error('the router serves no shard map yet');
  return new ShardMap(view.map.config, view.map.version).locate(type, key).shard.node;
}

/** True when `expectedNodes` nodes are up, no shard is moving and every shard has `copies` in sync. */
export function isQuiet(view: ClusterView, expectedNodes: number, copies = 1): boolean {
  const up = view.nodes.filter((node) => node.status === 'up' || node.status === 'alive').length;
  return up >= expectedNodes && (view.moves ?? []).length === 0 && leastCopies(view) >= copies;
}

/** Waits until the cluster is quiet and has stayed so for `stableMs`, or `timeoutMs` passes. */
export async function waitForQuiet(
  routerUrl: string,
  expectedNodes: number,
  stableMs: number,
  timeoutMs: number,
  copies = 1,
): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  let quietSince: number | undefined;
  while (performance.now() < deadline) {
    const quiet = await fetchClusterView(routerUrl).then(
      (view) => isQuiet(view, expectedNodes, copies),
      () => false,
    );
    const now = performance.now();
    quietSince = quiet ? (quietSince ?? now) : undefined;
    if (quietSince !== undefined && now - quietSince >= stableMs) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}
