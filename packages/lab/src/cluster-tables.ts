/**
 * What `isx status` and `isx shards` print: the cluster view from `GET /cluster` as tables.
 */
import { clusterViewSchema, formatRange, type ClusterView } from '@isx/core';
import { formatTable } from './table.js';

/** Fetches and validates `GET /cluster`. */
export async function fetchClusterView(routerUrl: string): Promise<ClusterView> {
  const response = await fetch(`${routerUrl}/cluster`, { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`GET ${routerUrl}/cluster answered ${response.status}`);
  return clusterViewSchema.parse(await response.json());
}

export function nodesTable(view: ClusterView): string {
  return formatTable(
    ['NODE', 'STATUS', 'SHARDS', 'URL'],
    view.nodes.map((n) => [n.id, n.status, String(n.shards), n.url]),
  );
}

export function shardsTable(view: ClusterView): string {
  const rows = Object.entries(view.types).flatMap(([type, layout]) =>
    layout.shards.map((s) => [type, s.id, layout.partitioner, formatRange(s.range), s.node]),
  );
  return formatTable(['TYPE', 'SHARD', 'PARTITIONER', 'RANGE', 'NODE'], rows);
}
