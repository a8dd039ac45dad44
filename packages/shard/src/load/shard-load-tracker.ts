/**
 * The node's account of the load on the shards it leads, sent to the router with its
 * heartbeats about once a second: operations per second and a split point from the
 * `LoadMeter`, records from `RecordCounts`. The entity host tells it of every keyed operation
 * a primary serves and of every record a write creates.
 *
 * Two readings ride along for the dashboard: each shard's outbox depth (from the delivery
 * loop's senders) and how far each backup lags (from the primary's acknowledgements).
 */
import type { EntityAddress, ShardLoad, ShardMap } from '@isx/core';
import type { EntityStore } from '../entity-store.js';
import type { BackupLag } from '../replication/backup-acknowledgements.js';
import { LoadMeter, type LoadMeterOptions } from './load-meter.js';
import { RecordCounts } from './record-counts.js';

/** What the entity host reports as it serves requests. */
export interface LoadObserver {
  /** A primary served a keyed operation. */
  operation(shardId: string, partitionKey: string): void;
  /** A write created a record that did not exist (a tombstone replaced by data does not count). */
  created(shardId: string): void;
}

/** Where the readings beyond load come from; without them a report leaves them out. */
export interface ShardReadings {
  /** Each sender's messages still to deliver. */
  readonly queued?: () => ReadonlyArray<{ readonly sender: EntityAddress; readonly queued: number }>;
  /** How far each backup of the led shards lags. */
  readonly backupLag?: () => readonly BackupLag[];
}

export class ShardLoadTracker implements LoadObserver {
  readonly #meter: LoadMeter;
  readonly #records: RecordCounts;
  readonly #readings: ShardReadings;

  constructor(store: EntityStore, meter: LoadMeterOptions = {}, readings: ShardReadings = {}) {
    this.#meter = new LoadMeter(meter);
    this.#records = new RecordCounts(store);
    this.#readings = readings;
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
    const outbox = map && this.#readings.queued ? outboxDepths(map, this.#readings.queued()) : undefined;
    const lags = new Map<string, Record<string, number>>();
    for (const lag of this.#readings.backupLag?.() ?? []) {
      lags.set(lag.shardId, { ...lags.get(lag.shardId), [lag.backup]: lag.entries });
    }
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
        ...(outbox ? { outboxDepth: outbox.get(shard.id) ?? 0 } : {}),
        ...(lags.has(shard.id) ? { backupLag: lags.get(shard.id) } : {}),
      });
    }
    return loads;
  }

  /** Resolves once the record scans started so far have ended (for tests). */
  settled(): Promise<void> {
    return this.#records.settled();
  }
}

/** Messages still to deliver, summed by the shard each sender belongs to in `map`. */
function outboxDepths(
  map: ShardMap,
  queued: ReturnType<NonNullable<ShardReadings['queued']>>,
): Map<string, number> {
  const depths = new Map<string, number>();
  for (const { sender, queued: count } of queued) {
    const shardId = map.shardIdOf(sender.type, sender.key);
    if (count === 0 || shardId === undefined) continue;
    depths.set(shardId, (depths.get(shardId) ?? 0) + count);
  }
  return depths;
}
