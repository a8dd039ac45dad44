/**
 * Rounds of log entries (DESIGN §4): the primary turns the writes waiting on the shards it leads
 * into their next entries together, one entry per shard, and starts the next round of a group
 * of shards only once every entry of the last one has settled. The writes that arrive meanwhile
 * wait and join the shard's next entry (group commit per shard, as before).
 *
 * Why rounds: shards replicated independently drift apart in time, so the stream to a backup
 * carried little more than one entry per request. Started together, the entries of the shards
 * that share their backups go in one request per backup, are written by each backup in one
 * Level batch and sync, and are written here in one batch too.
 *
 * A group is the shards with the same backups, so a slow backup only holds back the shards it
 * backs. It must never have two entries of one shard in flight: a shard still in flight (even
 * in another group, after its backups changed) waits for the next round.
 */

/**
 * Makes `ops` the next entry of `shardId`'s log; resolves once it is acknowledged. `requestIds`
 * are those of the writes in the entry that have one (the backups log them).
 */
export type EntryWriter<Op> = (shardId: string, ops: Op[], requestIds: string[]) => Promise<void>;

interface Waiter<Op> {
  readonly ops: Op[];
  readonly requestId: string | undefined;
  resolve(): void;
  reject(error: unknown): void;
}

export class EntryRounds<Op> {
  readonly #writeEntry: EntryWriter<Op>;
  readonly #groupOf: (shardId: string) => string;
  /** Writes waiting for their shard's next entry, in arrival order. */
  readonly #pending = new Map<string, Waiter<Op>[]>();
  readonly #inFlight = new Set<string>();
  /** Groups with a round in flight. */
  readonly #running = new Set<string>();
  #scheduled = false;

  /** `groupOf` names the shards that go together (the same backups). */
  constructor(writeEntry: EntryWriter<Op>, groupOf: (shardId: string) => string) {
    this.#writeEntry = writeEntry;
    this.#groupOf = groupOf;
  }

  /** Writes `ops` in the shard's next entry, with whatever else waits on it; resolves once acknowledged. */
  write(shardId: string, ops: Op[], requestId?: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let waiters = this.#pending.get(shardId);
      if (!waiters) {
        waiters = [];
        this.#pending.set(shardId, waiters);
      }
      waiters.push({ ops, requestId, resolve, reject });
      this.#schedule();
    });
  }

  /** Starts rounds once this turn of the event loop is done, so that writes read together go together. */
  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#start();
    });
  }

  #start(): void {
    const groups = new Map<string, string[]>();
    for (const shardId of this.#pending.keys()) {
      if (this.#inFlight.has(shardId)) continue;
      const group = this.#groupOf(shardId);
      if (this.#running.has(group)) continue;
      const shards = groups.get(group);
      if (shards) shards.push(shardId);
      else groups.set(group, [shardId]);
    }
    for (const [group, shards] of groups) void this.#round(group, shards);
  }

  async #round(group: string, shards: readonly string[]): Promise<void> {
    this.#running.add(group);
    try {
      await Promise.all(shards.map((shardId) => this.#entry(shardId)));
    } finally {
      this.#running.delete(group);
      if (this.#pending.size > 0) this.#schedule();
    }
  }

  /** Writes one entry of the shard and settles its writes; never throws. */
  async #entry(shardId: string): Promise<void> {
    const waiters = this.#pending.get(shardId) ?? [];
    this.#pending.delete(shardId);
    this.#inFlight.add(shardId);
    try {
      await this.#writeEntry(
        shardId,
        waiters.flatMap((w) => w.ops),
        waiters.flatMap((w) => (w.requestId === undefined ? [] : [w.requestId])),
      );
      for (const waiter of waiters) waiter.resolve();
    } catch (error) {
      for (const waiter of waiters) waiter.reject(error);
    } finally {
      this.#inFlight.delete(shardId);
    }
  }
}
