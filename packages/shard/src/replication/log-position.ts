/**
 * Where a replica's copy of a shard stands in the shard's log: the sequence number of the
 * last entry applied and the epoch it was written in, and the last entries themselves (a
 * bounded tail), so a replica that was away briefly can catch up from them instead of
 * copying the whole shard. Kept in the store's metadata and written in the same batch as
 * the entry itself, so a crash never leaves them apart.
 */
import type { ReplicatedEntity } from '@isx/core';
import type { EntityStore, StoreOp } from '../entity-store.js';

/** How many entries of each shard's log a replica keeps for catch-up. */
export const LOG_TAIL = 2_000;

/** One kept entry of a shard's log. */
export interface LogEntry {
  readonly seq: number;
  readonly epoch: number;
  readonly entities: readonly ReplicatedEntity[];
}

function entryName(shardId: string, seq: number): string {
  return `log-entry/${shardId}/${String(seq).padStart(12, '0')}`;
}

export interface LogPosition {
  readonly seq: number;
  readonly epoch: number;
}

export const START: LogPosition = { seq: 0, epoch: 0 };

function metaName(shardId: string): string {
  return `log-position/${shardId}`;
}

/** The position of every shard this node holds, cached after the first read. */
export class LogPositions {
  readonly #store: EntityStore;
  readonly #cache = new Map<string, LogPosition>();

  constructor(store: EntityStore) {
    this.#store = store;
  }

  async get(shardId: string): Promise<LogPosition> {
    const cached = this.#cache.get(shardId);
    if (cached) return cached;
    const stored = (await this.#store.getMeta<LogPosition>(metaName(shardId))) ?? START;
    this.#cache.set(shardId, stored);
    return stored;
  }

  /** The op that records `position`; the caller writes it with the entry. */
  op(shardId: string, position: LogPosition): StoreOp {
    return { kind: 'put-meta', name: metaName(shardId), value: position };
  }

  /** The ops that keep `entry` in the tail of the log and drop the one that falls out of it. */
  entryOps(shardId: string, entry: LogEntry): StoreOp[] {
    const ops: StoreOp[] = [{ kind: 'put-meta', name: entryName(shardId, entry.seq), value: entry }];
    if (entry.seq > LOG_TAIL) ops.push({ kind: 'del-meta', name: entryName(shardId, entry.seq - LOG_TAIL) });
    return ops;
  }

  /**
   * The kept entries after `seq`, in order; `undefined` if entry `seq` (of `epoch`) is neither
   * kept nor this node's own position.
   * After `seq` 0 (a copy taken before the first entry) they are every entry from the first,
   * provided the tail still starts there.
   */
  async entriesAfter(shardId: string, seq: number, epoch: number): Promise<LogEntry[] | undefined> {
    if (seq === 0) {
      const entries: LogEntry[] = [];
      for await (const [, value] of this.#store.metaRange(entryName(shardId, 1), `log-entry/${shardId}/~`)) {
        entries.push(value as LogEntry);
      }
      if (entries.length === 0) return (await this.get(shardId)).seq === 0 ? [] : undefined;
      return entries[0]!.seq === 1 ? entries : undefined;
    }
    const from = entryName(shardId, seq);
    const entries: LogEntry[] = [];
    let first = true;
    for await (const [, value] of this.#store.metaRange(from, `log-entry/${shardId}/~`)) {
      const entry = value as LogEntry;
      if (first) {
        if (entry.seq !== seq || entry.epoch !== epoch) return undefined;
        first = false;
        continue;
      }
      entries.push(entry);
    }
    if (!first) return entries;
    // Entry `seq` is not kept, but it may be this node's last one: a node that took the shard
    // by a copy holds the position without the entry. A replica at the same position is up to
    // date (within an epoch, a sequence number names one entry).
    const own = await this.get(shardId);
    return own.seq === seq && own.epoch === epoch ? [] : undefined;
  }

  /** Whether this node has recorded a position for the shard (a copy or an entry), even 0. */
  async recorded(shardId: string): Promise<boolean> {
    return (await this.#store.getMeta<LogPosition>(metaName(shardId))) !== undefined;
  }

  /** The ops that forget this node's position and kept log of a shard it no longer holds. */
  async forgetOps(shardId: string): Promise<StoreOp[]> {
    const ops: StoreOp[] = [{ kind: 'del-meta', name: metaName(shardId) }];
    for await (const [name] of this.#store.metaRange(entryName(shardId, 0), `log-entry/${shardId}/~`)) {
      ops.push({ kind: 'del-meta', name });
    }
    return ops;
  }

  /** Forgets the cached position once the batch of {@link forgetOps} was written. */
  forgotten(shardId: string): void {
    this.#cache.delete(shardId);
  }

  /** Records that the batch holding {@link op} was written. */
  written(shardId: string, position: LogPosition): void {
    this.#cache.set(shardId, position);
  }
}
