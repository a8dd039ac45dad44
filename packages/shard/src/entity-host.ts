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
  isIsxError,
  outcomeOf,
  outgoingMessageSchema,
  parseAddressName,
  type ActivityState,
  type DeliveredBatch,
  type DeliveryAnswer,
  MAX_MESSAGES_PER_DELIVERY,
  type OutgoingMessage,
  type EntityAddress,
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
import {
  acknowledge,
  isRepeat,
  park,
  queueMessages,
  recordApplied,
  requeueDead,
} from './activities/activity-records.js';
import type { PendingHead } from './activities/delivery-loop.js';
import type { Ownership } from './ownership.js';

/** A handler of the messages an entity type receives. */
type ReceivedBy = EntityDefinition['receives'][string];
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
  /** Told when a committed write left an entity with messages to deliver. */
  onMessagesQueued?: (sender: EntityAddress, shardId: string) => void;
}

export class EntityHost {
  readonly #store: EntityStore;
  readonly #definitions: Map<string, EntityDefinition>;
  readonly #ownership: Ownership;
  readonly #clock: Clock;
  readonly #locks = new KeyLock();
  readonly #committer: ShardCommitter;
  readonly #load: LoadObserver | undefined;
  readonly #onMessagesQueued: EntityHostOptions['onMessagesQueued'];

  constructor(options: EntityHostOptions) {
    this.#store = options.store;
    this.#definitions = new Map(options.entities.map((d) => [d.type, d]));
    this.#ownership = options.ownership;
    this.#clock = options.clock ?? systemClock;
    this.#committer = options.committer ?? localCommitter(options.store);
    this.#load = options.load;
    this.#onMessagesQueued = options.onMessagesQueued;
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
      const tombstone: StoredEntity = {
        version,
        updatedAt: new Date(this.#clock.now()).toISOString(),
        // Messages still to deliver outlive the entity that sent them.
        ...(current.activity ? { activity: current.activity } : {}),
      };
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
    const { state, messages } = outcomeOf(definition.build(input, { key, now, previous: current?.data }));
    const version = (current?.version ?? 0) + 1;
    await this.#put(
      { definition, shardId, partitionKey, key, current },
      {
        version,
        data: state as Record<string, unknown>,
        updatedAt: now.toISOString(),
        activity: queueMessages(
          current?.activity,
          checkMessages(definition.type, messages),
          now.toISOString(),
        ),
      },
    );
    return { key, version };
  }

  /** Writes an entity's new record and tells who needs to know (record counts, the delivery loop). */
  async #put(
    at: {
      definition: EntityDefinition;
      shardId: string;
      partitionKey: string;
      key: string;
      current: StoredEntity | undefined;
    },
    value: StoredEntity,
  ): Promise<void> {
    const { definition, shardId, partitionKey, key, current } = at;
    const stored: StoredEntity = value.activity === undefined ? withoutActivity(value) : value;
    await this.#committer.commit(shardId, [
      { kind: 'put-entity', type: definition.type, partitionKey, key, value: stored },
    ]);
    if (current === undefined) this.#load?.created(shardId);
    const queuedBefore = pendingCount(current?.activity);
    if (pendingCount(stored.activity) > queuedBefore) {
      this.#onMessagesQueued?.({ type: definition.type, key }, shardId);
    }
  }

  /**
   * Applies the next messages of one sender, in order, each exactly once (DESIGN §7): a repeat
   * of one already applied is acknowledged without effect; the handlers' new state, the
   * messages they send and the record of what was applied from that sender go in one write. A
   * message of a kind the entity does not accept, or whose payload its schema refuses, is
   * refused for good and changes nothing: those before it are applied and the answer stops
   * short of it, and sent alone it is refused (the sender parks it as a dead letter).
   */
  async receive(batch: DeliveredBatch): Promise<DeliveryAnswer> {
    const definition = this.#definition(batch.to.type);
    const accepted: Array<{ seq: number; handler: ReceivedBy; payload: unknown }> = [];
    for (const message of batch.messages) {
      try {
        accepted.push({ seq: message.seq, ...this.#accept(definition, message.kind, message.payload) });
      } catch (error) {
        if (accepted.length === 0) throw error;
        break;
      }
    }
    const through = accepted[accepted.length - 1]!.seq;
    const { key } = batch.to;
    return this.#write(definition.type, key, async ({ shardId, partitionKey }) => {
      const current = await this.#store.getEntity(definition.type, partitionKey, key);
      const now = new Date(this.#clock.now());
      let data = current?.data;
      let changed = false;
      let activity = current?.activity;
      let applied = 0;
      const sent: OutgoingMessage[] = [];
      for (const message of accepted) {
        if (isRepeat(activity, batch.from, message.seq)) continue;
        const { state, messages } = outcomeOf(
          message.handler.apply(data, message.payload, { key, now, from: batch.from }),
        );
        // A handler that returns no state leaves the data as it was.
        if (state !== undefined) {
          data = state as Record<string, unknown>;
          changed = true;
        }
        activity = recordApplied(activity, batch.from, message.seq);
        sent.push(...messages);
        applied += 1;
      }
      if (applied === 0) return { through, applied };
      const version = changed ? (current?.version ?? 0) + 1 : (current?.version ?? 1);
      await this.#put(
        { definition, shardId, partitionKey, key, current },
        {
          version,
          ...(data ? { data } : {}),
          updatedAt: changed ? now.toISOString() : (current?.updatedAt ?? now.toISOString()),
          activity: queueMessages(activity, checkMessages(definition.type, sent), now.toISOString()),
        },
      );
      return { through, applied, version };
    });
  }

  /** The handler of a message and its parsed payload, or the refusal: an unknown kind, a bad payload. */
  #accept(
    definition: EntityDefinition,
    kind: string,
    payload: unknown,
  ): { handler: ReceivedBy; payload: unknown } {
    const handler = definition.receives[kind];
    if (!handler) {
      throw new IsxError(
        'UNKNOWN_MESSAGE_KIND',
        `A ${definition.type} accepts no message of kind "${kind}".`,
        {
          details: { kind, accepts: Object.keys(definition.receives) },
        },
      );
    }
    const parsed = handler.payload.safeParse(payload);
    if (!parsed.success) throw validationError(parsed.error, `${kind} message for ${definition.type}`);
    return { handler, payload: parsed.data };
  }

  /** The receiver `partner` acknowledged the sender's messages up to `seq`: they are delivered. */
  async acknowledge(sender: EntityAddress, partner: string, seq: number): Promise<void> {
    await this.#changeActivity(sender, (activity) => acknowledge(activity, partner, seq));
  }

  /** Gives up on message `seq` to `partner`: it moves to the sender's dead letters. */
  async park(
    sender: EntityAddress,
    partner: string,
    seq: number,
    why: { reason: string; attempts: number },
  ): Promise<void> {
    const at = new Date(this.#clock.now()).toISOString();
    await this.#changeActivity(sender, (activity) => park(activity, partner, seq, { ...why, at }));
  }

  /**
   * Sends dead letters of `sender` again (all, or those to `partner`, or the one numbered
   * `seq`), under new sequence numbers; resolves with how many went back in the queue.
   */
  async replayDead(sender: EntityAddress, which: { partner?: string; seq?: number } = {}): Promise<number> {
    let requeued = 0;
    await this.#changeActivity(sender, (activity) => {
      const result = requeueDead(activity, which);
      requeued = result.requeued;
      return result.activity;
    });
    // The write that put them back told the delivery loop, as any write that queues messages does.
    return requeued;
  }

  /** The entity's activity state (its messages in and out), as `GET /:type/:key/activities` shows it. */
  async activities(type: string, key: string): Promise<ActivityState> {
    this.#definition(type);
    const { partitionKey } = this.#ownership.checkRead(type, key);
    const stored = await this.#store.getEntity(type, partitionKey, key);
    if (!stored) throw notFound(type, key);
    return stored.activity ?? {};
  }

  /**
   * The first messages still to deliver to each partner of `sender` (up to a delivery's
   * worth), for the delivery loop; none when this node no longer leads the sender's shard
   * (its new primary delivers them).
   */
  async pendingHeads(sender: EntityAddress): Promise<PendingHead[]> {
    let partitionKey: string;
    try {
      partitionKey = this.#ownership.check(sender.type, sender.key).partitionKey;
    } catch (error) {
      if (isIsxError(error) && (error.code === 'WRONG_SHARD' || error.code === 'UNKNOWN_TYPE')) return [];
      throw error;
    }
    const stored = await this.#store.getEntity(sender.type, partitionKey, sender.key);
    return Object.entries(stored?.activity?.out ?? {}).flatMap(([partner, out]) => {
      const to = parseAddressName(partner);
      const messages = out.pending.slice(0, MAX_MESSAGES_PER_DELIVERY);
      return to && messages.length > 0 ? [{ partner, to, messages, queued: out.pending.length }] : [];
    });
  }

  /** Rewrites the entity's activity only: its data and version stay as they are. */
  async #changeActivity(
    address: EntityAddress,
    change: (activity: ActivityState | undefined) => ActivityState | undefined,
  ): Promise<void> {
    const definition = this.#definition(address.type);
    await this.#write(address.type, address.key, async ({ shardId, partitionKey }) => {
      const current = await this.#store.getEntity(address.type, partitionKey, address.key);
      if (!current) return;
      const activity = change(current.activity);
      if (activity === current.activity) return;
      await this.#put(
        { definition, shardId, partitionKey, key: address.key, current },
        { ...current, ...(activity ? { activity } : {}) },
      );
    });
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

/** The messages a handler returned, checked: a malformed one is the service's bug, not the caller's. */
/** Built once: a zod schema costs far more to build than to run, and this runs on every write. */
const outgoingMessagesSchema = outgoingMessageSchema.array();

function checkMessages(type: string, messages: readonly unknown[]): OutgoingMessage[] {
  if (messages.length === 0) return [];
  const checked = outgoingMessagesSchema.safeParse(messages);
  if (!checked.success) {
    throw new IsxError(
      'INTERNAL',
      `The ${type} service produced an invalid message: ${checked.error.issues[0]?.message ?? 'unknown'}.`,
    );
  }
  return checked.data;
}

function pendingCount(activity: ActivityState | undefined): number {
  return Object.values(activity?.out ?? {}).reduce((sum, partner) => sum + partner.pending.length, 0);
}

function withoutActivity(value: StoredEntity): StoredEntity {
  const { activity: _activity, ...rest } = value;
  return rest;
}

function notFound(type: string, key: string): IsxError {
  return new IsxError('NOT_FOUND', `No ${type} has the key "${key}".`, { details: { type, key } });
}
