/**
 * `GET /cluster`: the cluster as the router knows it, which the dashboard also streams.
 */
import type { ClusterView, ShardMap } from '@isx/core';
import type { ClusterManager } from './cluster-manager.js';
import { probeNode } from './node-probe.js';

/** A manual cluster (phase 1): the fixed layout, with each node probed for whether it is up. */
export async function manualClusterView(map: ShardMap, probeTimeoutMs: number): Promise<ClusterView> {
  const nodeIds = Object.keys(map.config.nodes);
  const statuses = await Promise.all(
    nodeIds.map((id) => probeNode(map.config.nodes[id]!.url, probeTimeoutMs)),
  );
  return {
    version: map.version,
    mode: 'manual',
    nodes: nodeIds.map((id, i) => ({
      id,
      url: map.config.nodes[id]!.url,
      status: statuses[i] ?? 'unknown',
      shards: map.shardsOf(id).length,
    })),
    types: Object.fromEntries(
      Object.entries(map.config.types).map(([type, layout]) => [
        type,
        { partitioner: layout.partitioner, keySpace: layout.keySpace, shards: layout.shards },
      ]),
    ),
    map: { version: map.version, config: map.config },
  };
}

/** A dynamic cluster: liveness from heartbeats, load from the primaries, and the moves in progress. */
export function dynamicClusterView(manager: ClusterManager): ClusterView {
  const map = manager.map;
  return {
    version: map.version,
    mode: 'dynamic',
    nodes: manager.nodes().map((n) => ({
      id: n.record.id,
      url: n.record.url,
      status: n.status,
      shards: map.shardsOf(n.record.id).length,
      ...(manager.replicated ? { replicas: map.replicasOf(n.record.id).length } : {}),
      ...(n.record.draining === true ? { draining: true } : {}),
      service: n.record.service,
      heartbeatAgeMs: n.heartbeatAgeMs === null ? null : Math.round(n.heartbeatAgeMs),
    })),
    types: Object.fromEntries(
      Object.entries(map.config.types).map(([type, layout]) => [
        type,
        {
          partitioner: layout.partitioner,
          keySpace: layout.keySpace,
          shards: layout.shards.map((shard) => ({ ...shard, ...manager.shardLoad(shard.id) })),
        },
      ]),
    ),
    map: { version: map.version, config: map.config },
    moves: manager.moves,
    ...(manager.rebalancing ? { rebalancing: manager.rebalancing } : {}),
    ...(manager.autoSplits ? { autoSplits: manager.autoSplits } : {}),
  };
}
