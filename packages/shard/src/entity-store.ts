/**
 * The node's storage: one classic-level database under the data directory.
 *
 * Sublevels keep entity state and node metadata apart (later: log, outbox, inbox). All
 * writes go through group commit, so concurrent requests share a batch and a sync. A
 * deleted entity leaves a tombstone that keeps its version, so a key re-created after a
 * delete never reuses a version an earlier `If-Match` could have seen. This module must
 * never acknowledge a write before Level has it.
 */
import { mkdir } from 'node:fs/promises';
import { ClassicLevel } from 'classic-level';
import { GroupCommit } from './internal/group-commit.js';

/** What is stored for one entity. `data` is absent on a tombstone. */
export interface StoredEntity {
  readonly version: number;
  readonly data?: Record<string, unknown>;
  readonly updatedAt: string;
}

/** A write to one of the store's key spaces. */
export type StoreOp =
  | { kind: 'put-entity'; type: string; key: string; value: StoredEntity }
  | { kind: 'put-meta'; name: string; value: unknown };

export interface EntityStoreOptions {
  /** Whether each batch is synced to disk before it is acknowledged (default true). */
  sync?: boolean;
}

export class EntityStore {
  readonly #db: ClassicLevel<string, unknown>;
  readonly #entities;
  readonly #meta;
  readonly #commit: GroupCommit<StoreOp>;

  private constructor(db: ClassicLevel<string, unknown>, sync: boolean) {
    this.#db = db;
    this.#entities = db.sublevel<string, StoredEntity>('entities', { valueEncoding: 'json' });
    this.#meta = db.sublevel<string, unknown>('meta', { valueEncoding: 'json' });
    this.#commit = new GroupCommit<StoreOp>((ops) => this.#writeBatch(ops, sync));
  }

  /** Opens (creating if needed) the store in `directory`. */
  static async open(directory: string, options: EntityStoreOptions = {}): Promise<EntityStore> {
    await mkdir(directory, { recursive: true });
    const db = new ClassicLevel<string, unknown>(directory, { valueEncoding: 'json' });
    await db.open();
    return new EntityStore(db, options.sync ?? true);
  }

  /** The stored record of an entity (tombstones included), or `undefined`. */
  async getEntity(type: string, key: string): Promise<StoredEntity | undefined> {
    return this.#entities.get(entityKey(type, key));
  }

  async getMeta<T>(name: string): Promise<T | undefined> {
    return (await this.#meta.get(name)) as T | undefined;
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
    for (const op of ops) {
      if (op.kind === 'put-entity') {
        batch.put(entityKey(op.type, op.key), op.value, { sublevel: this.#entities });
      } else {
        batch.put(op.name, op.value, { sublevel: this.#meta });
      }
    }
    await batch.write({ sync });
  }
}

// '/' can appear in neither a type name nor a key, so the pair maps to one string unambiguously.
function entityKey(type: string, key: string): string {
  return `${type}/${key}`;
}
