/**
 * How many records (tombstones included: they take room too) each shard this node leads
 * holds. A shard is counted by a scan of its keys when the node starts leading it or its range
 * changes, one scan at a time; from then on the writes that create a record add to the count.
 * A record created while its shard is being scanned is added once the scan ends, so the count
 * is exact but for a write whose batch lands just as the scan starts; it is an estimate for
 * split decisions, made exact again by the next scan.
 */
import type { EntityStore } from '../entity-store.js';
import { LedShardChanges, type LedShard } from '../led-shards.js';

interface Entry {
  /** Undefined until the first scan ends. */
  count: number | undefined;
  /** Records created while the scan runs. */
  pending: number;
}

export class RecordCounts {
  readonly #store: EntityStore;
  readonly #entries = new Map<string, Entry>();
  readonly #changes = new LedShardChanges();
  #scans: Promise<void> = Promise.resolve();

  constructor(store: EntityStore) {
    this.#store = store;
  }

  /** Follows the shards the node leads now: new ones (or new ranges) are scanned, others forgotten. */
  follow(led: readonly LedShard[]): void {
    const ids = new Set(led.map((s) => s.id));
    for (const id of this.#entries.keys()) if (!ids.has(id)) this.#entries.delete(id);
    for (const shard of this.#changes.next(led)) {
      const entry: Entry = { count: undefined, pending: 0 };
      this.#entries.set(shard.id, entry);
      this.#scans = this.#scans.then(async () => {
        if (this.#entries.get(shard.id) !== entry) return;
        const scanned = await this.#store.countRecords(shard.type, shard.range).catch(() => undefined);
        if (scanned === undefined || this.#entries.get(shard.id) !== entry) return;
        entry.count = scanned + entry.pending;
      });
    }
  }

  /** A write created a record in `shardId`. */
  created(shardId: string): void {
    const entry = this.#entries.get(shardId);
    if (!entry) return;
    if (entry.count === undefined) entry.pending += 1;
    else entry.count += 1;
  }

  /** The records of `shardId`, or undefined while it has not been counted. */
  count(shardId: string): number | undefined {
    return this.#entries.get(shardId)?.count;
  }

  /** Resolves once the scans started so far have ended. */
  async settled(): Promise<void> {
    await this.#scans;
  }
}
