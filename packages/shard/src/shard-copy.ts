/**
 * The copy step of a shard move, run on the target: pull the source's range as JSON lines
 * and write it in batches, after clearing whatever an earlier, failed attempt left there,
 * and the shard's log position with it. The position is written again only with the copy's
 * last batch, so a copy cut short leaves no position, and the next attempt copies again.
 * It reads no faster than the request's `maxBytesPerSecond`, so a move leaves the source's
 * disk and network to the writes it serves, and reports how far it has come to `progress`.
 *
 * Every line is checked against the export schema; one bad line fails the copy, and a
 * failed copy is never switched to, so the source stays the owner with all its data.
 */
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CLUSTER_TOKEN_HEADER,
  exportedEntitySchema,
  IsxError,
  type CopyRequest,
  type CopyResult,
} from '@isx/core';
import { fetchFromPeer } from './internal/peer-http.js';
import type { EntityStore, StoreOp } from './entity-store.js';
import type { PeerRoutes } from './peer-routes.js';
import type { LogPositions } from './replication/log-position.js';

const BATCH = 500;

export interface CopyShardOptions {
  store: EntityStore;
  request: CopyRequest;
  token: string | undefined;
  /** How to dial the source (default: at its advertised URL). */
  peers?: PeerRoutes | undefined;
  /** Where the copy's log position is recorded, when the source sends one. */
  positions?: LogPositions;
  /** Told how far the copy has come, after every batch. */
  progress?: (copied: { entities: number; bytes: number }) => void;
}

export async function copyShard({
  store,
  request,
  token,
  peers,
  positions,
  progress,
}: CopyShardOptions): Promise<CopyResult> {
  // What an earlier copy or an earlier stay left goes, and with it, in the same batch, the
  // shard's log position: a copy that fails half-way must not leave a position that a later
  // catch-up would trust, over a range that no longer holds what the position says.
  const stale: StoreOp[] = positions ? await positions.forgetOps(request.shardId) : [];
  for await (const entity of store.scan(request.type, request.range)) {
    stale.push({
      kind: 'del-entity',
      type: request.type,
      partitionKey: entity.partitionKey,
      key: entity.key,
    });
  }
  if (stale.length > 0) await store.write(stale);
  positions?.forgotten(request.shardId);

  const query = new URLSearchParams({
    type: request.type,
    start: request.range.start,
    shardId: request.shardId,
  });
  if (request.range.end !== null) query.set('end', request.range.end);
  const exportUrl = `${request.sourceUrl}/internal/shards/export?${query.toString()}`;
  const response = await fetchFromPeer(peers?.resolve(exportUrl) ?? exportUrl, {
    headers: token === undefined ? {} : { [CLUSTER_TOKEN_HEADER]: token },
  });
  if (!response.ok || !response.body) {
    throw new IsxError(
      'NODE_ERROR',
      `The source node answered ${response.status} to the export of shard ${request.shardId}.`,
    );
  }
  const started = performance.now();
  let entities = 0;
  let bytes = 0;
  let batch: StoreOp[] = [];
  const lines = createInterface({ input: Readable.fromWeb(response.body as never), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.length === 0) continue;
    bytes += Buffer.byteLength(line) + 1;
    const entity = exportedEntitySchema.parse(JSON.parse(line));
    batch.push({
      kind: 'put-entity',
      type: request.type,
      partitionKey: entity.partitionKey,
      key: entity.key,
      value: entity.value,
    });
    entities += 1;
    if (batch.length >= BATCH) {
      await store.write(batch);
      batch = [];
      progress?.({ entities, bytes });
      await keepUnder(request.maxBytesPerSecond, bytes, started);
    }
  }
  const seq = Number(response.headers.get('x-isx-log-seq') ?? NaN);
  const epoch = Number(response.headers.get('x-isx-log-epoch') ?? NaN);
  if (positions && Number.isInteger(seq) && Number.isInteger(epoch)) {
    const position = { seq, epoch };
    batch.push(positions.op(request.shardId, position));
    await store.write(batch);
    positions.written(request.shardId, position);
  } else if (batch.length > 0) {
    await store.write(batch);
  }
  return { entities, bytes };
}

/** Waits until `bytes` read since `started` are within `maxBytesPerSecond`. */
async function keepUnder(
  maxBytesPerSecond: number | undefined,
  bytes: number,
  started: number,
): Promise<void> {
  if (maxBytesPerSecond === undefined) return;
  const due = started + (bytes / maxBytesPerSecond) * 1000;
  const wait = due - performance.now();
  if (wait > 1) await sleep(wait);
}
