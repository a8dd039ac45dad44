/**
 * How far behind the primary each backup of a shard is, as far as the primary has seen: the
 * last entry it sent for the shard against the last one each backup acknowledged, both within
 * the shard's current epoch. It is for metrics only and must never decide anything: the
 * committer's own rule (every in-sync backup takes each entry, or leaves the in-sync set) is
 * what keeps the replicas safe.
 *
 * Only what was seen is reported. A backup that has acknowledged nothing since the epoch
 * began (a new replica set, a new primary, a restart) has no figure until it does: the
 * primary could only assume one. Since a shard has one entry in flight at a time and a
 * backup that refuses one leaves the in-sync set, a lag is 0 or 1 (1 while an entry awaits
 * that backup, or after it refused one, until the map without it arrives).
 */
import type { ShardAssignment } from '@isx/core';

/** One backup's lag behind the primary on one shard. */
export interface BackupLag {
  readonly shardId: string;
  readonly backup: string;
  /** Entries sent for the shard that this backup has not acknowledged. */
  readonly entries: number;
}

interface ShardProgress {
  epoch: number;
  /** The last entry sent for the shard in this epoch. */
  sent: number;
  /** The last entry each backup acknowledged in this epoch. */
  readonly acknowledged: Map<string, number>;
}

export class BackupAcknowledgements {
  readonly #shards = new Map<string, ShardProgress>();

  /** Entry `seq` of `epoch` is on its way to the shard's backups; a new epoch starts afresh. */
  sent(shardId: string, epoch: number, seq: number): void {
    const progress = this.#shards.get(shardId);
    if (progress && progress.epoch === epoch) {
      progress.sent = Math.max(progress.sent, seq);
      return;
    }
    this.#shards.set(shardId, { epoch, sent: seq, acknowledged: new Map() });
  }

  /** `backup` holds entry `seq` of `epoch`; an answer from an earlier epoch is ignored. */
  acknowledged(shardId: string, epoch: number, backup: string, seq: number): void {
    const progress = this.#shards.get(shardId);
    if (!progress || progress.epoch !== epoch) return;
    progress.acknowledged.set(backup, Math.max(progress.acknowledged.get(backup) ?? 0, seq));
  }

  /** The lag of each backup of `shards` (their current assignments) that has acknowledged an entry. */
  lag(shards: readonly ShardAssignment[]): BackupLag[] {
    const lags: BackupLag[] = [];
    for (const shard of shards) {
      const progress = this.#shards.get(shard.id);
      if (!progress || progress.epoch !== (shard.epoch ?? 0)) continue;
      for (const backup of shard.backups ?? []) {
        const acknowledged = progress.acknowledged.get(backup);
        if (acknowledged === undefined) continue;
        lags.push({ shardId: shard.id, backup, entries: Math.max(0, progress.sent - acknowledged) });
      }
    }
    return lags;
  }
}
