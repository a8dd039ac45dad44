/**
 * Questions the lab asks a running cluster through the router's `GET /cluster`: which
 * node or shard holds a key, how the copies lie, and whether the cluster is quiet (every
 * node up, no move under way, every shard with its copies on live nodes). It only reads;
 * steering is the nemesis's job.
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

/** The shard that holds `key` of `type`. */
export async function shardHoldingKey(routerUrl: string, type: string, key: string): Promise<string> {
  const view = await fetchClusterView(routerUrl);
  if (!view.map) throw new Error('the router serves no shard map yet');
  return new ShardMap(view.map.config, view.map.version).locate(type, key).shard.id;
}

/** How the copies lie: what a run's end is judged on. */
export interface CopyLayout {
  /** The fewest copies of a shard on distinct live nodes. */
  readonly leastLiveCopies: number;
  /** Nodes alive (or up). */
  readonly liveNodes: number;
  /** Live nodes that hold at least one copy. */
  readonly nodesHoldingCopies: number;
  /** Shards of every type. */
  readonly shards: number;
  /** Splits the router made by itself, when it reports them. */
  readonly autoSplits?: number;
}

/**
 * Counts only copies on distinct nodes that are alive: a copy on a dead node, or a node
 * listed twice, is no copy a reader can count on (unlike {@link leastCopies}, which counts
 * the map's entries as they are).
 */
export function copyLayout(view: ClusterView): CopyLayout {
  const live = new Set(
    view.nodes.filter((node) => node.status === 'up' || node.status === 'alive').map((node) => node.id),
  );
  const holding = new Set<string>();
  const copies = Object.values(view.types).flatMap((layout) =>
    layout.shards.map((shard) => {
      const on = new Set([shard.node, ...(shard.backups ?? [])].filter((id) => live.has(id)));
      for (const id of on) holding.add(id);
      return on.size;
    }),
  );
  return {
    leastLiveCopies: copies.length === 0 ? 0 : Math.min(...copies),
    liveNodes: live.size,
    nodesHoldingCopies: holding.size,
    shards: copies.length,
    ...(view.autoSplits ? { autoSplits: view.autoSplits.size + view.autoSplits.load } : {}),
  };
}

/** True when `expectedNodes` nodes are up, no shard is moving and every shard has `copies` on live nodes. */
export function isQuiet(view: ClusterView, expectedNodes: number, copies = 1): boolean {
  const layout = copyLayout(view);
  return (
    layout.liveNodes >= expectedNodes && (view.moves ?? []).length === 0 && layout.leastLiveCopies >= copies
  );
}

/**
 * Waits until the cluster is quiet and has stayed so for `stableMs`, or `timeoutMs` passes.
 * `onPoll` hears after each look how long it has been quiet (undefined: it is not).
 */
export async function waitForQuiet(
  routerUrl: string,
  expectedNodes: number,
  stableMs: number,
  timeoutMs: number,
  copies = 1,
  onPoll?: (quietForMs: number | undefined) => void,
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
    onPoll?.(quietSince === undefined ? undefined : now - quietSince);
    if (quietSince !== undefined && now - quietSince >= stableMs) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/**
 * True when the replicated cluster has settled after a join or a drain: no step under way,
 * every shard with the replication factor's copies, and, among the live nodes of each service
 * that are not draining, copies and primaries per node within one of each other. (Nodes of
 * different services hold different types, so they are not compared.)
 */
export function isBalanced(view: ClusterView): boolean {
  const factor = view.map?.config.replication?.factor ?? 1;
  if ((view.moves ?? []).length > 0 || leastCopies(view) < factor) return false;
  const serving = view.nodes.filter((n) => n.status === 'alive' && n.draining !== true);
  if (serving.length === 0) return false;
  const spread = (values: number[]): number => Math.max(...values) - Math.min(...values);
  const services = new Set(serving.map((n) => n.service));
  return [...services].every((service) => {
    const nodes = serving.filter((n) => n.service === service);
    return spread(nodes.map((n) => n.replicas ?? n.shards)) <= 1 && spread(nodes.map((n) => n.shards)) <= 1;
  });
}
