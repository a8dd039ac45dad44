/**
 * The node's storage: one classic-level database under the data directory.
 *
 * Sublevels keep entity state and node metadata apart (later: log, outbox, inbox). Entities
 * are keyed by type, then partition key, then key, so the entities of one shard are one
 * contiguous range: a move reads it with one iterator and a split needs no data rewrite. All
 * writes go through group commit, so concurrent requests share a batch and a sync, and
 * through a write-through cache of recent records (`EntityCache`), which spares hot entities a
 * read from Level. A
 * deleted entity leaves a tombstone that keeps its version, so a key re-created after a
 * delete never reuses a version an earlier `If-Match` could have seen. This module must
 * never acknowledge a write before Level has it.
 */
import { mkdir } from 'node:fs/promises';
import type { ActivityState, KeyRange } from '@isx/core';
import { ClassicLevel } from 'classic-level';
import { EntityCache } from './internal/entity-cache.js';
import { GroupCommit, type BatchWritten } from './internal/group-commit.js';

/**
 * What is stored for one entity. `data` is absent on a tombstone. `activity` holds its
 * messages: those still to deliver and what it has applied from each partner (DESIGN §7).
 */
export interface StoredEntity {
  readonly version: number;
  readonly data?: Record<string, unknown>;
  readonly updatedAt: string;
  readonly activity?: ActivityState;
}

/** A write to one of the store's key spaces. */
export type StoreOp =
  | { kind: 'put-entity'; type: string; partitionKey: string; key: string; value: StoredEntity }
  | { kind: 'del-entity'; type: string; partitionKey: string; key: string }
  | { kind: 'put-meta'; name: string; value: unknown }
  | { kind: 'del-meta'; name: string };

/** One stored entity with its address, as a range scan yields it. */
export interface ScannedEntity {
  readonly key: string;
  readonly partitionKey: string;
  readonly value: StoredEntity;
}

export interface EntityStoreOptions {
  /** Whether each batch is synced to disk before it is acknowledged (default true). */
  sync?: boolean;
  /** Told of every batch written, with its operations and writers (for metrics). */
  onBatchWritten?: BatchWritten;
  /** Bytes of recent records' JSON kept in memory (default 64 MiB; 0 reads every record from Level). */
  cacheBytes?: number;
}

export class EntityStore {
  readonly #db: ClassicLevel<string, unknown>;
  readonly #entities;
  readonly #meta;
  readonly #commit: GroupCommit<StoreOp>;
  readonly #cache: EntityCache;

  private constructor(db: ClassicLevel<string, unknown>, options: EntityStoreOptions) {
    this.#db = db;
    // Records are JSON text, which the store serializes and parses itself: the cache keeps the text.
    this.#entities = db.sublevel<string, string>('entities', { valueEncoding: 'utf8' });
    this.#meta = db.sublevel<string, unknown>('meta', { valueEncoding: 'json' });
    this.#cache = new EntityCache(options.cacheBytes ?? 64 * 1024 * 1024);
    const sync = options.sync ?? true;
    this.#commit = new GroupCommit<StoreOp>((ops) => this.#writeBatch(ops, sync), options.onBatchWritten);
  }

  /** Opens (creating if needed) the store in `directory`. */
  static async open(directory: string, options: EntityStoreOptions = {}): Promise<EntityStore> {
    await mkdir(directory, { recursive: true });
    const db = new ClassicLevel<string, unknown>(directory, { valueEncoding: 'json' });
    await db.open();
    return new EntityStore(db, options);
  }

  /** The stored record of an entity (tombstones included), or `undefined`. */
  async getEntity(type: string, partitionKey: string, key: string): Promise<StoredEntity | undefined> {
    const stored = entityKey(type, partitionKey, key);
    const cached = this.#cache.get(stored);
    if (cached !== undefined) return JSON.parse(cached) as StoredEntity;
    this.#cache.readStarted(stored);
    let json: string | undefined;
    try {
      json = await this.#entities.get(stored);
    } finally {
      this.#cache.readFinished(stored, json);
    }
    return json === undefined ? undefined : (JSON.parse(json) as StoredEntity);
  }

  /** How the record cache has done since the store opened. */
  get cacheStats(): EntityCache['stats'] {
    return this.#cache.stats;
  }

  /** Every entity (tombstones included) of `type` whose partition key is in `range`, in key order. */
  async *scan(type: string, range: KeyRange): AsyncGenerator<ScannedEntity> {
    for await (const [stored, json] of this.#entities.iterator(rangeBounds(type, range))) {
      const { partitionKey, key } = parseEntityKey(type, stored);
      yield { key, partitionKey, value: JSON.parse(json) as StoredEntity };
    }
  }

  /** Counts the live entities of `type` in `range`. */
  async count(type: string, range: KeyRange): Promise<number> {
    let live = 0;
    for await (const entity of this.scan(type, range)) if (entity.value.data) live += 1;
    return live;
  }

  /** Counts the records of `type` in `range`, tombstones included, reading keys only. */
  async countRecords(type: string, range: KeyRange): Promise<number> {
    let records = 0;
    for await (const _key of this.#entities.keys(rangeBounds(type, range))) records += 1;
    return records;
  }

  async getMeta<T>(name: string): Promise<T | undefined> {
    return (await this.#meta.get(name)) as T | undefined;
  }

  /** Metadata whose names fall in `[gte, lt)`, in name order. */
  async *metaRange(gte: string, lt: string): AsyncGenerator<[string, unknown]> {
    for await (const entry of this.#meta.iterator({ gte, lt })) yield entry;
  }

  /** Writes atomically, batched with concurrent writers. */
  write(ops: StoreOp[]): Promise<void> {
    return this.#commit.write(ops);
  }

  /** Counts of batches and writes since start: writes / batches is the group-commit factor. */
  get commitStats(): { batches: number; writes: number } {
    return { batches: this.#commit.batches, writes: this.#commit.writes };
  }

  async close(): Promise<void> {
    await this.#db.close();
  }

  async #writeBatch(ops: StoreOp[], sync: boolean): Promise<void> {
    const batch = this.#db.batch();
    const entities: Array<[key: string, json: string | undefined]> = [];
    for (const op of ops) {
      if (op.kind === 'put-entity') {
        const key = entityKey(op.type, op.partitionKey, op.key);
        const json = JSON.stringify(op.value);
        batch.put(key, json, { sublevel: this.#entities });
        entities.push([key, json]);
      } else if (op.kind === 'del-entity') {
        const key = entityKey(op.type, op.partitionKey, op.key);
        batch.del(key, { sublevel: this.#entities });
        entities.push([key, undefined]);
      } else if (op.kind === 'del-meta') {
        batch.del(op.name, { sublevel: this.#meta });
      } else {
        batch.put(op.name, op.value, { sublevel: this.#meta });
      }
    }
    await batch.write({ sync });
    // In batch order, so a key written twice in one batch ends with its last record.
    for (const [key, json] of entities) this.#cache.written(key, json);
  }
}

// '/' cannot appear in a type name, and NUL sorts below every key character, so
// `type/partitionKey\0key` orders by partition key first and splits back unambiguously.
const SEPARATOR = '\u0000';

function entityKey(type: string, partitionKey: string, key: string): string {
  return `${type}/${partitionKey}${SEPARATOR}${key}`;
}

function parseEntityKey(type: string, stored: string): { partitionKey: string; key: string } {
  const rest = stored.slice(type.length + 1);
  const at = rest.indexOf(SEPARATOR);
  return { partitionKey: rest.slice(0, at), key: rest.slice(at + 1) };
}

function rangeBounds(type: string, range: KeyRange): { gte: string; lt: string } {
  // '0' is the character after '/', so `${type}0` is above every key of the type.
  return { gte: `${type}/${range.start}`, lt: range.end === null ? `${type}0` : `${type}/${range.end}` };
}
