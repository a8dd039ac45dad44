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

/** True when `expectedNodes` nodes are up and no shard is moving. */
export function isQuiet(view: ClusterView, expectedNodes: number): boolean {
  const up = view.nodes.filter((node) => node.status === 'up' || node.status === 'alive').length;
  return up >= expectedNodes && (view.moves ?? []).length === 0;
}

/** Waits until the cluster is quiet and has stayed so for `stableMs`, or `timeoutMs` passes. */
export async function waitForQuiet(
  routerUrl: string,
  expectedNodes: number,
  stableMs: number,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  let quietSince: number | undefined;
  while (performance.now() < deadline) {
    const quiet = await readClusterView(routerUrl).then(
      (view) => isQuiet(view, expectedNodes),
      () => false,
    );
    const now = performance.now();
    quietSince = quiet ? (quietSince ?? now) : undefined;
    if (quietSince !== undefined && now - quietSince >= stableMs) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}
