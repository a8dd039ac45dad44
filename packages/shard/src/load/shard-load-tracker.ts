/**
 * The node's account of the load on the shards it leads, sent to the router with its
 * heartbeats about once a second: operations per second and a split point from the
 * `LoadMeter`, records from `RecordCounts`. The entity host tells it of every keyed operation
 * a primary serves and of every record a write creates.
 */
import type { ShardLoad, ShardMap } from '@isx/core';
import type { EntityStore } from '../entity-store.js';
import { LoadMeter, type LoadMeterOptions } from './load-meter.js';
import { RecordCounts } from './record-counts.js';

/** What the entity host reports as it serves requests. */
export interface LoadObserver {
  /** A primary served a keyed operation. */
  operation(shardId: string, partitionKey: string): void;
  /** A write created a record that did not exist (a tombstone replaced by data does not count). */
  created(shardId: string): void;
}

export class ShardLoadTracker implements LoadObserver {
  readonly #meter: LoadMeter;
  readonly #records: RecordCounts;

  constructor(store: EntityStore, meter: LoadMeterOptions = {}) {
    this.#meter = new LoadMeter(meter);
    this.#records = new RecordCounts(store);
  }

  operation(shardId: string, partitionKey: string): void {
    this.#meter.record(shardId, partitionKey);
  }

  created(shardId: string): void {
    this.#records.created(shardId);
  }

  /**
   * The load of each shard `nodeId` leads in `map` since the last report. A shard whose
   * records are still being counted is left out until they are.
   */
  report(map: ShardMap | undefined, nodeId: string): ShardLoad[] {
    const led = map?.shardsOf(nodeId) ?? [];
    this.#records.follow(led);
    const ops = this.#meter.take();
    const loads: ShardLoad[] = [];
    for (const shard of led) {
      const records = this.#records.count(shard.id);
      if (records === undefined) continue;
      const seen = ops.get(shard.id);
      loads.push({
        shardId: shard.id,
        records,
        opsPerSec: seen?.opsPerSec ?? 0,
        ...(seen?.loadSplitAt === undefined ? {} : { loadSplitAt: seen.loadSplitAt }),
      });
    }
    return loads;
  }

  /** Resolves once the record scans started so far have ended (for tests). */
  settled(): Promise<void> {
    return this.#records.settled();
  }
}
