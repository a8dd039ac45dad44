/**
 * The entity host: the keyed operations of DESIGN §8 on the entities this node owns.
 *
 * Independent of HTTP so it can be driven directly in tests. Each write of one entity runs
 * alone (a per-key lock) from read to commit, which is what makes `If-Match` atomic; writes
 * of different entities share group-commit batches. Every input is validated by the type's
 * schema before anything is written: a rejected request changes no state.
 */
import {
  applyMergePatch,
  checkIfMatch,
  IsxError,
  systemClock,
  validationError,
  type Clock,
  type EntityDefinition,
  type EntityRecord,
  type IfMatch,
  type WriteResult,
} from '@isx/core';
import type { EntityStore, StoredEntity } from './entity-store.js';
import { KeyLock } from './internal/key-lock.js';
import type { LoadObserver } from './load/shard-load-tracker.js';
import type { Ownership } from './ownership.js';
import { localCommitter, type ShardCommitter } from './replication/shard-committer.js';

/** A write's conditions, from `If-Match` and `If-None-Match: *`. */
export interface WriteConditions {
  ifMatch?: IfMatch | undefined;
  /** Create only: fail with 412 if the entity exists. */
  ifNoneMatchAny?: boolean;
}

export interface EntityHostOptions {
  store: EntityStore;
  entities: readonly EntityDefinition[];
  ownership: Ownership;
  clock?: Clock;
  /** How writes reach disk and the replicas (default: this node's store only). */
  committer?: ShardCommitter;
  /** Told of every operation a primary serves, for automatic splits. */
  load?: LoadObserver;
}

export class EntityHost {
  readonly #store: EntityStore;
  readonly #definitions: Map<string, EntityDefinition>;
  readonly #ownership: Ownership;
  readonly #clock: Clock;
  readonly #locks = new KeyLock();
  readonly #committer: ShardCommitter;
  readonly #load: LoadObserver | undefined;

  constructor(options: EntityHostOptions) {
    this.#store = options.store;
    this.#definitions = new Map(options.entities.map((d) => [d.type, d]));
    this.#ownership = options.ownership;
    this.#clock = options.clock ?? systemClock;
    this.#committer = options.committer ?? localCommitter(options.store);
    this.#load = options.load;
  }

  /** The entity types this host serves. */
  get types(): string[] {
    return [...this.#definitions.keys()];
  }

  async get(type: string, key: string): Promise<EntityRecord> {
    this.#definition(type);
    const { shardId, partitionKey } = this.#ownership.checkRead(type, key);
    this.#committer.checkServing(shardId);
    this.#load?.operation(shardId, partitionKey);
    const stored = await this.#store.getEntity(type, partitionKey, key);
    if (!stored?.data) throw notFound(type, key);
    return { key, version: stored.version, data: stored.data };
  }

  /**
   * A read any replica of the shard may answer (`?consistency=eventual`): a backup holds
   * every acknowledged write, but may not yet hold one that is being acknowledged, so the
   * answer can be a little behind the primary's. No lease is needed.
   */
  async getEventual(
    type: string,
    key: string,
  ): Promise<{ record: EntityRecord; role: 'primary' | 'backup' }> {
    this.#definition(type);
    const { partitionKey, role } = this.#ownership.checkReplica(type, key);
    const stored = await this.#store.getEntity(type, partitionKey, key);
    if (!stored?.data) throw notFound(type, key);
    return { record: { key, version: stored.version, data: stored.data }, role };
  }

  /** Creates or replaces an entity with a full body. */
  async put(
    type: string,
    key: string,
    body: Record<string, unknown>,
    conditions: WriteConditions = {},
  ): Promise<WriteResult> {
    const definition = this.#definition(type);
    this.#ownership.check(type, key);
    const input = parseInput(definition, key, body);
    return this.#write(type, key, async ({ shardId, partitionKey }) => {
      const current = await this.#store.getEntity(type, partitionKey, key);
      checkConditions(conditions, current);
      return this.#commit(definition, { shardId, partitionKey }, key, input, current);
    });
  }

  /** Merges a JSON Merge Patch into an existing entity and validates the result. */
  async patch(
    type: string,
    key: string,
    patch: Record<string, unknown>,
    conditions: WriteConditions = {},
  ): Promise<WriteResult> {
    const definition = this.#definition(type);
    return this.#write(type, key, async ({ shardId, partitionKey }) => {
      const current = await this.#store.getEntity(type, partitionKey, key);
      if (!current?.data) throw notFound(type, key);
      checkConditions(conditions, current);
      const merged = applyMergePatch(current.data, patch) as Record<string, unknown>;
      const input = parseInput(definition, key, merged);
      return this.#commit(definition, { shardId, partitionKey }, key, input, current);
    });
  }

  async delete(type: string, key: string, conditions: WriteConditions = {}): Promise<WriteResult> {
    this.#definition(type);
    return this.#write(type, key, async ({ shardId, partitionKey }) => {
      const current = await this.#store.getEntity(type, partitionKey, key);
      if (!current?.data) throw notFound(type, key);
      checkConditions(conditions, current);
      const version = current.version + 1;
      const tombstone: StoredEntity = { version, updatedAt: new Date(this.#clock.now()).toISOString() };
      await this.#committer.commit(shardId, [
        { kind: 'put-entity', type, partitionKey, key, value: tombstone },
      ]);
      return { key, version };
    });
  }

  /** Admits a write into its shard (refused while the shard is fenced) and runs it alone for its key. */
  async #write<T>(
    type: string,
    key: string,
    task: (at: { shardId: string; partitionKey: string }) => Promise<T>,
  ): Promise<T> {
    const ticket = this.#ownership.beginWrite(type, key);
    this.#load?.operation(ticket.shardId, ticket.partitionKey);
    try {
      return await this.#locks.run(`${type}/${key}`, () => task(ticket));
    } finally {
      ticket.end();
    }
  }

  async #commit(
    definition: EntityDefinition,
    { shardId, partitionKey }: { shardId: string; partitionKey: string },
    key: string,
    input: unknown,
    current: StoredEntity | undefined,
  ): Promise<WriteResult> {
    const now = new Date(this.#clock.now());
    const data = definition.build(input, { key, now, previous: current?.data }) as Record<string, unknown>;
    const version = (current?.version ?? 0) + 1;
    await this.#committer.commit(shardId, [
      {
        kind: 'put-entity',
        type: definition.type,
        partitionKey,
        key,
        value: { version, data, updatedAt: now.toISOString() },
      },
    ]);
    if (current === undefined) this.#load?.created(shardId);
    return { key, version };
  }

  #definition(type: string): EntityDefinition {
    const definition = this.#definitions.get(type);
    if (!definition) {
      throw new IsxError(
        'UNKNOWN_TYPE',
        `This node serves no entity type "${type}". It serves: ${this.types.join(', ')}.`,
        {
          details: { type },
        },
      );
    }
    return definition;
  }
}

function parseInput(definition: EntityDefinition, key: string, body: Record<string, unknown>): unknown {
  const candidate: Record<string, unknown> = { ...body };
  if (definition.keyField !== undefined && definition.keyField in candidate) {
    if (candidate[definition.keyField] !== key) {
      throw new IsxError(
        'KEY_MISMATCH',
        `The body's "${definition.keyField}" must equal the key in the path ("${key}").`,
        {
          details: { field: definition.keyField, key },
        },
      );
    }
    delete candidate[definition.keyField];
  }
  for (const field of definition.serverFields) delete candidate[field];
  const result = definition.input.safeParse(candidate);
  if (!result.success) throw validationError(result.error, `${definition.type} body`);
  return result.data;
}

function checkConditions(conditions: WriteConditions, current: StoredEntity | undefined): void {
  const liveVersion = current?.data ? current.version : undefined;
  if (conditions.ifNoneMatchAny && liveVersion !== undefined) {
    throw new IsxError('PRECONDITION_FAILED', 'If-None-Match: * was given but the entity exists.', {
      details: { currentVersion: liveVersion },
    });
  }
  checkIfMatch(conditions.ifMatch, liveVersion);
}

function notFound(type: string, key: string): IsxError {
  return new IsxError('NOT_FOUND', `No ${type} has the key "${key}".`, { details: { type, key } });
}
