/**
 * Finds the entities with messages still to deliver in each shard this node starts leading (at
 * start-up, after a failover, a move or a split), by one scan of the shard's records, and hands
 * them to the delivery loop. Writes that queue messages later tell the loop themselves.
 */
import { hasPendingMessages, type EntityAddress } from '@isx/core';
import type { EntityStore } from '../entity-store.js';
import { LedShardChanges, type LedShard } from '../led-shards.js';

export class OutboxScanner {
  readonly #store: EntityStore;
  readonly #notice: (sender: EntityAddress) => void;
  readonly #changes = new LedShardChanges();
  #scans: Promise<void> = Promise.resolve();

  constructor(store: EntityStore, notice: (sender: EntityAddress) => void) {
    this.#store = store;
    this.#notice = notice;
  }

  /** Scans the led shards not scanned yet (or whose range changed); forgets the others. */
  follow(led: readonly LedShard[]): void {
    for (const shard of this.#changes.next(led)) {
      this.#scans = this.#scans
        .then(async () => {
          for await (const entity of this.#store.scan(shard.type, shard.range)) {
            if (hasPendingMessages(entity.value.activity))
              this.#notice({ type: shard.type, key: entity.key });
          }
        })
        .catch(() => {
          // The store closed under the scan; a node that goes on scans again on its next change.
          this.#changes.forget(shard.id);
        });
    }
  }

  /** Resolves once the scans started so far have ended. */
  async settled(): Promise<void> {
    await this.#scans;
  }
}
