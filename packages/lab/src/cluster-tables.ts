/**
 * What `isx status` and `isx shards` print: the cluster view from `GET /cluster` as tables.
 */
import { clusterViewSchema, formatRange, type ClusterView } from '@isx/core';
import { formatDuration } from './progress.js';
import { formatTable } from './table.js';

/** Fetches and validates `GET /cluster`. */
export async function fetchClusterView(routerUrl: string): Promise<ClusterView> {
  const response = await fetch(`${routerUrl}/cluster`, { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`GET ${routerUrl}/cluster answered ${response.status}`);
  return clusterViewSchema.parse(await response.json());
}

export function nodesTable(view: ClusterView): string {
  const replicated = view.nodes.some((n) => n.replicas !== undefined);
  return formatTable(
    replicated ? ['NODE', 'STATUS', 'PRIMARIES', 'REPLICAS', 'URL'] : ['NODE', 'STATUS', 'SHARDS', 'URL'],
    view.nodes.map((n) => [
      n.id,
      n.draining ? `${n.status}, draining` : n.status,
      String(n.shards),
      ...(replicated ? [String(n.replicas ?? 0)] : []),
      n.url,
    ]),
  );
}

/**
 * The moves in progress, each with a progress bar once its copy has begun; empty when none.
 * `now` (wall-clock ms) dates how long each has run.
 */
export function movesTable(view: ClusterView, now = Date.now()): string {
  const moves = view.moves ?? [];
  if (moves.length === 0) return '';
  return formatTable(
    ['SHARD', 'STEP', 'FROM', 'TO', 'PHASE', 'PROGRESS'],
    moves.map((m) => [
      m.shardId,
      m.kind === undefined ? 'move' : `${m.kind}${m.reason ? ` (${m.reason})` : ''}`,
      m.from,
      m.to ?? '-',
      m.phase,
      progressOf(m, now),
    ]),
  );
}

/**
 * `[########------------] 40% 10,000/25,000 entities, 3.2 MB, 12.0 s in, ~18 s left`, or what
 * is known of it. The time left is a guess from the pace so far, given only while copying.
 */
export function progressOf(move: NonNullable<ClusterView['moves']>[number], now = Date.now()): string {
  const copied = move.entitiesCopied;
  if (copied === undefined) return '';
  const runMs = now - Date.parse(move.startedAt);
  // A clock that disagrees with the router's (another machine) would make the times nonsense.
  const timed = Number.isFinite(runMs) && runMs >= 0;
  const mb = move.bytesCopied === undefined ? '' : `, ${(move.bytesCopied / 1_000_000).toFixed(1)} MB`;
  const since = timed ? `, ${formatDuration(runMs)} in` : '';
  const total = move.entitiesTotal;
  if (total === undefined || total === 0) return `${copied.toLocaleString('en')} entities${mb}${since}`;
  const share = Math.min(1, copied / total);
  const width = 20;
  const filled = Math.floor(share * width);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
  const left =
    timed && move.phase === 'copying' && copied > 0 && copied < total
      ? `, ~${formatDuration(Math.ceil((runMs * (total - copied)) / copied / 1000) * 1000, true)} left`
      : '';
  return `${bar} ${Math.floor(share * 100)}% ${copied.toLocaleString('en')}/${total.toLocaleString('en')} entities${mb}${since}${left}`;
}

export function shardsTable(view: ClusterView): string {
  const replicated = Object.values(view.types).some((layout) =>
    layout.shards.some((s) => s.backups !== undefined),
  );
  // Dynamic clusters show what each primary last reported of its size and load.
  const measured = Object.values(view.types).some((layout) =>
    layout.shards.some((s) => s.records !== undefined),
  );
  const rows = Object.entries(view.types).flatMap(([type, layout]) =>
    layout.shards.map((s) => [
      type,
      s.id,
      layout.partitioner,
      formatRange(s.range),
      s.node,
      ...(replicated ? [(s.backups ?? []).join(',') || '-', String(s.epoch ?? 0)] : []),
      ...(measured
        ? [
            s.records === undefined ? '-' : String(s.records),
            s.opsPerSec === undefined ? '-' : s.opsPerSec.toFixed(0),
          ]
        : []),
    ]),
  );
  const headers = ['TYPE', 'SHARD', 'PARTITIONER', 'RANGE', replicated ? 'PRIMARY' : 'NODE'];
  return formatTable(
    [...headers, ...(replicated ? ['BACKUPS', 'EPOCH'] : []), ...(measured ? ['RECORDS', 'OPS/S'] : [])],
    rows,
  );
}
