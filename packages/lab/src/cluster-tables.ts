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
  const replicated = Object.values(view.types).some((layout) =>
    layout.shards.some((s) => s.backups !== undefined),
  );
  const rows = Object.entries(view.types).flatMap(([type, layout]) =>
    layout.shards.map((s) => [
      type,
      s.id,
      layout.partitioner,
      formatRange(s.range),
      s.node,
      ...(replicated ? [(s.backups ?? []).join(',') || '-', String(s.epoch ?? 0)] : []),
    ]),
  );
  const headers = ['TYPE', 'SHARD', 'PARTITIONER', 'RANGE', replicated ? 'PRIMARY' : 'NODE'];
  return formatTable(replicated ? [...headers, 'BACKUPS', 'EPOCH'] : headers, rows);
}
