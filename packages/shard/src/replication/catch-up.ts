/**
 * Catch-up from the log: a replica that was away briefly (a restart, a short partition) asks
 * the primary for the entries after the last one it holds and applies them, instead of
 * copying the whole shard. It works only if the primary still keeps the replica's last entry
 * *with the same epoch*: otherwise the replica may hold an entry that no in-sync replica has,
 * and the caller must copy the shard instead. A replica that copied the shard before its first
 * entry catches up from the first entry on. The router runs it while writes go on, to bring a
 * new replica close, and once more with the primary fenced, so that the log does not move for
 * the last entries. It never applies an entry out of order.
 */
import {
  CLUSTER_TOKEN_HEADER,
  errorBodySchema,
  IsxError,
  logEntriesAnswerSchema,
  RetryableError,
  type ReplicatedEntity,
} from '@isx/core';
import { fetchFromPeer } from '../internal/peer-http.js';
import type { EntityStore, StoreOp } from '../entity-store.js';
import type { PeerRoutes } from '../peer-routes.js';
import type { LogEntry, LogPositions } from './log-position.js';

/** Serves `GET /internal/shards/log?shardId=&after=&epoch=` on the primary. */
export async function logAfter(
  positions: LogPositions,
  query: URLSearchParams,
): Promise<{ entries: LogEntry[] }> {
  const shardId = query.get('shardId');
  const after = Number(query.get('after'));
  const epoch = Number(query.get('epoch'));
  if (!shardId || !Number.isInteger(after) || after < 0 || !Number.isInteger(epoch)) {
    throw new IsxError('INVALID_REQUEST', 'log needs ?shardId=, ?after= (≥ 0) and ?epoch=');
  }
  const entries = await positions.entriesAfter(shardId, after, epoch);
  if (!entries) {
    throw new IsxError(
      'REPLICATION_GAP',
      `Entry ${after} of epoch ${epoch} of shard ${shardId} is not in this node's log.`,
      {
        details: { shard: shardId, after, epoch },
      },
    );
  }
  return { entries };
}

export interface CatchUpOptions {
  store: EntityStore;
  positions: LogPositions;
  shardId: string;
  sourceUrl: string;
  token: string | undefined;
  peers?: PeerRoutes | undefined;
}

/** Runs on the replica: fetches and applies the entries it misses; throws `REPLICATION_GAP` if it cannot. */
export async function catchUp(options: CatchUpOptions): Promise<{ entries: number; seq: number }> {
  const { store, positions, shardId } = options;
  const held = await positions.get(shardId);
  // Position 0 is a starting point only if a copy recorded it; otherwise this node has nothing.
  if (held.seq === 0 && !(await positions.recorded(shardId))) {
    throw new IsxError('REPLICATION_GAP', `This node holds nothing of shard ${shardId}.`);
  }
  const query = new URLSearchParams({ shardId, after: String(held.seq), epoch: String(held.epoch) });
  const url = `${options.sourceUrl}/internal/shards/log?${query.toString()}`;
  const response = await fetchFromPeer(options.peers?.resolve(url) ?? url, {
    headers: options.token === undefined ? {} : { [CLUSTER_TOKEN_HEADER]: options.token },
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) {
    // Only the primary's REPLICATION_GAP says the log cannot bring this replica up to date (and
    // a copy is needed); any other refusal is the primary's state of the moment, to retry.
    const body = errorBodySchema.safeParse(await response.json().catch(() => undefined));
    const code = body.success ? body.data.error.code : `HTTP_${response.status}`;
    if (code === 'REPLICATION_GAP') {
      throw new IsxError(
        'REPLICATION_GAP',
        `The primary cannot serve shard ${shardId}'s log after entry ${held.seq} of epoch ${held.epoch}.`,
      );
    }
    throw new RetryableError(
      'NODE_UNAVAILABLE',
      `The primary answered ${code} to a catch-up of shard ${shardId}.`,
    );
  }
  const { entries } = logEntriesAnswerSchema.parse(await response.json());
  let seq = held.seq;
  for (const entry of entries) {
    if (entry.seq !== seq + 1)
      throw new IsxError('REPLICATION_GAP', `The log of shard ${shardId} skips from ${seq} to ${entry.seq}.`);
    const position = { seq: entry.seq, epoch: entry.epoch };
    await store.write([
      ...toOps(entry.entities),
      positions.op(shardId, position),
      ...positions.entryOps(shardId, entry),
    ]);
    positions.written(shardId, position);
    seq = entry.seq;
  }
  return { entries: entries.length, seq };
}

function toOps(entities: readonly ReplicatedEntity[]): StoreOp[] {
  return entities.map((e) => ({
    kind: 'put-entity',
    type: e.type,
    partitionKey: e.partitionKey,
    key: e.key,
    value: e.value,
  }));
}
