/**
 * Questions the lab asks a running cluster through the router's `GET /cluster`: which
 * node holds a key, and whether the cluster is quiet (every node up, no move under way).
 * It only reads; steering is the nemesis's job.
 */
import { clusterViewSchema, ShardMap, type ClusterView } from '@isx/core';

export async function readClusterView(routerUrl: string): Promise<ClusterView> {
  const response = await fetch(`${routerUrl}/cluster`, { signal: AbortSignal.timeout(2_000) });
  if (!response.ok) throw new Error(`GET /cluster answered ${response.status}`);
  return clusterViewSchema.parse(await response.json());
}

/** The id of the node that holds `key` of `type` (its primary copy, once there are copies). */
export async function nodeHoldingKey(routerUrl: string, type: string, key: string): Promise<string> {
  const view = await readClusterView(routerUrl);
  if (!view.map) throw new Error('the router serves no shard map yet');
  return new ShardMap(view.map.config, view.map.version).locate(type, key).shard.node;
}

/** True when `expectedNodes` nodes are up, no shard is moving and every shard has `copies` in sync. */
export function isQuiet(view: ClusterView, expectedNodes: number, copies = 1): boolean {
  const up = view.nodes.filter((node) => node.status === 'up' || node.status === 'alive').length;
  const replicated = Object.values(view.types).every((layout) =>
    layout.shards.every((shard) => 1 + (shard.backups?.length ?? 0) >= copies),
  );
  return up >= expectedNodes && (view.moves ?? []).length === 0 && replicated;
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
    const quiet = await readClusterView(routerUrl).then(
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
